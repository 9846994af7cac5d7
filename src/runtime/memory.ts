// Garbage is collected on a schedule while verdicts pour in. Bun's collector lets it pile up
// while execs land back to back: at 2,500 nodes 400 MB of heap held 44 MB of live data (each
// pair leaves about 300 bytes: its probe, script text, output line and verdict). A full
// collection every so many pairs keeps the peak near what is live (the result set and the
// sources in flight), at a few milliseconds each.

/** Pairs between two collections: about 50 MB of garbage (an eden collection, Bun.gc(false), freed nothing measurable). */
export const PAIRS_PER_COLLECTION = 100_000;

export class GarbagePacer {
  private since = 0;
  constructor(private readonly every = PAIRS_PER_COLLECTION) {}

  /** `pairs` more verdicts were handled (and their garbage made). */
  handled(pairs: number): void {
    this.since += pairs;
    if (this.since >= this.every) this.collect();
  }

  /** At the end of a phase that made garbage: the next starts from what is live. */
  collect(): void {
    this.since = 0;
    Bun.gc(true);
  }
}
