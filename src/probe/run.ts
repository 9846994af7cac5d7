// Runs the plan: one exec per source pod (fanout) or one per pair (pair, as netctl did), at most
// `concurrency` at once, retrying exec hiccups a bounded number of times. Verdicts are handed to
// onVerdicts as each exec lands, so nothing waits for the slowest source. The exec function is
// injected: this module never talks to the API itself.
import type { Strategy } from "../config/settings.ts";
import { execFailureReason, ExecTransportError, shouldRetry, type ExecFn } from "../kube/exec.ts";
import { classify, execFailed } from "./classify.ts";
import { CAP, Pacer } from "./pace.ts";
import { parseOutput } from "./parse.ts";
import type { MemoryPolicy } from "../runtime/memory.ts";
import { scriptOf, type ScriptOptions } from "./script.ts";
import type { SilentTargets } from "./silence.ts";
import type { Floater, Probe, SourcePlan, Verdict } from "./types.ts";

export interface RunOptions {
  /** Execs at once; 0: adapted to the API server (pace.ts). */
  concurrency: number;
  strategy: Strategy;
  script: ScriptOptions;
  /** Retries of an exec that failed in transit (throttling, dropped connection); never of one
   * whose kubelet could not be reached (exec.ts: shouldRetry). */
  retries: number;
  signal?: AbortSignal;
  /** Backoff before retry n (1-based), in ms. */
  backoffMs?: (attempt: number) => number;
  /** Targets found silent (silence.ts): each exec's probes are marked by it before they run, and
   * its verdicts are told to it once handed over. */
  silence?: SilentTargets;
  /** Told how many verdicts were handled, and when the run ends: the process's garbage policy
   * (runtime/memory.ts), which is the caller's to choose. */
  memory?: MemoryPolicy;
}


export interface RunStats {
  execs: number;
  retries: number;
  /** Probes whose first failure was confirmed by a second try (passed or not). */
  confirmations: number;
}

/** What one exec runs: a whole source plan (fanout), or one probe of it (pair). */
interface Unit {
  source: Floater;
  probes(): Probe[];
}

export function unitsOf(plans: SourcePlan[], strategy: Strategy): Unit[] {
  const withProbes = plans.filter((p) => p.count > 0);
  if (strategy === "fanout") return withProbes;
  return withProbes.flatMap((p) => p.probes().map((probe) => ({ source: p.source, probes: () => [probe] })));
}

/** The execs of a run, to which later waves add theirs (stragglers that came) until it is closed.
 * A source's probes of a later wave join its exec when that has not started yet. */
export class ProbeQueue {
  private slots: { unit: Unit }[] = [];
  private next = 0;
  private closed = false;
  private waiting: (() => void)[] = [];
  /** Per source pod, an exec of it not taken yet. */
  private pending = new Map<string, { unit: Unit }>();

  constructor(private readonly strategy: Strategy) {}

  /** `first`: ahead of those not yet taken (a straggler's own exec does not wait for the rest of
   * a long first wave). */
  add(plans: SourcePlan[], first = false): void {
    const slots = unitsOf(plans, this.strategy).map((unit) => ({ unit }));
    for (const slot of slots) this.pending.set(podKey(slot.unit.source), slot);
    const left = this.slots.slice(this.next);
    this.slots = first ? [...slots, ...left] : [...left, ...slots];
    this.next = 0;
    this.wake();
  }

  /** Probes for sources that may be waiting here already: each joins its source's exec not yet
   * taken (one exec, not two), else queues last; later ones join it there in turn. */
  join(plans: SourcePlan[]): void {
    const rest: SourcePlan[] = [];
    for (const plan of plans) {
      const slot = this.strategy === "fanout" && plan.count > 0 ? this.pending.get(podKey(plan.source)) : undefined;
      if (slot) slot.unit = joined(slot.unit, plan);
      else rest.push(plan);
    }
    this.add(rest);
  }

  /** No more will be added: takers get undefined once it is empty. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /** How many are known to come, when it is closed (else undefined). */
  get size(): number | undefined {
    return this.closed ? this.slots.length - this.next : undefined;
  }

  /** Closed, and every exec taken. */
  get drained(): boolean {
    return this.closed && this.next >= this.slots.length;
  }

  /** The next exec; waits for one while the queue is open. */
  async take(): Promise<Unit | undefined> {
    while (this.next >= this.slots.length) {
      if (this.closed) return undefined;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    const slot = this.slots[this.next++]!;
    const key = podKey(slot.unit.source);
    if (this.pending.get(key) === slot) this.pending.delete(key);
    return slot.unit;
  }

  private wake(): void {
    for (const resolve of this.waiting.splice(0)) resolve();
  }
}

const podKey = (f: Floater) => `${f.cluster}/${f.namespace}/${f.pod}`;

/** One exec of both: the second's probe ids follow the first's (ids are unique within an exec). */
function joined(a: Unit, b: SourcePlan): Unit {
  return {
    source: a.source,
    probes: () => {
      const first = a.probes();
      const offset = first.reduce((m, p) => Math.max(m, p.id), 0);
      return [...first, ...b.probes().map((p) => ({ ...p, id: p.id + offset }))];
    },
  };
}

/** `work`: the plans, or a queue that later waves add to (closed by its owner). */
export async function runProbes(work: SourcePlan[] | ProbeQueue, exec: ExecFn, opts: RunOptions, onVerdicts: (v: Verdict[]) => void): Promise<RunStats> {
  const queue = work instanceof ProbeQueue ? work : new ProbeQueue(opts.strategy);
  if (Array.isArray(work)) {
    queue.add(work);
    queue.close();
  }
  // A cancelled run takes nothing more (and no worker waits on for a wave).
  opts.signal?.addEventListener("abort", () => queue.close(), { once: true });
  const pacer = opts.concurrency > 0 ? undefined : new Pacer();
  const stats: RunStats = { execs: 0, retries: 0, confirmations: 0 };
  const garbage = opts.memory ?? { handled: () => {}, collect: () => {} };
  const backoff = opts.backoffMs ?? ((n) => 500 * 2 ** (n - 1));

  // Verdicts in plan (id) order, whatever order the probes ran and were re-run in. Ids count a
  // plan's probes: placed by id, not sorted by comparison (5,000 a source at 5,000 nodes).
  const inPlanOrder = (verdicts: Verdict[]) => {
    let max = 0;
    for (const v of verdicts) max = Math.max(max, v.probe.id);
    if (max > 4 * verdicts.length + 64) return verdicts.sort((a, b) => a.probe.id - b.probe.id);
    const byId: (Verdict | undefined)[] = new Array(max + 1);
    for (const v of verdicts) byId[v.probe.id] = v;
    return byId.filter((v): v is Verdict => v !== undefined);
  };
  const runUnit = async (unit: Unit): Promise<Verdict[]> => {
    let probes = unit.probes();
    opts.silence?.mark(probes);
    const verdicts: Verdict[] = [];
    const pod = { namespace: unit.source.namespace, name: unit.source.pod, container: "floater" };
    for (let attempt = 0; ; attempt++) {
      stats.execs++;
      const lastTry = attempt >= opts.retries || opts.signal?.aborted;
      // Only the exec is guarded: what fails in it says nothing about the network (an Error
      // verdict); a failure in parsing or classifying is a bug and leaves as one (exit 4).
      let stdout: string;
      try {
        const { script, deadlineMs } = scriptOf(probes, opts.script);
        const result = await exec(pod, ["sh", "-c", script], deadlineMs, (setupMs) => pacer?.opened(setupMs));
        pacer?.finished();
        stdout = result.stdout;
      } catch (err) {
        if (!(err instanceof ExecTransportError)) throw err;
        if (err.throttled) pacer?.throttled();
        // A kubelet that could not be reached is not retried: each try waits as long again.
        if (!shouldRetry(err, !!lastTry)) return inPlanOrder([...verdicts, ...execFailed(probes, execFailureReason(err, unit.source.hostIps[0]))]);
        stats.retries++;
        await Bun.sleep(backoff(attempt + 1));
        continue;
      }
      const raw = parseOutput(stdout);
      // An exec that ended without some probes' lines (seen once in 500 execs on an overloaded
      // machine: two lanes cut short) runs those probes again rather than report them untested.
      const missing: Probe[] = [];
      const timeout = opts.script.timeout;
      for (const p of probes) {
        const outcome = raw[p.id];
        if (outcome === undefined) {
          missing.push(p);
          if (lastTry) verdicts.push(classify(p, undefined, timeout));
          continue;
        }
        if (outcome.confirmed) stats.confirmations++;
        verdicts.push(classify(p, outcome, timeout));
      }
      if (missing.length === 0 || lastTry) return inPlanOrder(verdicts);
      probes = missing;
      stats.retries++;
    }
  };

  // Adaptive: CAP workers, of which those numbered below the pacer's limit take work.
  const worker = async (index: number) => {
    while (!opts.signal?.aborted && !queue.drained) {
      if (pacer && index >= pacer.limit) {
        await Bun.sleep(50);
        continue;
      }
      const unit = await queue.take();
      if (!unit) return;
      const verdicts = await runUnit(unit);
      if (opts.signal?.aborted) return; // partial: the run is being cancelled
      onVerdicts(verdicts);
      opts.silence?.record(verdicts);
      garbage.handled(verdicts.length);
    }
  };
  const workers = Array.from({ length: Math.min(pacer ? CAP : opts.concurrency, queue.size ?? Infinity) }, (_, k) => worker(k));
  if (opts.signal) {
    // On cancel, stop waiting for execs in flight.
    const aborted = new Promise<void>((resolve) => opts.signal!.addEventListener("abort", () => resolve(), { once: true }));
    await Promise.race([Promise.all(workers), aborted]);
  } else {
    await Promise.all(workers);
  }
  garbage.collect();
  return stats;
}
