// kubectl netdoctor resume: re-check only what failed last time (by node names, so re-created
// floaters are found again), say what changed, and update the saved results.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { SETTING_KEYS, type Settings } from "../../config/settings.ts";
import { ExitCode, UsageError } from "../../errors.ts";
import { newRunId } from "../../floater/deploy.ts";
import { keptFloaters } from "../../floater/session.ts";
import type { WaitResult } from "../../floater/wait.ts";
import { createKubeApi } from "../../kube/client.ts";
import { loadClusterTarget } from "../../kube/kubeconfig.ts";
import { networksOf, planLegs } from "../../probe/plan.ts";
import { createProgress } from "../../report/progress.ts";
import type { ResultsDocument } from "../../results/document.ts";
import { compare, fromNetctlResume, isEmpty, isNetctlResume, merge, selectProbes, whatToRecheck, type RecheckOutcome } from "../../results/resume.ts";
import { defaultResultsPath, loadResults } from "../../results/store.ts";
import type { Args } from "../index.ts";
import type { Io } from "../io.ts";
import { Lifecycle } from "../lifecycle.ts";
import { kubeFlagsFor, loadSettings } from "../prepare.ts";
import { settingFlagsFrom } from "../flags.ts";
import { clusterList, finishRun, floatersUp, probeAll, type Clusters } from "../steps.ts";

export default async function resume(args: Args, io: Io): Promise<ExitCode> {
  const current = loadSettings(args, io, SETTING_KEYS);
  const given = kubeFlagsFor(args, current);
  const source = loadClusterTarget(given.source, io.env);
  const givenDestination = given.destination && loadClusterTarget(given.destination, io.env);
  const file = current.results || defaultResultsFile(defaultResultsPath(source, givenDestination), io.cwd);
  const previous = readPrevious(file, current, source.contextName, source.server);
  // The settings of the run being resumed, with only the flags given now on top.
  const settings: Settings = { ...previous.settings, ...pick(current, Object.keys(settingFlagsFrom(args, SETTING_KEYS)) as (keyof Settings)[]) };
  const destinationFlags = kubeFlagsFor(args, settings).destination;
  const destination = givenDestination ?? (destinationFlags && loadClusterTarget(destinationFlags, io.env));

  const recheck = whatToRecheck(previous);
  if (isEmpty(recheck)) {
    io.out(`the last run (${previous.finishedAt}, ${previous.summary.pairs} pairs) found no problems: nothing to re-check\n`);
    return ExitCode.Ok;
  }
  const clusters: Clusters = { source: createKubeApi(source), destination: destination && createKubeApi(destination) };
  await Promise.all(clusterList(clusters).map((c) => c.serverVersion()));
  const progress = createProgress(io, settings.progress);
  const startedAt = Date.now();

  return new Lifecycle(io).run(async (life) => {
    const floaters = (await reuseKept(clusters, previous, settings, recheck.nodes)) ?? (await floatersUp(clusters, settings, life, progress, newRunId(), recheck.nodes));
    const [here, there] = floaters;
    const legs = planLegs(settings, settings.direction, { context: source.contextName, floaters: here!.ready },
      there && destination ? { context: destination.contextName, floaters: there.ready } : undefined)
      .map((leg) => ({ ...leg, plans: selectProbes(leg.plans, recheck) }));
    const { batches, stats } = await probeAll(legs, clusters, settings, life, progress);
    const rechecked = batches.flat();
    const outcome = compare(previous.results, rechecked);
    const notReady = floaters.flatMap((f) => f.notReady);
    const doc = {
      ...merge(previous, rechecked, { skipped: notReady, partial: life.interrupted, execs: stats.execs, retries: stats.retries, durationMs: Date.now() - startedAt }),
      settings,
      resume: outcome,
    } satisfies ResultsDocument & { resume: RecheckOutcome };
    finishRun(doc, file, settings.output, io, describeOutcome(outcome));
    return outcome.stillFailing.length + outcome.newlyFailing.length > 0 || notReady.length > 0 ? ExitCode.ProblemsFound : ExitCode.Ok;
  });
}

/** The floaters a --keep run left, in every cluster, if all that are needed are still ready. */
async function reuseKept(clusters: Clusters, previous: ResultsDocument, settings: Settings, nodes: string[]): Promise<WaitResult[] | undefined> {
  if (!previous.run?.kept) return undefined;
  const { source: from, target: to } = networksOf(settings.mode);
  const found = await Promise.all(clusterList(clusters).map(async (api) => {
    const own = (await api.listNodes()).map((n) => n.metadata!.name!).filter((n) => nodes.includes(n));
    return keptFloaters(api, { namespace: previous.run.namespace, runId: previous.run.id, nodes: own, networks: [...new Set([from, to])] });
  }));
  return found.every((f) => f !== undefined) ? (found as WaitResult[]) : undefined;
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
