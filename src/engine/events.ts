// What a run tells while it goes: phases, where a phase is, and the probes' count. The engine only
// says; the CLI renders (a spinner, plain lines, nothing), a test records.
export interface RunEvents {
  phase(text: string): void;
  /** Where the current phase is ("37/100 ready"). */
  update(text: string): void;
  probes(done: number, total: number, failed: number): void;
  /** The current phase ended (with a closing line). */
  done(text?: string): void;
}

export const noEvents: RunEvents = { phase: () => {}, update: () => {}, probes: () => {}, done: () => {} };
