// The one way netdoctor waits for something in a cluster: look, decide, sleep, until it is so, the
// deadline passes or the run is cancelled. The caller decides what a timeout means (an error, a
// warning, or a partial answer) and words it with the last state seen. A look the API server
// never answers does not hold the wait: it is given up at the deadline or on cancellation.

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

/** The last state seen: none when not even the first look was answered in time. */
export type PollOutcome<S> = { met: true; state: S } | { met: false; state: S | undefined };

/** Looks at least once (a look that answers at once counts, however short the timeout); returns
 * at the deadline or on cancellation even while a look is still unanswered. */
export async function poll<S>(o: PollOptions<S>): Promise<PollOutcome<S>> {
  const deadline = Date.now() + o.timeoutMs;
  let state: S | undefined;
  for (;;) {
    const looked = await within(o.look(), deadline - Date.now(), o.signal);
    if (!looked) return { state, met: false };
    state = looked.value;
    o.onLook?.(state);
    if (o.done(state)) return { state, met: true };
    if (Date.now() >= deadline || o.signal?.aborted) return { state, met: false };
    const pause = Math.min(o.intervalMs ?? 500, deadline - Date.now());
    // A pause, cut short by cancellation.
    await within(Bun.sleep(pause), pause, o.signal);
  }
}

/** What `work` gives, or undefined once `ms` have passed or `signal` aborted first. The work is
 * not stopped (an API request ends on its own time limit): its late answer or failure is ignored.
 * An answer already there wins over a deadline already passed. */
export async function within<T>(work: Promise<T>, ms: number, signal?: AbortSignal): Promise<{ value: T } | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const givenUp = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), signal?.aborted ? 0 : Math.max(0, ms));
    onAbort = () => resolve(undefined);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  try {
    return await Promise.race([work.then((value) => ({ value })), givenUp]);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort!);
  }
}

export function timeoutMessage(what: string, timeoutMs: number, lastSeen?: string): string {
  return `timed out after ${Math.round(timeoutMs / 100) / 10}s waiting for ${what}${lastSeen ? ` (last seen: ${lastSeen})` : ""}`;
}
