// Structural cleanup: what a run creates registers its removal right away; removals run (all at
// once) when the run ends, fails, or is interrupted (Ctrl-C, SIGTERM), on their own deadline.
import { errorMessage, InterruptedError, NetdoctorError } from "../errors.ts";
import type { Io } from "./io.ts";

type Finalizer = { what: string; fn: () => Promise<void> };

export class Lifecycle {
  private readonly controller = new AbortController();
  private readonly finalizers: Finalizer[] = [];
  private interruptedBy: string | undefined;

  constructor(private readonly io: Io) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get interrupted(): boolean {
    return this.interruptedBy !== undefined;
  }

  defer(what: string, fn: () => Promise<void>): void {
    this.finalizers.push({ what, fn });
  }

  async run<T>(body: (life: Lifecycle) => Promise<T>): Promise<T> {
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.interruptedBy) {
        this.io.err(`\n${signal} again: exiting now; run 'kubectl netdoctor clean' to remove what is left\n`);
        process.exit(130);
      }
      this.interruptedBy = signal;
      this.io.err(`\n${signal}: stopping, saving what was checked and cleaning up (again to force)\n`);
      this.controller.abort();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    let failure: unknown;
    let result: T | undefined;
    try {
      result = await body(this);
    } catch (err) {
      failure = err;
    }
    const cleanupErrors = await this.finalize();
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    // The first failure leaves as the error; cleanup failures beside it are warnings.
    const [first, ...rest] = failure ? [failure, ...cleanupErrors] : cleanupErrors;
    for (const err of rest) this.io.err(`warning: ${errorMessage(err)}\n`);
    if (first) throw first;
    if (this.interruptedBy) throw new InterruptedError(this.interruptedBy);
    return result as T;
  }

  /** Finalizers are independent (one per cluster's floaters), so they run at once. */
  private async finalize(): Promise<unknown[]> {
    const settled = await Promise.allSettled(this.finalizers.map((f) => f.fn()));
    const errors = settled.flatMap((r, k) => {
      if (r.status === "fulfilled") return [];
      const hint = `${this.finalizers[k]!.what} failed: ${errorMessage(r.reason)}; run 'kubectl netdoctor clean' to remove what is left`;
      // A cluster's refusal keeps its exit code with the hint; anything else is a bug and stays one.
      return [r.reason instanceof NetdoctorError ? new NetdoctorError(hint, r.reason.exitCode) : r.reason];
    });
    this.finalizers.length = 0;
    return errors;
  }
}
