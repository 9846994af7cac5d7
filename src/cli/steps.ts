// Steps shared by check and resume: floaters up in every cluster of the run, probe the plan with
// progress, and finish (save the results, print the report, pick the exit code).
import type { Settings } from "../config/settings.ts";
import { ExitCode } from "../errors.ts";
import type { KubeApi } from "../kube/client.ts";
import { createExec } from "../kube/exec.ts";
import { ProbeQueue, runProbes, type RunOptions, type RunStats } from "../probe/run.ts";
import { SilentTargets } from "../probe/silence.ts";
import { pairsOf, planLegs, type ClusterFloaters, type Leg, type PlanOptions } from "../probe/plan.ts";
import type { Floater, Verdict } from "../probe/types.ts";
import { accessIn, bringUpFloaters, chooseNodes, floaterSpec, permissionsProblem, servicesOf, settled, type FloaterPlan, type FloatersUp } from "../floater/session.ts";
import { floaterObjects } from "../floater/manifests.ts";
import { describeCheck, grantCommand } from "../floater/permissions.ts";
import { renderDryRun, type DryRunCluster } from "../report/dryrun.ts";
import type { Progress } from "../report/progress.ts";
import { writeReport, writeReportFile } from "../report/render.ts";
import { problemsFound, type ResultsDocument } from "../results/document.ts";
import { ResultSet } from "../results/set.ts";
import { saveResults } from "../results/store.ts";
import { useColor, type Io } from "../runtime/io.ts";
import type { Lifecycle } from "../runtime/lifecycle.ts";
import type { ReportFiles } from "./flags.ts";
import { plural } from "../words.ts";

/** The clusters of a run: one, or two for a cross-cluster check. */
export interface Clusters {
  source: KubeApi;
  destination?: KubeApi;
}

export function clusterList(c: Clusters): KubeApi[] {
  return c.destination ? [c.source, c.destination] : [c.source];
}

/** What the run would do in every cluster, found without changing anything; `nodes` narrows each
 * cluster to the given names (resume: names it does not have are left out); `keptRun` is a --keep
 * run being resumed, whose floaters are not in the way. */
export async function planRun(clusters: Clusters, settings: Settings, nodes?: string[], keptRun?: string): Promise<FloaterPlan[]> {
  const apis = clusterList(clusters);
  // Permissions first: without them even listing the nodes fails, and all that is missing in
  // every cluster is to be said at once.
  const access = await Promise.all(apis.map((api) => accessIn(api, settings, keptRun)));
  const nodesKnown = access.every((a) => !a.missing.some((c) => c.resource === "nodes"));
  const choices = nodesKnown ? await chooseNodes(apis, settings, nodes) : apis.map(() => ({ all: [], selected: [] }));
  return apis.map((api, k) => ({ api, ...access[k]!, nodes: choices[k]!, nodesKnown }));
}

/** Stop before anything is created when a permission is missing in any cluster. */
export function assertPermitted(plans: FloaterPlan[]): void {
  const problem = permissionsProblem(plans);
  if (problem) throw problem;
}

export function imageRepositoryOf(settings: Settings, k: number): string {
  return k === 0 ? settings.imageRepository : settings.dstImageRepository || settings.imageRepository;
}

/** Floaters up in every cluster of the run, under one run id; each registers its own removal. */
export async function floatersUp(plans: FloaterPlan[], settings: Settings, life: Lifecycle, progress: Progress, runId: string): Promise<FloatersUp[]> {
  const up: FloatersUp[] = [];
  for (const [k, plan] of plans.entries()) {
    up.push(await bringUpFloaters(plan, settings, life, progress, { runId, imageRepository: imageRepositoryOf(settings, k) }));
  }
  return up;
}

/** The legs of a run from the floaters it brought up (or reused) in each cluster, with `opts`
 * (the settings, sampled or narrowed by the caller); `fresh`: a wave of floaters that came late. */
export function legsOf(opts: PlanOptions, direction: Settings["direction"], clusters: Clusters, up: FloatersUp[], fresh?: (f: Floater) => boolean): Leg[] {
  const [here, there] = up.map((u): Omit<ClusterFloaters, "context"> => ({
    floaters: u.ready,
    ...(u.services ? { services: u.services } : {}),
    // The sample is drawn over every node awaited, so it does not depend on who came first.
    ...(u.stragglers ? { nodes: [...new Set([...u.ready, ...u.stragglers.awaited].map((f) => f.node))] } : {}),
  }));
  const { source, destination } = clusters;
  return planLegs(opts, direction, { context: source.target.contextName, ...here! },
    there && destination ? { context: destination.target.contextName, ...there } : undefined, fresh);
}

/** How a run plans its probes: of every floater ready, or (`fresh`) of a wave that came late. */
export type PlanWave = (up: FloatersUp[], fresh?: (f: Floater) => boolean) => Leg[];

/** Probe the floaters that are ready; while they are probed, the rest are watched, and each group
 * that comes joins the probing (it probes every floater, the others probe it). Every verdict goes
 * into one result set as its exec lands. Gives the floaters as they
 * ended: the late ones among the ready, and those that never came. */
export async function probeAll(planWave: PlanWave, up: FloatersUp[], clusters: Clusters, settings: Settings, life: Lifecycle, progress: Progress): Promise<{ results: ResultSet; stats: RunStats; floaters: FloatersUp[] }> {
  // The matrices are made for every floater awaited, those still coming too.
  const results = new ResultSet(up.flatMap((u) => [...u.ready, ...(u.stragglers?.awaited ?? [])]));
  const apis = clusterList(clusters);
  let coming = up.reduce((n, u) => n + (u.stragglers?.awaited.length ?? 0), 0);
  let [total, done, failed] = [0, 0, 0];
  const waitingLine = () => progress.phase(`probed ${done} of ${total} pairs; waiting for ${plural(coming, "floater")} still coming (up to ${settings.podWaitTimeout}s from their deployment)`);
  const onVerdicts = (batch: Verdict[]) => {
    // The set keeps no verdict: each probe is freed once run.
    for (const v of batch) {
      results.add(v);
      if (v.status !== "Succeeded") failed++;
    }
    done += batch.length;
    progress.probes(done, total, failed);
    if (done === total && coming > 0) waitingLine();
  };
  // One queue of execs per cluster's API for the whole run. A wave of stragglers joins it: their
  // own execs go first; the others' probes of them join those others' execs not started yet (at
  // no cost), else queue last, where later waves join them in turn.
  const runs = new Map<string, { queue: ProbeQueue; stats: Promise<RunStats> }>();
  const enqueue = (legs: Leg[], fresh?: Set<Floater>) => {
    total += pairsOf(legs);
    for (const leg of legs) {
      let run = runs.get(leg.context);
      if (!run) {
        const queue = new ProbeQueue(settings.strategy);
        const api = apis.find((a) => a.target.contextName === leg.context)!;
        run = { queue, stats: runProbes(queue, createExec(api.target), runOptions(settings, life, results), onVerdicts) };
        // Awaited once the stragglers are done with; a failure (a bug) leaves from there.
        run.stats.catch(() => {});
        runs.set(leg.context, run);
      }
      if (!fresh) run.queue.add(leg.plans);
      else {
        run.queue.add(leg.plans.filter((p) => fresh.has(p.source)), true);
        run.queue.join(leg.plans.filter((p) => !fresh.has(p.source)));
      }
    }
  };

  const first = planWave(up);
  const how = settings.strategy === "fanout" ? "one exec per source" : "one exec per pair";
  // Said before any exec can land (they land after an await).
  enqueue(first);
  progress.phase(`probing ${total} pairs from ${first.reduce((n, l) => n + l.plans.length, 0)} floaters (${how}, ${settings.concurrency ? `${settings.concurrency} at a time` : "as many at a time as the API server takes"}${first.length > 1 ? " per cluster" : ""})`);
  if (total === 0 && coming > 0) waitingLine();
  let floaters = up;
  const next = arrivalsOf(up);
  try {
    while (coming > 0 && !life.signal.aborted) {
      const got = await next();
      if (!got) break;
      coming -= got.floaters.length;
      const grown = { ...floaters[got.k]!, ready: [...floaters[got.k]!.ready, ...got.floaters] };
      // The run's Services take the newcomers as endpoints first (svc, nodeport).
      if (grown.services) grown.services = await servicesOf(apis[got.k]!, settings, grown.runId, grown, progress, life.signal);
      floaters = floaters.map((x, k) => (k === got.k ? grown : x));
      const fresh = new Set(got.floaters);
      const wave = planWave(floaters, (f) => fresh.has(f));
      // A line of its own (a phase), then the probing's count again.
      progress.phase(`${plural(got.floaters.length, "floater")} came late: ${got.floaters.map((f) => f.node).join(", ")}; probing their ${pairsOf(wave)} pairs too`);
      enqueue(wave, fresh);
      progress.phase(`probing ${total} pairs`);
    }
  } finally {
    for (const run of runs.values()) run.queue.close();
  }
  const stats = await Promise.all([...runs.values()].map((r) => r.stats));
  progress.done(`probed ${done} of ${total} pairs${coming > 0 && !life.signal.aborted ? `; ${plural(coming, "floater")} never came (see the skipped nodes)` : ""}`);
  const sum = (f: (s: RunStats) => number) => stats.reduce((n, s) => n + f(s), 0);
  return { results, stats: { execs: sum((s) => s.execs), retries: sum((s) => s.retries), confirmations: sum((s) => s.confirmations) }, floaters: floaters.map(settled) };
}

function runOptions(settings: Settings, life: Lifecycle, results: ResultSet): RunOptions {
  return {
    concurrency: settings.concurrency,
    strategy: settings.strategy,
    script: { timeout: settings.timeout, pingCount: settings.pingCount, lanes: settings.probeConcurrency },
    retries: 2,
    signal: life.signal,
    // Whether anyone reached a target: the verdicts of every leg so far.
    silence: new SilentTargets((p) => results.answeredTo(p)),
  };
}


/** The next group of stragglers in any cluster of the run; undefined once none will come. */
function arrivalsOf(up: FloatersUp[]): () => Promise<{ k: number; floaters: Floater[] } | undefined> {
  const open = new Set(up.flatMap((u, k) => (u.stragglers?.awaited.length ? [k] : [])));
  const pending = new Map<number, Promise<{ k: number; floaters: Floater[] }>>();
  return async () => {
    while (open.size) {
      for (const k of open) if (!pending.has(k)) pending.set(k, up[k]!.stragglers!.arrivals().then((floaters) => ({ k, floaters })));
      const got = await Promise.race(pending.values());
      pending.delete(got.k);
      if (got.floaters.length) return got;
      open.delete(got.k);
    }
    return undefined;
  };
}

/** Save, write the report files asked for, print, and say whether something is broken. `extra`
 * is printed after the report. */
export function finishRun(doc: ResultsDocument, file: string, output: Settings["output"], io: Io, files: ReportFiles, extra = ""): ExitCode {
  saveResults(file, doc);
  // Said before the report, so a large report on a shared pipe (2>&1) is never split by it.
  io.err(`results saved to ${file}\n`);
  writeReportFiles(doc, files, io);
  writeReport(doc, output, { write: io.out }, { columns: io.columns, color: useColor(io) });
  if (output === "table" || output === "wide") io.out(extra);
  return problemsFound(doc) ? ExitCode.ProblemsFound : ExitCode.Ok;
}

/** --html / --junit: the same results as files beside the normal output. */
export function writeReportFiles(doc: ResultsDocument, files: ReportFiles, io: Io): void {
  for (const format of ["html", "junit"] as const) {
    const path = files[format];
    if (!path) continue;
    writeReportFile(doc, format, path);
    io.err(`${format === "html" ? "HTML report" : "JUnit XML"} written to ${path}\n`);
  }
}

/** --dry-run: say what the run would create and which permissions it lacks; change nothing.
 * Exits as the real run would before creating anything: 3 when a permission is missing. */
export function showDryRun(plans: FloaterPlan[], settings: Settings, runId: string, io: Io): ExitCode {
  const clusters = plans.map((plan, k): DryRunCluster => {
    const objects = floaterObjects(floaterSpec(plan, settings, { runId, imageRepository: imageRepositoryOf(settings, k) }));
    return {
      context: plan.api.target.contextName,
      server: plan.api.target.server,
      ...(plan.namespaceExists ? {} : { namespace: objects.namespace }),
      serviceAccount: objects.serviceAccount,
      daemonSets: objects.daemonSets,
      services: objects.services,
      nodes: plan.nodes.selected,
      nodesKnown: plan.nodesKnown,
      missing: plan.missing.map(describeCheck),
      ...(plan.missing.length ? { grant: grantCommand(plan.missing, plan.user, plan.namespaceExists) } : {}),
    };
  });
  io.out(renderDryRun(clusters, settings.output));
  return plans.some((p) => p.missing.length) ? ExitCode.Cluster : ExitCode.Ok;
}
