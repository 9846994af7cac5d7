// How many execs run at once when --concurrency is not pinned: adapted to the API server, as TCP
// adapts to a path. It starts at START and grows with each exec that finishes: in slow start by
// one (doubling per round) until the first back-off, then by about one per round. It backs off
// as soon as an exec's stream opens: by half on throttling (HTTP 429: the API server's own word,
// down to 1), and by a quarter when the setup latency, smoothed as TCP smooths its RTT (a lone
// spike of a few hundred ms is common on a busy API server), rises well above the best seen,
// never below START (the fixed default that ran 500 nodes without a false failure). Never past CAP.
// Measured on the test cluster, where the API server shares 2 cores with every probe: a pacer
// that learnt of setup latency only when an exec ended (10-20 s later at 500 nodes) went on
// growing to 20 while latency reached 15 s and the load average 350, and pairs timed out; and
// one that backed off below START on single spikes ran at 3-7 execs at once. Pure: the caller
// feeds it each exec's events.

export const START = 10;
export const CAP = 64;
/** Setup latency counts as rising past this many times the best seen (plus a small floor). */
const RISING = 3;
const FLOOR_MS = 50;

export class Pacer {
  private level = START;
  private slowStart = true;
  private best = Infinity;
  /** Setup latency, smoothed: each exec moves it an eighth of the way (TCP's SRTT). */
  private smoothed: number | undefined;
  /** Execs to finish after a change before the next one (those in flight saw the old state). */
  private calm = 0;

  constructor(private readonly cap = CAP) {}

  get limit(): number {
    return Math.max(1, Math.min(this.cap, Math.floor(this.level)));
  }

  /** An exec's stream opened after `setupMs`. */
  opened(setupMs: number): void {
    this.best = Math.min(this.best, setupMs);
    this.smoothed = this.smoothed === undefined ? setupMs : this.smoothed + (setupMs - this.smoothed) / 8;
    if (this.smoothed > RISING * this.best + FLOOR_MS) this.backOff(0.75, START);
  }

  /** The API server refused an exec with 429. */
  throttled(): void {
    this.backOff(0.5, 1);
  }

  /** An exec ended with its command's output. */
  finished(): void {
    if (this.calm > 0) {
      this.calm--;
      return;
    }
    this.level = Math.min(this.cap, this.level + (this.slowStart ? 1 : 1 / this.level));
  }

  private backOff(factor: number, floor: number): void {
    this.slowStart = false;
    if (this.calm > 0) return;
    this.level = Math.max(Math.min(floor, this.level), this.level * factor);
    this.calm = this.limit;
  }
}
