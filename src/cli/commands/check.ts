// kubectl netdoctor check: floaters up (in both clusters for a cross-cluster check), plan every
// pair, probe, report, save, exit 0/1.
import type { ExitCode } from "../../errors.ts";
import { SETTING_KEYS, type Settings } from "../../config/settings.ts";
import { newRunId } from "../../floater/deploy.ts";
import { pairsOf } from "../../probe/plan.ts";
import type { SampleOptions } from "../../probe/sample.ts";
import type { FloaterPlan } from "../../floater/session.ts";
import { createProgress } from "../../report/progress.ts";
import { buildDocument } from "../../results/document.ts";
import { defaultResultsPath } from "../../results/store.ts";
import type { Args } from "../index.ts";
import type { Io } from "../../runtime/io.ts";
import { Lifecycle } from "../../runtime/lifecycle.ts";
import { prepare } from "../prepare.ts";
import { reportFilesFrom } from "../flags.ts";
import { assertWritable } from "../../report/render.ts";
import { assertPermitted, clusterList, finishRun, floatersUp, legsOf, planRun, probeAll, showDryRun } from "../steps.ts";

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

  const sampling = samplingOf(settings, runId, plans);

  return new Lifecycle(io).run(async (life) => {
    const up = await floatersUp(plans, settings, life, progress, runId);
    const { results, stats, floaters } = await probeAll((u, fresh) => legsOf({ ...settings, sampling }, settings.direction, clusters, u, fresh), up, clusters, settings, life, progress);
    const sampled = sampling && { targetsPerSource: sampling.k, seed: sampling.seed, fullMesh: pairsOf(legsOf(settings, settings.direction, clusters, floaters)) };
    const doc = buildDocument({
      settings, startedAt, partial: life.interrupted, clusters: clusterList(clusters).map((c) => c.target),
      floaters, results, stats, sampled,
    });
    return finishRun(doc, resultsFile, settings.output, io, files);
  });
}

/** --sample: K targets per source, seeded by --seed or the run id; with --sample-zones, every
 * pair of zones too (zones from the nodes' topology.kubernetes.io/zone labels). */
function samplingOf(settings: Settings, runId: string, plans: FloaterPlan[]): SampleOptions | undefined {
  if (settings.sample <= 0) return undefined;
  const zones = new Map<string, string>(plans.flatMap((p) => Object.entries(p.nodes.zones ?? {}).map(([node, zone]) => [`${p.api.target.contextName}/${node}`, zone] as const)));
  return { k: settings.sample, seed: settings.seed || runId, ...(settings.sampleZones ? { zoneOf: (node: string) => zones.get(node) } : {}) };
}
