// The results of a run as saved and as printed by -o json|yaml: versioned, with the settings the
// run used (so resume can repeat it) and every pair's verdict. Pure.
import type { Settings } from "../config/settings.ts";
import type { ClusterTarget } from "../kube/kubeconfig.ts";
import type { RunStats } from "../probe/run.ts";
import type { Family, ProbeProtocol, SkippedNode, Status, Verdict } from "../probe/types.ts";
import { NODE_ORDER } from "../node-order.ts";
import type { ReasonCode } from "../probe/reasons.ts";
import { analyze, type Finding } from "../analysis/findings.ts";

export const RESULTS_API_VERSION = "netdoctor.io/v1";
export const RESULTS_KIND = "CheckResults";

export interface ResultRecord {
  source: { cluster: string; node: string; ip: string };
  target: { cluster: string; node: string; ip: string; port?: number; name?: string };
  protocol: ProbeProtocol;
  family: Family;
  custom?: boolean;
  status: Status;
  reason: string;
  /** Machine-readable reason (REASON_CODES); absent in results saved before it existed. */
  reasonCode?: ReasonCode;
  rttMs?: number;
  lossPct?: number;
}

export interface Summary {
  nodesTotal: number;
  nodesChecked: number;
  pairs: number;
  succeeded: number;
  failed: number;
  errors: number;
  skippedNodes: number;
  execs: number;
  retries: number;
  /** Probes whose first failure was tried again to confirm it (absent in older files). */
  confirmations?: number;
  durationMs: number;
  /** Cross-cluster runs: the same counts for each direction. */
  directions?: DirectionSummary[];
  /** A sampled run (--sample): how much of the full mesh it covered. */
  sampled?: Sampled;
}

export interface Sampled {
  targetsPerSource: number;
  seed: string;
  /** Pairs of the full mesh the run would have probed without sampling. */
  fullMesh: number;
}

export interface DirectionSummary {
  from: string;
  to: string;
  pairs: number;
  succeeded: number;
  failed: number;
  errors: number;
}

export interface ClusterRef {
  context: string;
  server: string;
}

export interface ResultsDocument {
  apiVersion: typeof RESULTS_API_VERSION;
  kind: typeof RESULTS_KIND;
  /** True when the run was interrupted: only part of the pairs were checked. */
  partial: boolean;
  startedAt: string;
  finishedAt: string;
  clusters: { source: ClusterRef; destination?: ClusterRef };
  /** The floaters' run, so a resume can reuse floaters left with --keep. */
  run: { id: string; namespace: string; kept: boolean };
  settings: Settings;
  summary: Summary;
  /** What is broken, ranked (src/analysis/findings.ts); recomputed from the results when read. */
  findings: Finding[];
  skipped: SkippedNode[];
  results: ResultRecord[];
}

/** Endpoints are the probe's own (shared) objects: results are written, never mutated. */
export function recordOf(v: Verdict): ResultRecord {
  const { probe } = v;
  return {
    source: probe.source,
    target: probe.target,
    protocol: probe.protocol,
    family: probe.family,
    ...(probe.custom ? { custom: true } : {}),
    status: v.status,
    reason: v.reason,
    reasonCode: v.reasonCode,
    ...(v.rttMs !== undefined ? { rttMs: v.rttMs } : {}),
    ...(v.lossPct !== undefined ? { lossPct: v.lossPct } : {}),
  };
}

export function summarize(
  results: ResultRecord[],
  counts: { nodesTotal: number; nodesChecked: number; skippedNodes: number; execs: number; retries: number; confirmations?: number; durationMs: number },
  sampled?: Sampled,
): Summary {
  const count = (rs: ResultRecord[]) => {
    const by = (s: Status) => rs.filter((r) => r.status === s).length;
    return { pairs: rs.length, succeeded: by("Succeeded"), failed: by("Failed"), errors: by("Error") };
  };
  const crossing = results.filter((r) => r.target.cluster && r.target.cluster !== r.source.cluster);
  const directions = [...new Set(crossing.map((r) => `${r.source.cluster}\u0000${r.target.cluster}`))].map((key) => {
    const [from, to] = key.split("\u0000") as [string, string];
    return { from, to, ...count(crossing.filter((r) => r.source.cluster === from && r.target.cluster === to)) };
  });
  return { ...counts, ...count(results), ...(directions.length ? { directions } : {}), ...(sampled ? { sampled } : {}) };
}

/** Something is broken when a pair failed or could not be tested, or a node could not take part. */
export function problemsFound(doc: Pick<ResultsDocument, "summary">): boolean {
  const s = doc.summary;
  return s.failed > 0 || s.errors > 0 || s.skippedNodes > 0;
}

/** Which floaters took part: what the document needs of a floater session. */
export interface FloaterOutcome {
  runId: string;
  nodesTotal: number;
  nodesSelected: string[];
  notReady: SkippedNode[];
}

export function buildDocument(o: {
  settings: Settings;
  startedAt: Date;
  partial: boolean;
  /** The source cluster first, then the destination of a cross-cluster run. */
  clusters: ClusterTarget[];
  floaters: FloaterOutcome[];
  /** Records as they landed, one batch per exec. */
  batches: ResultRecord[][];
  stats: RunStats;
  sampled?: Sampled;
}): ResultsDocument {
  const results = sortBatches(o.batches);
  const notReady = o.floaters.flatMap((f) => f.notReady);
  const skippedNodes = new Set(notReady.map((s) => `${s.cluster}/${s.node}`)).size;
  const [source, destination] = o.clusters.map((c) => ({ context: c.contextName, server: c.server }));
  const clusters = { source: source!, ...(destination ? { destination } : {}) };
  return {
    apiVersion: RESULTS_API_VERSION,
    kind: RESULTS_KIND,
    partial: o.partial,
    startedAt: o.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    clusters,
    run: { id: o.floaters[0]!.runId, namespace: o.settings.namespace, kept: o.settings.keep },
    settings: o.settings,
    summary: summarize(results, {
      nodesTotal: o.floaters.reduce((n, f) => n + f.nodesTotal, 0),
      nodesChecked: o.floaters.reduce((n, f) => n + f.nodesSelected.length, 0) - skippedNodes,
      skippedNodes,
      execs: o.stats.execs,
      retries: o.stats.retries,
      confirmations: o.stats.confirmations,
      durationMs: Date.now() - o.startedAt.getTime(),
    }, o.sampled),
    findings: analyze({ results, skipped: notReady, clusters, sampled: o.sampled }),
    skipped: notReady,
    results,
  };
}

/** A fanout batch is one source's records, already in plan order (targets in node order): only
 * the batches need ordering. Single-record batches (--strategy pair) get a full sort. */
export function sortBatches(batches: ResultRecord[][]): ResultRecord[] {
  if (batches.every((b) => b.length <= 1)) return sortResults(batches.flat());
  const ordered = [...batches].sort((a, b) => {
    const [x, y] = [a[0]!, b[0]!];
    return x.source.cluster.localeCompare(y.source.cluster) || NODE_ORDER.compare(x.source.node, y.source.node) || NODE_ORDER.compare(x.target.cluster, y.target.cluster);
  });
  const out: ResultRecord[] = [];
  for (const b of ordered) for (const r of b) out.push(r);
  return out;
}

/** Reports list pairs by source node, then target node (natural order), protocol and family.
 * Sorted on numeric ranks, not string compares: half a million records sort in well under a second. */
export function sortResults(records: ResultRecord[]): ResultRecord[] {
  const endpointKey = (e: { cluster: string; node: string }) => `${e.cluster}\u0000${e.node}`;
  const names = [...new Set(records.flatMap((r) => [endpointKey(r.source), endpointKey(r.target)]))].sort(NODE_ORDER.compare);
  const rank = new Map(names.map((n, k) => [n, k]));
  const keyed = records.map((r) => ({ r, s: rank.get(endpointKey(r.source))!, t: rank.get(endpointKey(r.target))! }));
  keyed.sort((a, b) =>
    a.s - b.s || a.t - b.t || NODE_ORDER.compare(a.r.target.ip, b.r.target.ip) ||
    (a.r.protocol < b.r.protocol ? -1 : a.r.protocol > b.r.protocol ? 1 : 0) || (a.r.family < b.r.family ? -1 : a.r.family > b.r.family ? 1 : 0));
  return keyed.map((k) => k.r);
}
