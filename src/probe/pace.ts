// How many execs run at once when --concurrency is not pinned: adapted to the API server, as TCP
// adapts to a path. It starts at START and grows in slow start (one more per exec that set up in
// time: doubling per round) until the first back-off, then by about one per round. It backs off
// by half on throttling (HTTP 429: the API server's own word, down to 1) and by a quarter when
// the exec setup latency, smoothed as TCP smooths its RTT (a lone spike of a few hundred ms is
// common on a busy API server: it is not a trend), rises well above the best of the last
// WINDOW_MS (never below START, the fixed default that ran 500 nodes without trouble). The best ages out, as BBR's min-RTT filter
// does: a lasting change in the API server's load becomes the new norm. (With the best of the
// whole run, an idle start's 10 ms against 300 ms once the probes loaded the machine, the pacer
// backed off for good and a 500-node check ran at half the fixed default's pace.) Never past CAP.
// Pure: the caller feeds it each exec's outcome and the time.

export const START = 10;
export const CAP = 64;
/** Setup latency counts as rising past this many times the recent best (plus a small floor). */
const RISING = 3;
const FLOOR_MS = 50;
/** How long a best setup latency stands. */
export const WINDOW_MS = 10_000;

export class Pacer {
  private level = START;
  private slowStart = true;
  /** Setup latency, smoothed: each exec moves it an eighth of the way (TCP's SRTT). */
  private smoothed: number | undefined;
  /** Recent setup latencies that could still be the best: increasing, each with its time. */
  private bests: { at: number; ms: number }[] = [];
  /** Execs to wait after a back-off before changing again (the ones already in flight). */
  private calm = 0;

  constructor(private readonly cap = CAP) {}

  get limit(): number {
    return Math.max(1, Math.min(this.cap, Math.floor(this.level)));
  }

  /** One exec's outcome, at `now` (ms): its setup latency, or that the API server throttled it. */
  record(o: { setupMs?: number; throttled?: boolean }, now = performance.now()): void {
    // After a change, the execs already in flight saw the old state: one change per round.
    const calm = this.calm > 0;
    if (calm) this.calm--;
    if (o.throttled) return this.backOff(0.5, 1, calm);
    if (o.setupMs === undefined) return;
    const best = this.best(o.setupMs, now);
    this.smoothed = this.smoothed === undefined ? o.setupMs : this.smoothed + (o.setupMs - this.smoothed) / 8;
    if (this.smoothed > RISING * best + FLOOR_MS) return this.backOff(0.75, START, calm);
    if (!calm) this.level = Math.min(this.cap, this.level + (this.slowStart ? 1 : 1 / this.level));
  }

  /** The best setup latency of the last WINDOW_MS, this one included (a monotonic queue: a
   * sample is dropped once a better one came after it, or once it is too old). */
  private best(ms: number, now: number): number {
    const q = this.bests;
    while (q.length && q.at(-1)!.ms >= ms) q.pop();
    q.push({ at: now, ms });
    while (q[0]!.at < now - WINDOW_MS) q.shift();
    return q[0]!.ms;
  }

  private backOff(factor: number, floor: number, calm: boolean): void {
    this.slowStart = false;
    if (calm) return;
    this.level = Math.max(Math.min(floor, this.level), this.level * factor);
    this.calm = this.limit;
  }
}
