// kubectl netdoctor resume: re-check only what failed last time (by cluster and node names, so
// re-created floaters are found again), say what changed, and update the saved results.
import { SETTING_KEYS, type Settings } from "../../config/settings.ts";
import { ExitCode } from "../../errors.ts";
import { runConfigOf } from "../../engine/config.ts";
import { planRun } from "../../engine/plan.ts";
import { runResume } from "../../engine/run.ts";
import { analyzed } from "../../engine/document.ts";
import { newRunId } from "../../floater/deploy.ts";
import { createProgress } from "../../report/progress.ts";
import { renderRecheck } from "../../report/changes.ts";
import { assertWritable } from "../../report/render.ts";
import { isEmpty, whatToRecheck } from "../../results/resume.ts";
import { assertResultsWritable, defaultResultsPath, lastResultsFile, loadPrevious } from "../../results/store.ts";
import type { Io } from "../../runtime/io.ts";
import { interruptible } from "../../runtime/signals.ts";
import { GarbagePacer } from "../../runtime/memory.ts";
import { plural } from "../../words.ts";
import type { Args } from "../index.ts";
import { showDryRun } from "../dry-run.ts";
import { reportFilesFrom, settingFlagsFrom } from "../flags.ts";
import { finishRun, writeReportFiles } from "../outcome.ts";
import { connect, loadSettings, resolveTargets, runClusters } from "../prepare.ts";

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
  const resultsFile = previous.writtenBy === "netdoctor" ? file : defaultResultsPath(targets.source, targets.destination);
  if (previous.writtenBy === "netctl") io.err(`read netctl's ${file}; the new results go to ${resultsFile}\n`);

  const recheck = whatToRecheck(previous.doc);
  if (isEmpty(recheck)) {
    io.out(`the last run (${previous.doc.finishedAt}, ${previous.doc.summary.pairs} pairs) found no problems: nothing to re-check\n`);
    // Asked-for reports still come: of the last run, which stands.
    writeReportFiles(analyzed(previous.doc), files, io);
    return ExitCode.Ok;
  }
  const clusters = runClusters(await connect(targets, io));
  const config = runConfigOf(settings);
  const reusedRun = previous.doc.run.kept ? previous.doc.run.id : undefined;
  const plans = await planRun(clusters, config, { only: recheck.nodes, ...(reusedRun ? { reusedRun } : {}) });
  const known = new Set(plans.flatMap((p) => p.nodes.all.map((n) => `${p.cluster.name}/${n}`)));
  const across = clusters.length > 1;
  const missingNodes = recheck.nodes.filter((n) => !known.has(`${n.cluster}/${n.node}`)).map((n) => (across ? `${n.cluster}/${n.node}` : n.node));
  if (missingNodes.length) {
    io.err(`warning: ${plural(missingNodes.length, "node")} of the last run ${missingNodes.length === 1 ? "is" : "are"} not in ${plans.map((p) => `context '${p.cluster.api.target.contextName}'`).join(" or ")}: ${missingNodes.join(", ")}; their pairs are not re-checked\n`);
  }
  const runId = newRunId();
  if (args["dry-run"]) return showDryRun(plans, config, settings.output, runId, io);
  assertResultsWritable(resultsFile);

  const ended = await interruptible(io, (signal) =>
    runResume({ plans, config, settings, runId, signal, events: createProgress(io, settings.progress), memory: new GarbagePacer(), previous: previous.doc, recheck, missingNodes }));
  return finishRun(ended, { resultsFile, output: settings.output, files, extra: (doc) => (doc.resume ? renderRecheck(doc.resume) : "") }, io);
}

function pick(s: Settings, keys: (keyof Settings)[]): Partial<Settings> {
  return Object.fromEntries(keys.map((k) => [k, s[k]]));
}
