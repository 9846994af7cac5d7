// How many execs run at once when --concurrency is not pinned: adapted to the API server, as TCP
// adapts to a path. It starts at START, grows by about one per round of execs while the exec
// setup latency (the API server and kubelet opening the stream) stays near the best seen, and
// backs off by half on throttling (HTTP 429) and by a quarter when setup latency rises well above
// it. Never past CAP. Pure: the caller feeds it each exec's outcome.

export const START = 10;
export const CAP = 64;
/** Setup latency counts as rising past this many times the best seen (plus a small floor). */
const RISING = 3;
const FLOOR_MS = 50;

export class Pacer {
  private level = START;
  private best = Infinity;
  /** Execs to wait after a back-off before growing again (the ones already in flight). */
  private calm = 0;

  constructor(private readonly cap = CAP) {}

  get limit(): number {
    return Math.max(1, Math.min(this.cap, Math.floor(this.level)));
  }

  /** One exec's outcome: its setup latency, or that the API server throttled it. */
  record(o: { setupMs?: number; throttled?: boolean }): void {
    if (o.throttled) return this.backOff(0.5);
    if (o.setupMs === undefined) return;
    this.best = Math.min(this.best, o.setupMs);
    if (o.setupMs > RISING * this.best + FLOOR_MS) return this.backOff(0.75);
    if (this.calm > 0) {
      this.calm--;
      return;
    }
    this.level = Math.min(this.cap, this.level + 1 / this.level);
  }

  private backOff(factor: number): void {
    if (this.calm > 0) return; // one back-off per round: the execs in flight saw the same state
    this.level = Math.max(1, this.level * factor);
    this.calm = this.limit;
  }
}
