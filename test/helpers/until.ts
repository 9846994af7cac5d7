// Tests wait for a condition, never for a guessed time: a sleep long enough on an idle machine is
// too short on a loaded one, and too long everywhere else. Built on the product's own poll().
import { poll, timeoutMessage } from "../../src/runtime/poll.ts";

/** Resolves once `cond` holds, looking every `intervalMs`; throws once `timeoutMs` has passed. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 5_000, intervalMs = 1): Promise<void> {
  const { met } = await poll({ look: async () => cond(), done: (held) => held, timeoutMs, intervalMs });
  if (!met) throw new Error(timeoutMessage(what, timeoutMs));
}
