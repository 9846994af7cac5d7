// What a run created registers its removal at once; when the run ends, however it ends, every
// removal runs (at once: one per cluster) within a bounded time. What could not be removed in time
// or at all is named, with the command that finishes the job: a run never hangs on its cleanup.
import { errorMessage } from "../errors.ts";

/** How long removal may take in all: deleting a run's objects is a handful of calls per cluster
 * (0.2-0.3 s at 500 nodes); the rest is the API server's, and `clean` waits for it. */
export const REMOVAL_BUDGET_MS = 30_000;

interface Removal {
  /** What is left if this fails: "the floaters of run x in context 'a' (namespace netdoctor)". */
  what: string;
  /** How to finish by hand: a `kubectl netdoctor clean ...` line. */
  finish: string;
  remove: () => Promise<void>;
}

export class Teardown {
  private readonly removals: Removal[] = [];

  add(removal: Removal): void {
    this.removals.push(removal);
  }

  /** Runs every removal; gives one sentence for each that failed or did not end in `budgetMs`. */
  async run(budgetMs = REMOVAL_BUDGET_MS): Promise<string[]> {
    const pending = this.removals.splice(0);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outOfTime = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), budgetMs)));
    const outcomes = await Promise.all(pending.map((r) =>
      Promise.race([r.remove().then(() => undefined, (err: unknown) => `failed: ${errorMessage(err)}`), outOfTime])));
    clearTimeout(timer);
    return pending.flatMap((r, k) => {
      const o = outcomes[k];
      if (o === undefined) return [];
      const why = o === "late" ? `not done after ${Math.round(budgetMs / 100) / 10}s` : o;
      return [`removing ${r.what} ${why}; left in the cluster: run '${r.finish}' to remove it`];
    });
  }
}
