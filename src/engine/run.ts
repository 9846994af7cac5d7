// A run, start to end, as a function of its inputs: floaters up in every cluster (or reused),
// probed in waves as they come, the document built, everything the run created removed within its
// budget. No argv, no process, no terminal: the caller passes a signal to cancel and renders the
// events; `check`, `resume` and `--dry-run` are shells over this, and a long-running mode can call
// it round after round. Whatever ends a run once probing began, the verdicts so far come back as a
// (partial) document beside the error: no run is ever lost.
import type { Settings } from "../config/settings.ts";
import { pairsOf, planLegs, narrowPlans, type ClusterFloaters, type Leg, type PlanOptions } from "../probe/plan.ts";
import type { SampleOptions } from "../probe/sample.ts";
import type { Floater } from "../probe/types.ts";
import type { ResultsDocument, StoredResults } from "../results/document.ts";
import { compare, isDue, merge, type Recheck, type RecheckOutcome } from "../results/resume.ts";
import type { RunConfig } from "./config.ts";
import type { MemoryPolicy } from "../runtime/memory.ts";
import { analyzed, buildDocument } from "./document.ts";
import type { RunEvents } from "./events.ts";
import { bringUp, reuseKept, WAITS, type Context, type RunFloaters, type Waits } from "./floaters.ts";
import { assertPermitted, type ClusterPlan } from "./plan.ts";
import { probeAll, type PlanWave, type Probed } from "./probing.ts";
import { Teardown } from "./teardown.ts";

export interface RunInput {
  /** Every cluster of the run, planned (engine/plan.ts); the source first. */
  plans: ClusterPlan[];
  config: RunConfig;
  /** Saved with the results, so that a resume repeats the run (the caller's whole settings). */
  settings: Settings;
  runId: string;
  /** Cancels the run: what was probed is kept (a partial document), and everything is removed. */
  signal: AbortSignal;
  events: RunEvents;
  removalBudgetMs?: number;
  waits?: Waits;
  /** The process's garbage policy while verdicts pour in (the CLI's runtime/memory.ts). */
  memory?: MemoryPolicy;
}

export interface RunOutcome {
  /** The results: absent only when the run ended before probing began. */
  document?: ResultsDocument & { resume?: RecheckOutcome };
  /** What ended the run early, if anything but the signal (the document is then partial). */
  error?: unknown;
  /** Each thing the removal left in a cluster, with the command that removes it. */
  leftovers: string[];
}

export interface ResumeInput extends RunInput {
  previous: StoredResults;
  recheck: Recheck;
  /** Nodes of the previous results that no cluster has any more. */
  missingNodes: string[];
}

/** A check: every pair of the planned nodes (or --sample's share). */
export function runCheck(input: RunInput): Promise<RunOutcome> {
  const sampling = samplingOf(input.config, input.runId, input.plans);
  const startedAt = new Date();
  return run(input, {
    floaters: (c) => bringUpAll(input, c),
    planWave: (up, fresh) => legsOf({ ...input.config, ...(sampling ? { sampling } : {}) }, up, fresh),
    document: (probed, partial) => buildDocument({
      settings: input.settings, startedAt, partial, floaters: probed.floaters, results: probed.results, stats: probed.stats,
      ...(sampling ? { sampled: { targetsPerSource: sampling.k, seed: sampling.seed, fullMesh: pairsOf(legsOf(input.config, probed.floaters)) } } : {}),
    }),
  });
}

/** A resume: only the pairs due (failed or untested last time), on floaters a --keep run left
 * when they are all still there, else new ones; folded back into the previous results. */
export function runResume(input: ResumeInput): Promise<RunOutcome> {
  const startedAt = Date.now();
  const due = isDue(input.recheck);
  const kept = input.previous.run.kept ? input.previous.run.id : undefined;
  return run(input, {
    floaters: async (c) => (kept && (await reuseKept(input.plans, kept, c))) || bringUpAll(input, c),
    planWave: (up, fresh) => legsOf(input.config, up, fresh).map((leg) => ({ ...leg, plans: narrowPlans(leg.plans, due) })),
    document: (probed, partial) => {
      const outcome = compare(input.previous.results, probed.results, input.recheck, input.missingNodes);
      const merged = merge(input.previous, probed.results, outcome, {
        skipped: probed.floaters.flatMap((f) => f.notReady), late: probed.floaters.flatMap((f) => f.late),
        partial, ...probed.stats, durationMs: Date.now() - startedAt,
      });
      return { ...merged, settings: input.settings, resume: outcome };
    },
  });
}

interface RunSteps {
  floaters: (c: Context) => Promise<RunFloaters[]>;
  planWave: PlanWave;
  document: (probed: Probed, partial: boolean) => StoredResults & { resume?: RecheckOutcome };
}

async function run(input: RunInput, steps: RunSteps): Promise<RunOutcome> {
  assertPermitted(input.plans);
  const teardown = new Teardown();
  const c: Context = { config: input.config, events: input.events, signal: input.signal, teardown, waits: input.waits ?? WAITS, ...(input.memory ? { memory: input.memory } : {}) };
  let document: RunOutcome["document"];
  let error: unknown;
  try {
    const up = await steps.floaters(c);
    const probed = await probeAll(steps.planWave, up, c);
    error = probed.error;
    document = withFindings(steps.document(probed, input.signal.aborted || error !== undefined), (err) => (error ??= err));
  } catch (err) {
    // Before probing began, nothing was probed; after it, only a bug building the document
    // itself lands here (probeAll hands its errors back, the analysis' are caught above).
    error = err;
  }
  const leftovers = await teardown.run(input.removalBudgetMs);
  return { ...(document ? { document } : {}), ...(error !== undefined ? { error } : {}), leftovers };
}

/** The findings of a document; should the analysis fail (a bug), the verdicts are kept without
 * them rather than lost. */
function withFindings<T extends StoredResults>(stored: T, failed: (err: unknown) => void): T & Pick<ResultsDocument, "findings"> {
  try {
    return analyzed(stored);
  } catch (err) {
    failed(err);
    return { ...stored, findings: [] };
  }
}

/** Floaters up in every cluster of the run, under one run id. */
async function bringUpAll(input: RunInput, c: Context): Promise<RunFloaters[]> {
  const up: RunFloaters[] = [];
  for (const [k, plan] of input.plans.entries()) up.push(await bringUp(plan, k, input.runId, c));
  return up;
}

/** The legs of a run from each cluster's floaters, planned with `opts` (the run's, sampled by the
 * caller); `fresh`: a wave of floaters that came late. */
export function legsOf(opts: PlanOptions & Pick<RunConfig, "direction">, up: RunFloaters[], fresh?: (f: Floater) => boolean): Leg[] {
  const [here, there] = up.map((u): ClusterFloaters => ({
    cluster: u.cluster.name,
    floaters: u.ready,
    ...(u.services ? { services: u.services } : {}),
    // The sample is drawn over every node awaited, so it does not depend on who came first.
    ...(u.stragglers ? { nodes: [...new Set([...u.ready, ...u.stragglers.awaited].map((f) => f.node))] } : {}),
  }));
  return planLegs(opts, opts.direction, here!, there, fresh);
}

/** --sample: K targets per source, seeded by --seed or the run id; with --sample-zones, every
 * pair of zones too (zones from the nodes' topology.kubernetes.io/zone labels). */
function samplingOf(config: RunConfig, runId: string, plans: ClusterPlan[]): SampleOptions | undefined {
  if (config.sample <= 0) return undefined;
  const zones = new Map<string, string>(plans.flatMap((p) => Object.entries(p.nodes.zones).map(([node, zone]) => [`${p.cluster.name}/${node}`, zone] as const)));
  return { k: config.sample, seed: config.seed || runId, ...(config.sampleZones ? { zoneOf: (node: string) => zones.get(node) } : {}) };
}
