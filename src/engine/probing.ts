// Probing: the floaters ready are probed at once; while they are, the stragglers are watched, and
// each group that comes joins the probing (it probes every floater, the others probe it). Every
// verdict goes into one result set as its exec lands. Whatever goes wrong once probing began (an
// API call of a later wave, a bug) stops the probing and is handed back beside the verdicts so
// far: they are never thrown away.
import { ProbeQueue, runProbes, type RunOptions, type RunStats } from "../probe/run.ts";
import { SilentTargets } from "../probe/silence.ts";
import { pairsOf, type Leg } from "../probe/plan.ts";
import type { Floater, Verdict } from "../probe/types.ts";
import { ResultSet } from "../results/set.ts";
import { plural } from "../words.ts";
import { servicesOf, settle, type Context, type RunFloaters } from "./floaters.ts";
import type { RunCluster } from "./clusters.ts";
import { ExecTransportError, type ExecFn } from "../kube/exec.ts";
import { ClusterError, errorMessage } from "../errors.ts";

/** How a run plans its probes: of every floater ready, or (`fresh`) of a wave that came late. */
export type PlanWave = (up: RunFloaters[], fresh?: (f: Floater) => boolean) => Leg[];

export interface Probed {
  results: ResultSet;
  stats: RunStats;
  /** Each cluster's floaters as they ended: the late ones among the ready, those that never came
   * among the not ready. */
  floaters: RunFloaters[];
  /** What stopped the probing early, if anything but the caller's signal. */
  error?: unknown;
}

export async function probeAll(planWave: PlanWave, up: RunFloaters[], c: Context): Promise<Probed> {
  const { config, events } = c;
  // The matrices are made for every floater awaited, those still coming too.
  const results = new ResultSet(up.flatMap((u) => [...u.ready, ...(u.stragglers?.awaited ?? [])]));
  // Stops the probing on the caller's signal, or on a failure of the run's own.
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  c.signal.addEventListener("abort", onAbort, { once: true });
  let coming = up.reduce((n, u) => n + (u.stragglers?.awaited.length ?? 0), 0);
  let [total, done, failed] = [0, 0, 0];
  const waitingLine = () => events.phase(`probed ${done} of ${total} pairs; waiting for ${plural(coming, "floater")} still coming (up to ${config.podWaitTimeout}s from their deployment)`);
  const onVerdicts = (batch: Verdict[]) => {
    // The set keeps no verdict: each probe is freed once run.
    for (const v of batch) {
      results.add(v);
      if (v.status !== "Succeeded") failed++;
    }
    done += batch.length;
    events.probes(done, total, failed);
    if (done === total && coming > 0) waitingLine();
  };
  const options: RunOptions = {
    concurrency: config.concurrency,
    strategy: config.strategy,
    script: { timeout: config.timeout, pingCount: config.pingCount, lanes: config.probeConcurrency },
    retries: 2,
    signal: stop.signal,
    // Whether anyone reached a target: the verdicts of every leg so far.
    silence: new SilentTargets((p) => results.answeredTo(p)),
    ...(c.memory ? { memory: c.memory } : {}),
  };
  // One queue of execs per cluster for the whole run, keyed by the run's name of the cluster
  // (never by context name: two kubeconfigs may share those). A wave of stragglers joins it: their
  // own execs go first; the others' probes of them join those others' execs not started yet (at no
  // cost), else queue last, where later waves join them in turn.
  const runs = new Map<string, { queue: ProbeQueue; stats: Promise<RunStats> }>();
  let error: unknown;
  const fail = (err: unknown) => {
    error ??= err;
    stop.abort();
  };
  const enqueue = (legs: Leg[], fresh?: Set<Floater>) => {
    total += pairsOf(legs);
    for (const leg of legs) {
      let run = runs.get(leg.cluster);
      if (!run) {
        const cluster = up.find((u) => u.cluster.name === leg.cluster)!.cluster;
        const queue = new ProbeQueue(config.strategy);
        run = { queue, stats: runProbes(queue, apiMindful(cluster), options, onVerdicts) };
        run.stats.catch(fail);
        runs.set(leg.cluster, run);
      }
      if (!fresh) run.queue.add(leg.plans);
      else {
        run.queue.add(leg.plans.filter((p) => fresh.has(p.source)), true);
        run.queue.join(leg.plans.filter((p) => !fresh.has(p.source)));
      }
    }
  };

  let floaters = up;
  try {
    const first = planWave(up);
    const how = config.strategy === "fanout" ? "one exec per source" : "one exec per pair";
    // Said before any exec can land (they land after an await).
    enqueue(first);
    events.phase(`probing ${total} pairs from ${first.reduce((n, l) => n + l.plans.length, 0)} floaters (${how}, ${config.concurrency ? `${config.concurrency} at a time` : "as many at a time as the API server takes"}${first.length > 1 ? " per cluster" : ""})`);
    if (total === 0 && coming > 0) waitingLine();
    const next = arrivalsOf(up, stop.signal);
    while (coming > 0 && !stop.signal.aborted) {
      const got = await next();
      if (!got) break;
      coming -= got.floaters.length;
      const grown = { ...floaters[got.k]!, ready: [...floaters[got.k]!.ready, ...got.floaters] };
      // The run's Services take the newcomers as endpoints first (svc, nodeport).
      if (grown.services) grown.services = await servicesOf(grown, { ...c, signal: stop.signal });
      floaters = floaters.map((x, k) => (k === got.k ? grown : x));
      const fresh = new Set(got.floaters);
      const wave = planWave(floaters, (f) => fresh.has(f));
      // A line of its own (a phase), then the probing's count again.
      events.phase(`${plural(got.floaters.length, "floater")} came late: ${got.floaters.map((f) => f.node).join(", ")}; probing their ${pairsOf(wave)} pairs too`);
      enqueue(wave, fresh);
      events.phase(`probing ${total} pairs`);
    }
  } catch (err) {
    fail(err);
  } finally {
    for (const run of runs.values()) run.queue.close();
  }
  const stats = (await Promise.all([...runs.values()].map((r) => r.stats.catch(() => ({ execs: 0, retries: 0, confirmations: 0 })))));
  c.signal.removeEventListener("abort", onAbort);
  const settled = floaters.map(settle);
  const never = coming > 0 && !stop.signal.aborted ? `; ${plural(coming, "floater")} never came (see the skipped nodes)` : "";
  events.done(`probed ${done} of ${total} pairs${never}`);
  const sum = (f: (s: RunStats) => number) => stats.reduce((n, s) => n + f(s), 0);
  return {
    results, floaters: settled, ...(error !== undefined ? { error } : {}),
    stats: { execs: sum((s) => s.execs), retries: sum((s) => s.retries), confirmations: sum((s) => s.confirmations) },
  };
}

/** The next group of stragglers in any cluster of the run; undefined once none will come or the
 * run is stopped. */
function arrivalsOf(up: RunFloaters[], signal: AbortSignal): () => Promise<{ k: number; floaters: Floater[] } | undefined> {
  const open = new Set(up.flatMap((u, k) => (u.stragglers?.awaited.length ? [k] : [])));
  const pending = new Map<number, Promise<{ k: number; floaters: Floater[] }>>();
  const stopped = new Promise<undefined>((resolve) => {
    if (signal.aborted) resolve(undefined);
    signal.addEventListener("abort", () => resolve(undefined), { once: true });
  });
  return async () => {
    while (open.size && !signal.aborted) {
      for (const k of open) if (!pending.has(k)) pending.set(k, up[k]!.stragglers!.arrivals().then((floaters) => ({ k, floaters })));
      const got = await Promise.race([...pending.values(), stopped]);
      if (!got) return undefined;
      pending.delete(got.k);
      if (got.floaters.length) return got;
      open.delete(got.k);
    }
    return undefined;
  };
}

/** How long the API server has to say it is there, when an exec could not reach it. */
const API_CHECK_MS = 5_000;

/** The cluster's exec, telling an API server that went away from a pod that could not be reached:
 * when an exec's connection to the API server fails, the API server is asked for its version
 * (once for all the execs failing at that moment); if it does not answer either, the run ends
 * with a ClusterError (exit 3) instead of blaming every node's kubelet. */
function apiMindful(cluster: RunCluster): ExecFn {
  let asking: Promise<string | undefined> | undefined;
  const silence = () => {
    asking ??= Promise.race([
      cluster.api.serverVersion().then(() => undefined, (err: unknown) => errorMessage(err)),
      Bun.sleep(API_CHECK_MS).then(() => `no answer within ${API_CHECK_MS / 1000}s`),
    ]).finally(() => setTimeout(() => (asking = undefined), 1_000));
    return asking;
  };
  return async (...args) => {
    try {
      return await cluster.exec(...args);
    } catch (err) {
      if (!(err instanceof ExecTransportError) || !err.apiConnection) throw err;
      const why = await silence();
      const t = cluster.api.target;
      if (why !== undefined) throw new ClusterError(`the API server of context '${t.contextName}' (${t.server}) stopped answering during the run (${why}); the pairs probed until then are kept`);
      throw err;
    }
  };
}
