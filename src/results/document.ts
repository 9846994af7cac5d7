// The results of a run as saved and as printed by -o json|yaml: versioned, with the settings the
// run used (so resume can repeat it) and every pair's verdict. Pure.
import type { Settings } from "../config/settings.ts";
import type { Family, LateNode, ProbeProtocol, SkippedNode, Status } from "../probe/types.ts";
import type { ResultSet } from "./set.ts";
import type { ReasonCode } from "../probe/reasons.ts";
import type { Finding } from "./finding.ts";

/** Every pair as a record: -o json|yaml, and results files before the compact form. */
export const RESULTS_API_VERSION = "netdoctor.io/v1";
/** The results file: plain successes and common failures as matrices, the rest as records
 * (write.ts, compact.ts). */
export const COMPACT_API_VERSION = "netdoctor.io/v3";
/** The results file before failures were cells: read as v3 without them. */
export const COMPACT_V2_API_VERSION = "netdoctor.io/v2";
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
  /** Nodes whose floaters came after probing began (probed as they came; absent in older files). */
  lateNodes?: number;
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
  /** The run's name of the cluster, which its records carry: the context name, with the server
   * where both clusters' context names coincide (engine/clusters.ts). Files from before it existed
   * named clusters by context (see clusterName). */
  name?: string;
}

/** The name a document's records know a cluster by. */
export function clusterName(ref: ClusterRef): string {
  return ref.name ?? ref.context;
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
  /** What is broken, ranked (src/analysis/findings.ts): made from the results by whoever builds or
   * loads the document (engine/document.ts), never by the loader. */
  findings: Finding[];
  skipped: SkippedNode[];
  /** Nodes probed in a later wave: their floaters were not ready when probing began. */
  late?: LateNode[];
  /** Every pair's verdict (compactly held: see set.ts). */
  results: ResultSet;
}

export function summarize(
  results: ResultSet,
  counts: { nodesTotal: number; nodesChecked: number; skippedNodes: number; lateNodes?: number; execs: number; retries: number; confirmations?: number; durationMs: number },
  sampled?: Sampled,
): Summary {
  const { directions, ...count } = results.counts();
  return { ...counts, ...count, ...(directions.length ? { directions } : {}), ...(sampled ? { sampled } : {}) };
}

/** Something is broken when a pair failed or could not be tested, or a node could not take part. */
export function problemsFound(doc: Pick<ResultsDocument, "summary">): boolean {
  const s = doc.summary;
  return s.failed > 0 || s.errors > 0 || s.skippedNodes > 0;
}

/** How many nodes a list names: a node counts once, whichever of its floaters (two in split
 * modes) was missing or late. */
export function nodeCount(list: SkippedNode[]): number {
  return new Set(list.map((s) => `${s.cluster}/${s.node}`)).size;
}

/** A results document as stored: everything but the findings, which follow from it. */
export type StoredResults = Omit<ResultsDocument, "findings">;
