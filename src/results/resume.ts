// What a resume re-checks, and how its answers fold back into the previous results. Pairs are
// known by node names, protocol and family (never by pod IPs, which change when floaters are
// re-created). Pure.
import type { Settings } from "../config/settings.ts";
import { diffPairs, pairKey, type PairChange } from "./compare.ts";
import { nodeCount, RESULTS_API_VERSION, RESULTS_KIND, summarize, type ResultRecord, type ResultsDocument, type StoredResults } from "./document.ts";
import { ResultSet, type NodeRef } from "./set.ts";

type PairLike = Pick<ResultRecord, "source" | "target" | "protocol" | "family" | "custom">;

export interface Recheck {
  keys: Set<string>;
  /** Nodes skipped last time ("cluster/node"): every pair they take part in was never tested. */
  skippedNodes: Set<string>;
  /** Every node some re-checked pair involves, with its cluster (two clusters may both have a
   * node-1). */
  nodes: NodeRef[];
}

const nodeKey = (n: NodeRef) => `${n.cluster}/${n.node}`;

export function whatToRecheck(doc: StoredResults): Recheck {
  const failing = [...doc.results.failing()];
  const skippedNodes = new Set(doc.skipped.map(nodeKey));
  const nodes = new Map<string, NodeRef>(doc.skipped.map((s) => [nodeKey(s), { cluster: s.cluster, node: s.node }]));
  const add = (n: NodeRef) => nodes.set(nodeKey(n), { cluster: n.cluster, node: n.node });
  for (const r of failing) {
    add(r.source);
    if (r.target.node) add(r.target);
  }
  // A pair needs both ends: with a failing pair's partner nodes and all checked nodes for skipped ones.
  if (skippedNodes.size) for (const n of doc.results.nodes) add(n);
  return { keys: new Set(failing.map(pairKey)), skippedNodes, nodes: [...nodes.values()] };
}

export function isEmpty(r: Recheck): boolean {
  return r.keys.size === 0 && r.skippedNodes.size === 0;
}

/** Whether a pair (a probe about to run, or a saved record) is due for a re-check. */
export function isDue(r: Recheck): (p: PairLike) => boolean {
  return (p) => r.keys.has(pairKey(p)) || r.skippedNodes.has(nodeKey(p.source)) || (p.target.node !== "" && r.skippedNodes.has(nodeKey(p.target)));
}

export interface RecheckOutcome {
  pairs: number;
  fixed: string[];
  stillFailing: string[];
  /** Failing now in another way than before (e.g. Error before, Failed now), or never tested before. */
  newlyFailing: string[];
  /** Pairs that were due but not re-checked (a node gone, a floater not ready, interrupted): their
   * last verdict is kept and marked, never passed off as a fresh one. */
  notRechecked: string[];
  /** Nodes of the previous results that the cluster no longer has ("node", or "cluster/node"
   * across two clusters). */
  missingNodes: string[];
}

export function compare(before: ResultSet, after: ResultSet, due: Recheck, missingNodes: string[]): RecheckOutcome {
  const changes = diffPairs(before, after);
  const keys = (cs: PairChange[]) => cs.map((c) => c.pair);
  const seen = new Set([...after].map(pairKey));
  return {
    pairs: after.size, fixed: keys(changes.fixed), stillFailing: keys(changes.stillFailing), newlyFailing: keys(changes.newlyFailing),
    notRechecked: [...due.keys].filter((k) => !seen.has(k)).sort(), missingNodes,
  };
}

/** Why a due pair was not re-checked, for its kept record. */
function notRecheckedReason(r: ResultRecord, missingNodes: Set<string>, interrupted: boolean): string {
  const gone = [r.source, r.target].find((n) => n.node && (missingNodes.has(n.node) || missingNodes.has(nodeKey(n))));
  if (gone) return `node '${gone.node}' is not in the cluster`;
  return interrupted ? "the resume was interrupted" : "its floater was not ready";
}

/** The previous results with the re-checked pairs replaced, the ones not re-checked marked as such
 * (their last status kept: they are still unresolved), and the summary recounted. The previous
 * document's set is taken over (a 5,000-node set is not copied). */
export function merge(previous: StoredResults, rechecked: ResultSet, outcome: Pick<RecheckOutcome, "notRechecked" | "missingNodes">, o: { skipped: ResultsDocument["skipped"]; late?: ResultsDocument["late"]; partial: boolean; execs: number; retries: number; confirmations?: number; durationMs: number }): StoredResults {
  const replaced = new Set([...rechecked].map(pairKey));
  const stale = new Set(outcome.notRechecked);
  const missing = new Set(outcome.missingNodes);
  // Due pairs were failures (records or failure cells), never successes.
  const results = previous.results;
  results.replaceFailures((r) => {
    const key = pairKey(r);
    if (replaced.has(key)) return undefined;
    return stale.has(key) && r.reasonCode !== "not-rechecked"
      ? { ...r, reasonCode: "not-rechecked" as const, reason: `not re-checked (${notRecheckedReason(r, missing, o.partial)}); last run: ${r.reason || r.status}` }
      : r;
  });
  for (const r of rechecked) results.addRecord(r);
  const skippedNodes = nodeCount(o.skipped);
  return {
    ...previous,
    partial: previous.partial || o.partial,
    finishedAt: new Date().toISOString(),
    skipped: o.skipped,
    late: o.late ?? [],
    summary: summarize(results, {
      nodesTotal: previous.summary.nodesTotal,
      nodesChecked: Math.max(0, previous.summary.nodesChecked + previous.summary.skippedNodes - skippedNodes),
      skippedNodes,
      lateNodes: nodeCount(o.late ?? []),
      execs: o.execs,
      retries: o.retries,
      ...(o.confirmations !== undefined ? { confirmations: o.confirmations } : {}),
      durationMs: o.durationMs,
    // A sampled run stays one once resumed: its pairs are the sample's.
    }, previous.summary.sampled),
    results,
  };
}

/** netctl's resume.json: the non-successful (source node, target IP) rows, nothing more. */
export interface NetctlResumeRow {
  Status: number;
  ResultStr?: string;
  srcNodeName: string;
  dstNodeName: string;
  targetIP: string;
}

export function isNetctlResume(doc: unknown): doc is NetctlResumeRow[] {
  const text = (v: unknown) => typeof v === "string";
  return Array.isArray(doc) && doc.every((r) => r && typeof r === "object" && text(r.srcNodeName) && text(r.dstNodeName) && text(r.targetIP));
}

/** netctl rows as failed pairs of a results document for the given cluster and settings, one
 * per protocol of the run. */
export function fromNetctlResume(rows: NetctlResumeRow[], here: { context: string; server: string; settings: Settings }): StoredResults {
  const cluster = here.context;
  const records: ResultRecord[] = rows.flatMap((row) =>
    here.settings.protocols.filter((p): p is "icmp" | "tcp" => p !== "dns").map((protocol) => ({
      source: { cluster, node: row.srcNodeName, ip: "" },
      target: { cluster, node: row.dstNodeName, ip: row.targetIP },
      protocol,
      family: row.targetIP.includes(":") ? ("ipv6" as const) : ("ipv4" as const),
      status: row.Status === 2 ? ("Failed" as const) : ("Error" as const),
      reason: `netctl: ${row.ResultStr || "failed"}`,
      reasonCode: "other" as const,
    })),
  );
  const counts = { nodesTotal: 0, nodesChecked: 0, skippedNodes: 0, execs: 0, retries: 0, durationMs: 0 };
  const results = ResultSet.fromRecords(records);
  return {
    apiVersion: RESULTS_API_VERSION, kind: RESULTS_KIND, partial: false, startedAt: "", finishedAt: "netctl", results, skipped: [],
    clusters: { source: { context: here.context, server: here.server, name: here.context } }, run: { id: "", namespace: here.settings.namespace, kept: false },
    settings: here.settings, summary: summarize(results, counts),
  };
}
