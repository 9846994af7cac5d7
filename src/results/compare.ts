// What changed between two sets of results: pairs fixed, newly failing, still failing (known by
// pairKey: node names, protocol and family, never pod IPs), and nodes added or gone. Used by
// resume (the re-checked pairs against the last run) and `report --compare` (two whole runs). Pure.
import { NODE_ORDER } from "../node-order.ts";
import type { ResultRecord, ResultsDocument } from "./document.ts";
import type { ResultSet } from "./set.ts";
import { addressText, nodeText, targetText } from "../names.ts";

/** A pair's identity across runs. */
export function pairKey(p: Pick<ResultRecord, "source" | "target" | "protocol" | "family" | "custom">): string {
  const from = nodeText(p.source, true);
  if (p.protocol === "dns") return `${from} dns ${targetText(p)}`;
  // A run's Services are new each run: known by their kind, not their ClusterIP.
  if (p.protocol === "svc") return `${from} svc ${p.target.name ?? ""}/${p.family}`;
  if (p.custom) return `${from} -> ${addressText(p.target)} ${p.protocol}`;
  return `${from} -> ${nodeText(p.target, true)} ${p.protocol}/${p.family}`;
}

export interface PairChange {
  pair: string;
  /** Absent: the pair was not in the earlier results (a node added, a protocol added). */
  before?: ResultRecord;
  after: ResultRecord;
}

export interface PairChanges {
  fixed: PairChange[];
  stillFailing: PairChange[];
  /** Failing now in another way than before (e.g. Error before, Failed now), or never tested before. */
  newlyFailing: PairChange[];
}

/** Every pair of `after` that fails, or succeeds after failing, against `before`. Only failures
 * are visited: the mass of successes is never expanded. */
export function diffPairs(before: ResultSet, after: ResultSet): PairChanges {
  const out: PairChanges = { fixed: [], stillFailing: [], newlyFailing: [] };
  for (const was of before.failing()) {
    const now = after.lookup(was, pairKey);
    if (now?.status === "Succeeded") out.fixed.push({ pair: pairKey(was), before: was, after: now });
  }
  for (const r of after.failing()) {
    const pair = pairKey(r);
    const was = before.lookup(r, pairKey);
    const change = { pair, ...(was ? { before: was } : {}), after: r };
    if (was && was.status === r.status) out.stillFailing.push(change);
    else out.newlyFailing.push(change);
  }
  return out;
}

export interface RunComparison extends PairChanges {
  /** Nodes (cluster/node) in the new results only, and in the old only. */
  nodesAdded: string[];
  nodesGone: string[];
  /** Pairs of the old results the new ones do not have (a node gone, a protocol dropped). */
  pairsGone: number;
}

export function compareRuns(older: ResultsDocument, newer: ResultsDocument): RunComparison {
  const [was, now] = [nodesOf(older), nodesOf(newer)];
  let pairsGone = 0;
  for (const r of older.results) if (!newer.results.lookup(r, pairKey)) pairsGone++;
  return {
    ...diffPairs(older.results, newer.results),
    nodesAdded: [...now].filter((n) => !was.has(n)).sort(NODE_ORDER.compare),
    nodesGone: [...was].filter((n) => !now.has(n)).sort(NODE_ORDER.compare),
    pairsGone,
  };
}

/** Every node a run knew: the ends of its pairs and the nodes it had to skip. */
function nodesOf(doc: ResultsDocument): Set<string> {
  const out = new Set(doc.skipped.map((s) => nodeText(s, true)));
  for (const n of doc.results.nodes) out.add(nodeText(n, true));
  return out;
}
