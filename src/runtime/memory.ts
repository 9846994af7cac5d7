// Garbage is collected when the process grows past a budget while verdicts pour in. Bun's
// collector lets garbage pile up while execs land back to back: at 2,500 nodes 400 MB of heap held
// 44 MB of live data. A full collection costs about 40 ms, so it is not run on a fixed schedule
// (every 100,000 pairs cost a quarter of a 5,000-node check's CPU): only when the resident size
// passes the budget.

/** What a 5,000-node check keeps under (its live data is about 150 MB). */
export const RSS_BUDGET = 240 * 2 ** 20;
/** Pairs between two looks at the resident size (a look costs microseconds). */
const LOOK_EVERY = 20_000;
const LOOK_AT_MOST_EVERY = 1_000_000;

export class GarbagePacer {
  private since = 0;
  private lookEvery = LOOK_EVERY;

  /** `pairs` more verdicts (or cells) were handled, and their garbage made. */
  handled(pairs: number): void {
    this.since += pairs;
    if (this.since < this.lookEvery) return;
    this.since = 0;
    if (process.memoryUsage.rss() > RSS_BUDGET) this.collect();
  }

  /** At the end of a phase that made garbage: the next starts from what is live. When what is
   * live is itself near the budget, looks come ever further apart rather than collect each time. */
  collect(): void {
    this.since = 0;
    Bun.gc(true);
    this.lookEvery = process.memoryUsage.rss() > 0.9 * RSS_BUDGET ? Math.min(2 * this.lookEvery, LOOK_AT_MOST_EVERY) : LOOK_EVERY;
  }
}
