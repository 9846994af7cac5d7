// kubectl netdoctor resume: re-check only what failed last time (by node names, so re-created
// floaters are found again), say what changed, and update the saved results.
import { SETTING_KEYS, type Settings } from "../../config/settings.ts";
import { ExitCode } from "../../errors.ts";
import { newRunId } from "../../floater/deploy.ts";
import { keptFloaters, servicesOf, type FloaterPlan, type FloatersUp } from "../../floater/session.ts";
import { floaterNetworks, narrowPlans } from "../../probe/plan.ts";
import { createProgress, type Progress } from "../../report/progress.ts";
import { renderRecheck } from "../../report/changes.ts";
import type { ResultsDocument } from "../../results/document.ts";
import { compare, isDue, isEmpty, merge, whatToRecheck, type RecheckOutcome } from "../../results/resume.ts";
import { defaultResultsPath, lastResultsFile, loadPrevious } from "../../results/store.ts";
import type { Args } from "../index.ts";
import type { Io } from "../../runtime/io.ts";
import { Lifecycle } from "../../runtime/lifecycle.ts";
import { connect, loadSettings, resolveTargets } from "../prepare.ts";
import { reportFilesFrom, settingFlagsFrom } from "../flags.ts";
import { assertWritable } from "../../report/render.ts";
import { assertPermitted, finishRun, floatersUp, legsOf, planRun, probeAll, showDryRun, writeReportFiles } from "../steps.ts";

export default async function resume(args: Args, io: Io): Promise<ExitCode> {
  const files = reportFilesFrom(args);
  for (const path of Object.values(files)) assertWritable(path);
  const current = loadSettings(args, io, SETTING_KEYS);
  const given = resolveTargets(args, current, io);
  const file = lastResultsFile(current.results, given, io.cwd);
  const previous = loadPrevious(file, { context: given.source.contextName, server: given.source.server, settings: current });
  // The settings of the run being resumed, with only the flags given now on top.
  const settings: Settings = { ...previous.doc.settings, ...pick(current, Object.keys(settingFlagsFrom(args, SETTING_KEYS)) as (keyof Settings)[]) };
  const targets = given.destination ? given : resolveTargets(args, settings, io);
  // A file netdoctor did not write (netctl's resume.json) is read, never overwritten.
  const saveTo = previous.writtenBy === "netdoctor" ? file : defaultResultsPath(targets.source, targets.destination);
  if (previous.writtenBy === "netctl") io.err(`read netctl's ${file}; the new results go to ${saveTo}\n`);

  const recheck = whatToRecheck(previous.doc);
  if (isEmpty(recheck)) {
    io.out(`the last run (${previous.doc.finishedAt}, ${previous.doc.summary.pairs} pairs) found no problems: nothing to re-check\n`);
    // Asked-for reports still come: of the last run, which stands.
    writeReportFiles(previous.doc, files, io);
    return ExitCode.Ok;
  }
  const clusters = await connect(targets, io);
  const kept = previous.doc.run.kept ? previous.doc.run.id : undefined;
  const plans = await planRun(clusters, settings, recheck.nodes, kept);
  const known = new Set(plans.flatMap((p) => p.nodes.all));
  const missingNodes = recheck.nodes.filter((n) => !known.has(n));
  if (missingNodes.length) {
    io.err(`warning: ${missingNodes.length} node${missingNodes.length === 1 ? "" : "s"} of the last run ${missingNodes.length === 1 ? "is" : "are"} not in ${plans.map((p) => `context '${p.api.target.contextName}'`).join(" or ")}: ${missingNodes.join(", ")}; their pairs are not re-checked\n`);
  }
  const runId = newRunId();
  if (args["dry-run"]) return showDryRun(plans, settings, runId, io);
  assertPermitted(plans);
  const progress = createProgress(io, settings.progress);
  const startedAt = Date.now();

  return new Lifecycle(io).run(async (life) => {
    const floaters = (kept && (await reuseKept(plans, kept, previous.doc.run.namespace, settings, life, progress))) || (await floatersUp(plans, settings, life, progress, runId));
    const due = isDue(recheck);
    const { results: rechecked, stats, floaters: ended } = await probeAll(
      (up, fresh) => legsOf(settings, settings.direction, clusters, up, fresh).map((leg) => ({ ...leg, plans: narrowPlans(leg.plans, due) })),
      floaters, clusters, settings, life, progress);
    const outcome = compare(previous.doc.results, rechecked, recheck, missingNodes);
    const doc = {
      ...merge(previous.doc, rechecked, outcome, {
        skipped: ended.flatMap((f) => f.notReady), late: ended.flatMap((f) => f.late ?? []),
        partial: life.interrupted, execs: stats.execs, retries: stats.retries, confirmations: stats.confirmations, durationMs: Date.now() - startedAt,
      }),
      settings,
      resume: outcome,
    } satisfies ResultsDocument & { resume: RecheckOutcome };
    return finishRun(doc, saveTo, settings.output, io, files, renderRecheck(outcome));
  });
}

/** The floaters a --keep run left, in every cluster, if its DaemonSets are all still there. */
async function reuseKept(plans: FloaterPlan[], runId: string, namespace: string, settings: Settings, life: Lifecycle, progress: Progress): Promise<FloatersUp[] | undefined> {
  progress.phase(`waiting for the kept floaters of run ${runId} (up to ${settings.podWaitTimeout}s)`);
  const found = await Promise.all(plans.map((plan) =>
    keptFloaters(plan.api, {
      namespace, runId, nodes: plan.nodes.selected, networks: floaterNetworks(settings.mode),
      timeoutMs: settings.podWaitTimeout * 1000, signal: life.signal, onProgress: (ready, total) => progress.update(`waiting for the kept floaters: ${ready}/${total} ready`),
    })));
  progress.done();
  if (!found.every((f) => f !== undefined)) return undefined;
  // The kept run's Services (svc, nodeport) are kept with it.
  return Promise.all(found.map(async (waited, k) => {
    const services = await servicesOf(plans[k]!.api, { ...settings, namespace }, runId, waited!, progress, life.signal);
    return { ...waited!, runId, nodesTotal: plans[k]!.nodes.all.length, nodesSelected: plans[k]!.nodes.selected, ...(services ? { services } : {}) };
  }));
}

function pick(s: Settings, keys: (keyof Settings)[]): Partial<Settings> {
  return Object.fromEntries(keys.map((k) => [k, s[k]]));
}
