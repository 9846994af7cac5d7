// Garbage is collected when the process grows past a budget while verdicts pour in. Bun's
// collector lets garbage pile up while execs land back to back: at 2,500 nodes 400 MB of heap held
// 44 MB of live data. A full collection costs about 40 ms, so it is not run on a fixed schedule
// (every 100,000 pairs cost a quarter of a 5,000-node check's CPU): only when the resident size
// passes the budget, or, when what stays after a collection is near the budget already, some
// room above that (it varies between collections: 170-250 MB at 5,000 nodes). The room is small:
// with 24 MB (and a 240 MB budget) the 5,000-node replay peaked at 298-304 MB, with 8 MB at
// 251-261 MB, at the same 1.6-1.7 million pairs per CPU-second.

/** What a long computation tells about the garbage it makes; the process decides what to do. */
export interface MemoryPolicy {
  handled(verdicts: number): void;
  collect(): void;
}

/** Past this resident size, collections begin. */
export const RSS_BUDGET = 200 * 2 ** 20;
/** Room for garbage above what a collection left: 8 MB, or a twentieth of what it left when that
 * is more (a failing mesh makes more garbage a pair: at 5,000 nodes all failing, 8 MB meant a
 * full collection every 27,000 pairs, a third of the plugin's CPU; a tenth let the 1 %-failing
 * run peak at 308 MB, a twentieth at 268). */
const ROOM = 8 * 2 ** 20;
const ROOM_SHARE = 0.05;
/** Pairs between two looks at the resident size (a look costs microseconds). */
const LOOK_EVERY = 10_000;

export class GarbagePacer implements MemoryPolicy {
  private since = 0;
  private limit = RSS_BUDGET;

  /** `pairs` more verdicts (or cells) were handled, and their garbage made. */
  handled(pairs: number): void {
    this.since += pairs;
    if (this.since < LOOK_EVERY) return;
    this.since = 0;
    if (process.memoryUsage.rss() > this.limit) this.collect();
  }

  /** At the end of a phase that made garbage: the next starts from what is live. */
  collect(): void {
    this.since = 0;
    Bun.gc(true);
    const left = process.memoryUsage.rss();
    this.limit = Math.max(RSS_BUDGET, left + Math.max(ROOM, left * ROOM_SHARE));
  }
}
