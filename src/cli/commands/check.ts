// kubectl netdoctor check: the clusters the flags name, the run planned (nothing created yet), then
// run by the engine; the outcome saved and reported, exit 0/1.
import type { ExitCode } from "../../errors.ts";
import { SETTING_KEYS } from "../../config/settings.ts";
import { runConfigOf } from "../../engine/config.ts";
import { planRun } from "../../engine/plan.ts";
import { runCheck } from "../../engine/run.ts";
import { newRunId } from "../../floater/deploy.ts";
import { createProgress } from "../../report/progress.ts";
import { assertWritable } from "../../report/render.ts";
import { assertResultsWritable, defaultResultsPath } from "../../results/store.ts";
import type { Io } from "../../runtime/io.ts";
import { interruptible } from "../../runtime/signals.ts";
import { GarbagePacer } from "../../runtime/memory.ts";
import type { Args } from "../index.ts";
import { showDryRun } from "../dry-run.ts";
import { reportFilesFrom } from "../flags.ts";
import { finishRun } from "../outcome.ts";
import { prepare, runClusters } from "../prepare.ts";

export default async function check(args: Args, io: Io): Promise<ExitCode> {
  const files = reportFilesFrom(args);
  for (const path of Object.values(files)) assertWritable(path);
  const { settings, source, destination } = await prepare(args, io, SETTING_KEYS);
  const resultsFile = settings.results || defaultResultsPath(source.target, destination?.target);
  const config = runConfigOf(settings);
  const runId = newRunId();
  const plans = await planRun(runClusters({ source, destination }), config);
  if (args["dry-run"]) return showDryRun(plans, config, settings.output, runId, io);
  assertResultsWritable(resultsFile);

  const ended = await interruptible(io, (signal) =>
    runCheck({ plans, config, settings, runId, signal, events: createProgress(io, settings.progress), memory: new GarbagePacer() }));
  return finishRun(ended, { resultsFile, output: settings.output, files }, io);
}
