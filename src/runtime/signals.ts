// Ctrl-C and SIGTERM, for a command that runs something cancellable: the first asks it to stop
// (it saves what it has and removes what it made), the second leaves at once.
import type { Io } from "./io.ts";

export interface Interruptible<T> {
  value: T;
  /** The signal that cancelled the work, if one did. */
  interruptedBy?: NodeJS.Signals;
}

export async function interruptible<T>(io: Io, work: (signal: AbortSignal) => Promise<T>): Promise<Interruptible<T>> {
  const controller = new AbortController();
  let interruptedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interruptedBy) {
      io.err(`\n${signal} again: exiting now; run 'kubectl netdoctor clean' to remove what is left\n`);
      process.exit(130);
    }
    interruptedBy = signal;
    io.err(`\n${signal}: stopping, saving what was checked and cleaning up (again to force)\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  try {
    const value = await work(controller.signal);
    return { value, ...(interruptedBy ? { interruptedBy } : {}) };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
