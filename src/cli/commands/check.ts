// kubectl netdoctor check: floaters up (in both clusters for a cross-cluster check), plan every
// pair, probe, report, save, exit 0/1.
import type { ExitCode } from "../../errors.ts";
import { SETTING_KEYS } from "../../config/settings.ts";
import { newRunId } from "../../floater/deploy.ts";
import { planLegs } from "../../probe/plan.ts";
import { createProgress } from "../../report/progress.ts";
import { buildDocument } from "../../results/document.ts";
import { defaultResultsPath } from "../../results/store.ts";
import type { Args } from "../index.ts";
import type { Io } from "../../runtime/io.ts";
import { Lifecycle } from "../../runtime/lifecycle.ts";
import { prepare } from "../prepare.ts";
import { reportFilesFrom } from "../flags.ts";
import { assertWritable } from "../../report/render.ts";
import { assertPermitted, clusterList, finishRun, floatersUp, planRun, probeAll, showDryRun } from "../steps.ts";

export default async function check(args: Args, io: Io): Promise<ExitCode> {
  const files = reportFilesFrom(args);
  for (const path of Object.values(files)) assertWritable(path);
  const { settings, source, destination } = await prepare(args, io, SETTING_KEYS);
  const clusters = { source, destination };
  const resultsFile = settings.results || defaultResultsPath(source.target, destination?.target);
  const runId = newRunId();
  const plans = await planRun(clusters, settings);
  if (args["dry-run"]) return showDryRun(plans, settings, runId, io);
  assertPermitted(plans);
  const progress = createProgress(io, settings.progress);
  const startedAt = new Date();

  return new Lifecycle(io).run(async (life) => {
    const [here, there] = await floatersUp(plans, settings, life, progress, runId);
    const legs = planLegs(settings, settings.direction, { context: source.target.contextName, floaters: here!.ready, services: here!.services },
      there && destination ? { context: destination.target.contextName, floaters: there.ready, services: there.services } : undefined);
    const { batches, stats } = await probeAll(legs, clusters, settings, life, progress);
    const doc = buildDocument({
      settings, startedAt, partial: life.interrupted, clusters: clusterList(clusters).map((c) => c.target),
      floaters: [here!, ...(there ? [there] : [])], batches, stats,
    });
    return finishRun(doc, resultsFile, settings.output, io, files);
  });
}
