// kubectl netdoctor resume: re-check only what failed last time (by node names, so re-created
// floaters are found again), say what changed, and update the saved results.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SETTING_KEYS, type Settings } from "../../config/settings.ts";
import { ExitCode, UsageError } from "../../errors.ts";
import { bringUpFloaters, keptFloaters, type FloatersUp } from "../../floater/session.ts";
import { createKubeApi } from "../../kube/client.ts";
import { loadClusterTarget } from "../../kube/kubeconfig.ts";
import { networksOf, planProbes } from "../../probe/plan.ts";
import { createProgress } from "../../report/progress.ts";
import { recordOf, type ResultsDocument } from "../../results/document.ts";
import { compare, fromNetctlResume, isEmpty, isNetctlResume, merge, selectProbes, whatToRecheck, type RecheckOutcome } from "../../results/resume.ts";
import { defaultResultsPath, loadResults } from "../../results/store.ts";
import type { Args } from "../index.ts";
import type { Io } from "../io.ts";
import { Lifecycle } from "../lifecycle.ts";
import { kubeFlagsFor, loadSettings } from "../prepare.ts";
import { settingFlagsFrom } from "../flags.ts";
import { finishRun, probeAll } from "../steps.ts";

export default async function resume(args: Args, io: Io): Promise<ExitCode> {
  const current = loadSettings(args, io, SETTING_KEYS);
  const target = loadClusterTarget(kubeFlagsFor(args, current).source, io.env);
  const file = current.results || defaultResultsFile(defaultResultsPath(target), io.cwd);
  const previous = readPrevious(file, current, target.contextName, target.server);
  // The settings of the run being resumed, with only the flags given now on top.
  const settings: Settings = { ...previous.settings, ...pick(current, Object.keys(settingFlagsFrom(args, SETTING_KEYS)) as (keyof Settings)[]) };

  const recheck = whatToRecheck(previous);
  if (isEmpty(recheck)) {
    io.out(`the last run (${previous.finishedAt}, ${previous.summary.pairs} pairs) found no problems: nothing to re-check\n`);
    return ExitCode.Ok;
  }
  const api = createKubeApi(target);
  await api.serverVersion();
  const progress = createProgress(io, settings.progress);
  const startedAt = Date.now();

  return new Lifecycle(io).run(async (life) => {
    const { source: from, target: to } = networksOf(settings.mode);
    const networks = [...new Set([from, to])];
    const kept = previous.run?.kept ? await keptFloaters(api, { namespace: previous.run.namespace, runId: previous.run.id, nodes: recheck.nodes, networks }) : undefined;
    if (kept) progress.done(`reusing the ${kept.ready.length} floaters kept by run ${previous.run.id}`);
    const floaters: Pick<FloatersUp, "ready" | "notReady"> = kept ??
      (await bringUpFloaters(api, { ...settings, nodes: recheck.nodes, excludeNodes: [], nodeSelector: "" }, life, progress));

    const plans = selectProbes(planProbes(settings, floaters.ready.filter((f) => f.network === from), floaters.ready.filter((f) => f.network === to)), recheck);
    const { verdicts, stats } = await probeAll(plans, api, settings, life, progress);
    const rechecked = verdicts.map(recordOf);
    const outcome = compare(previous.results, rechecked);
    const doc = {
      ...merge(previous, rechecked, { skipped: floaters.notReady, partial: life.interrupted, execs: stats.execs, retries: stats.retries, durationMs: Date.now() - startedAt }),
      settings,
      resume: outcome,
    } satisfies ResultsDocument & { resume: RecheckOutcome };
    const code = finishRun(doc, file, settings.output, io, describeOutcome(outcome));
    const recheckFailed = outcome.stillFailing.length + outcome.newlyFailing.length > 0 || floaters.notReady.length > 0;
    return code === ExitCode.Ok || !recheckFailed ? ExitCode.Ok : ExitCode.ProblemsFound;
  });
}

function describeOutcome(o: RecheckOutcome): string {
  const lines = [`re-checked ${o.pairs} pairs: ${o.fixed.length} fixed, ${o.stillFailing.length} still failing, ${o.newlyFailing.length} newly failing`];
  for (const [label, keys] of [["fixed", o.fixed], ["still failing", o.stillFailing], ["newly failing", o.newlyFailing]] as const) {
    for (const k of keys) lines.push(`  ${label}: ${k}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The default results, else netctl's ./resume.json when that is all there is. */
function defaultResultsFile(ours: string, cwd: string): string {
  const netctl = join(cwd, "resume.json");
  return !existsSync(ours) && existsSync(netctl) ? netctl : ours;
}

function readPrevious(file: string, settings: Settings, context: string, server: string): ResultsDocument {
  if (existsSync(file)) {
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch {
      raw = undefined; // loadResults words the error
    }
    if (isNetctlResume(raw)) {
      const base: ResultsDocument = {
        apiVersion: "netdoctor.io/v1", kind: "CheckResults", partial: false, startedAt: "", finishedAt: "netctl", results: [], skipped: [],
        clusters: { source: { context, server } }, run: { id: "", namespace: settings.namespace, kept: false }, settings,
        summary: { nodesTotal: 0, nodesChecked: 0, pairs: 0, succeeded: 0, failed: 0, errors: 0, skippedNodes: 0, execs: 0, retries: 0, durationMs: 0 },
      };
      return fromNetctlResume(raw, base, settings.protocols);
    }
  }
  const doc = loadResults(file);
  if (doc.clusters.source.context !== context) {
    throw new UsageError(`results file ${file} is for context '${doc.clusters.source.context}', not '${context}' (pass --context or --results)`);
  }
  return doc;
}

function pick(s: Settings, keys: (keyof Settings)[]): Partial<Settings> {
  return Object.fromEntries(keys.map((k) => [k, s[k]]));
}
