// The one way netdoctor waits for something in a cluster: look, decide, sleep, until it is so, the
// deadline passes or the run is cancelled. The caller decides what a timeout means (an error, a
// warning, or a partial answer) and words it with the last state seen.

export interface PollOptions<S> {
  /** One look at the world. */
  look: () => Promise<S>;
  /** Whether what was seen is what we wait for. */
  done: (state: S) => boolean;
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Called with every state seen (progress). */
  onLook?: (state: S) => void;
}

export interface PollOutcome<S> {
  /** The last state seen. */
  state: S;
  met: boolean;
}

/** Looks at least once, however short the timeout. */
export async function poll<S>(o: PollOptions<S>): Promise<PollOutcome<S>> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const state = await o.look();
    o.onLook?.(state);
    if (o.done(state)) return { state, met: true };
    if (Date.now() >= deadline || o.signal?.aborted) return { state, met: false };
    await Bun.sleep(Math.min(o.intervalMs ?? 500, Math.max(0, deadline - Date.now())));
  }
}

export function timeoutMessage(what: string, timeoutMs: number, lastSeen?: string): string {
  return `timed out after ${Math.round(timeoutMs / 100) / 10}s waiting for ${what}${lastSeen ? ` (last seen: ${lastSeen})` : ""}`;
}
