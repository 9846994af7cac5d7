// What a run created registers its removal at once; when the run ends, however it ends, every
// removal runs (at once: one per cluster) within a bounded time. What could not be removed in time
// or at all is named, with the command that finishes the job: a run never hangs on its cleanup.
import { errorMessage } from "../errors.ts";
import { LeftBehindError, REMOVAL_DEADLINE_MS } from "../floater/leftovers.ts";

/** Past a removal's own deadline, how long it may take to say what it left before it is given up
 * on without knowing. */
const GRACE_MS = 1_000;

interface Removal {
  /** What is left if this fails: "the floaters of run x in context 'a' (namespace netdoctor)". */
  what: string;
  /** How to finish by hand: a `kubectl netdoctor clean ...` line. */
  finish: string;
  /** Removes, within `deadlineMs`; past it, throws a LeftBehindError naming what is left. */
  remove: (deadlineMs: number) => Promise<void>;
}

export class Teardown {
  private readonly removals: Removal[] = [];

  add(removal: Removal): void {
    this.removals.push(removal);
  }

  /** Runs every removal; gives one sentence for each that failed or did not end in `budgetMs`. */
  async run(budgetMs = REMOVAL_DEADLINE_MS): Promise<string[]> {
    const pending = this.removals.splice(0);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const outOfTime = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), budgetMs + GRACE_MS)));
    const outcomes = await Promise.all(pending.map((r) =>
      Promise.race([r.remove(budgetMs).then(() => undefined, (err: unknown) => err), outOfTime])));
    clearTimeout(timer);
    return pending.flatMap((r, k) => {
      const o = outcomes[k];
      if (o === undefined) return [];
      // A removal that ran out of time says itself what it left and how to finish.
      if (o instanceof LeftBehindError) return [o.message];
      const why = o === "late" ? `not done after ${Math.round(budgetMs / 100) / 10}s` : `failed: ${errorMessage(o)}`;
      return [`removing ${r.what} ${why}; left in the cluster: finish with: ${r.finish}`];
    });
  }
}
