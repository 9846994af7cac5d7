// A run's results as matrices, the shape the HTML report draws: the node list once, then per
// protocol/family a grid of sources x targets with one byte of verdict and two bytes of RTT per
// cell (250,000 cells per protocol at 500 nodes: typed arrays, not an object per pair). DNS and
// --target results are grids too, their columns the servers or targets. Pure.
import { NODE_ORDER } from "../node-order.ts";
import { REASON_CODES } from "../probe/reasons.ts";
import { clusterName, type ResultRecord, type ResultsDocument } from "../results/document.ts";
import { groupBy } from "../group.ts";
import { addressText, targetText } from "../names.ts";
import { failureAt, isHeld, MESH_PROTOCOLS, NO_RTT as NO_HELD_RTT, rttMsOf } from "../results/set.ts";

export const STATUS_CODES = { Succeeded: 1, Failed: 2, Error: 3 } as const;
/** A cell's byte: 0 = not tested, else status << 5 | index of its reasonCode in REASON_CODES
 * (ABSENT_CODE for results saved before reason codes). */
export const ABSENT_CODE = 31;
/** RTT in units of 10 µs; NO_RTT when there is none, RTT_CAP for 655.34 ms and more. */
export const RTT_UNIT_MS = 0.01;
export const NO_RTT = 0xffff;
const RTT_CAP = 0xfffe;
/** Reason texts are numbered in a dictionary; a cell's index fits two bytes. */
const MAX_REASONS = 0xffff;

export interface MatrixNode {
  /** Index into MatrixData.clusters. */
  cluster: number;
  name: string;
}

export interface Panel {
  /** "tcp/ipv4", "dns/ipv4", "target tcp/ipv4". */
  id: string;
  protocol: string;
  family: string;
  /** Columns: the node list (a mesh) when absent, else these targets (DNS servers, --target). */
  targets?: string[];
  /** Addresses as probed: a source's per row, a target's per column ("" when not tested). */
  sourceAddresses: string[];
  targetAddresses: string[];
  cells: Uint8Array;
  rtt: Uint16Array;
  /** Index into MatrixData.reasons per cell; absent when no cell has a reason. */
  reasons?: Uint16Array;
}

export interface MatrixData {
  clusters: string[];
  /** Rows (and a mesh's columns): the source cluster's nodes, then the destination's, natural order. */
  nodes: MatrixNode[];
  panels: Panel[];
  /** Reason texts; index 0 is "". */
  reasons: string[];
}

function panelId(r: ResultRecord): string {
  return `${r.custom ? "target " : ""}${r.protocol}/${r.family}`;
}


/** Mesh panels first (icmp, tcp; IPv4 before IPv6), then DNS, then --target panels. */
function panelRank(id: string): string {
  return `${id.startsWith("target ") ? 2 : id.startsWith("dns/") ? 1 : 0}${id}`;
}

export function buildMatrices(doc: Pick<ResultsDocument, "clusters" | "results" | "skipped">): MatrixData {
  const clusters = [clusterName(doc.clusters.source), ...(doc.clusters.destination ? [clusterName(doc.clusters.destination)] : [])];
  const clusterIndex = (name: string) => {
    let k = clusters.indexOf(name);
    if (k < 0) k = clusters.push(name) - 1;
    return k;
  };
  // Every node the run knew: the ends of its pairs and the nodes it had to skip.
  const nodeKeys = new Map<string, MatrixNode>();
  const addNode = (cluster: string, name: string) => {
    const key = `${cluster}\u0000${name}`;
    if (!nodeKeys.has(key)) nodeKeys.set(key, { cluster: clusterIndex(cluster), name });
  };
  for (const n of doc.results.nodes) addNode(n.cluster, n.node);
  for (const s of doc.skipped) addNode(s.cluster, s.node);
  const nodes = [...nodeKeys.values()].sort((a, b) => a.cluster - b.cluster || NODE_ORDER.compare(a.name, b.name));
  const row = new Map(nodes.map((n, k) => [`${n.cluster}\u0000${n.name}`, k]));
  const rowOf = (e: { cluster: string; node: string }) => row.get(`${clusterIndex(e.cluster)}\u0000${e.node}`)!;

  // The panels, from what the set holds and the pairs it keeps as records (DNS and --target
  // pairs are always records): no pair of the healthy mass is made for this.
  const records = doc.results.records();
  const ids = new Set<string>(doc.results.layers.flatMap((l) => (l && (l.count || l.failCount) ? [`${l.protocol}/${l.family}`] : [])));
  for (const r of records) ids.add(panelId(r));
  const reasons = [""];
  const reasonIndex = new Map([["", 0]]);
  const reasonOf = (text: string) => {
    const known = reasonIndex.get(text);
    if (known !== undefined) return known;
    // Once the dictionary is full, its last entry says where the words are.
    let k = reasons.length;
    if (k < MAX_REASONS - 1) reasons.push(text);
    else reasons[(k = MAX_REASONS - 1)] = "(more reasons than the report holds: see the results file)";
    reasonIndex.set(text, k);
    return k;
  };
  const codeIndex = new Map<string, number>(REASON_CODES.map((c, k) => [c, k]));

  const recordsByPanel = groupBy(records, panelId);
  const panels = [...ids].sort((a, b) => (panelRank(a) < panelRank(b) ? -1 : 1)).map((id) => {
    const [kind, family] = id.replace(/^target /, "").split("/") as [string, string];
    const mesh = !id.startsWith("target ") && (MESH_PROTOCOLS as readonly string[]).includes(kind);
    const targets = mesh ? undefined : [...new Set((recordsByPanel.get(id) ?? []).map(targetText))].sort(NODE_ORDER.compare);
    const cols = targets ? targets.length : nodes.length;
    return {
      panel: {
        id, protocol: kind, family, ...(targets ? { targets } : {}),
        sourceAddresses: nodes.map(() => ""), targetAddresses: Array.from({ length: cols }, () => ""),
        cells: new Uint8Array(nodes.length * cols), rtt: new Uint16Array(nodes.length * cols).fill(NO_RTT),
      } as Panel,
      column: targets ? new Map(targets.map((t, k) => [t, k])) : undefined,
      reasonCells: new Uint16Array(nodes.length * cols),
      anyReason: false,
    };
  });
  const byId = new Map(panels.map((p) => [p.panel.id, p]));
  // A pair held as a record, into its panel.
  const fill = (r: ResultRecord) => {
    const p = byId.get(panelId(r))!;
    const cols = p.panel.targets ? p.panel.targets.length : nodes.length;
    const s = rowOf(r.source);
    const t = p.column ? p.column.get(targetText(r))! : rowOf(r.target);
    const k = s * cols + t;
    p.panel.cells[k] = (STATUS_CODES[r.status] << 5) | (r.reasonCode === undefined ? ABSENT_CODE : codeIndex.get(r.reasonCode)!);
    if (r.rttMs !== undefined) p.panel.rtt[k] = Math.min(RTT_CAP, Math.round(r.rttMs / RTT_UNIT_MS));
    if (r.reason) {
      p.reasonCells[k] = reasonOf(r.reason);
      p.anyReason = true;
    }
    p.panel.sourceAddresses[s] ||= r.source.ip;
    p.panel.targetAddresses[t] ||= r.protocol === "dns" ? r.target.ip : addressText(r.target);
  };
  // Held cells straight from the set's matrices; the rest from its records.
  const set = doc.results;
  const okCode = (STATUS_CODES.Succeeded << 5) | codeIndex.get("ok")!;
  // A failure cell's verdict and reason, by its outcome (its place + 1, as cells name it).
  const outcomeCodes = [0, ...set.outcomes.map((o) => (STATUS_CODES[o.status] << 5) | codeIndex.get(o.reasonCode)!)];
  const outcomeReasons = [0, ...set.outcomes.map((o) => (o.reason ? reasonOf(o.reason) : 0))];
  for (const layer of set.layers) {
    if (!layer || !(layer.count || layer.failCount)) continue;
    const p = byId.get(`${layer.protocol}/${layer.family}`)!;
    const rows = Int32Array.from(set.nodes.slice(0, set.side), (n) => rowOf(n));
    for (let s = 0; s < set.side; s++) {
      if (!layer.outCount[s] && !layer.failOut?.[s]) continue;
      for (let t = 0; t < set.side; t++) {
        const failure = failureAt(layer, s * set.side + t);
        if (!failure && !isHeld(layer, s * set.side + t)) continue;
        const k = rows[s]! * nodes.length + rows[t]!;
        p.panel.cells[k] = failure ? outcomeCodes[failure]! : okCode;
        if (failure && outcomeReasons[failure]) {
          p.reasonCells[k] = outcomeReasons[failure]!;
          p.anyReason = true;
        }
        const rtt = failure ? undefined : layer.rtt?.[s * set.side + t];
        if (rtt !== undefined && rtt !== NO_HELD_RTT) p.panel.rtt[k] = Math.min(RTT_CAP, Math.round(rttMsOf(rtt) / RTT_UNIT_MS));
        p.panel.sourceAddresses[rows[s]!] ||= set.sourceOf(s, layer.family).ip;
        p.panel.targetAddresses[rows[t]!] ||= addressText(layer.targets[t]!);
      }
    }
  }
  for (const r of records) fill(r);
  return { clusters, nodes, panels: panels.map((p) => ({ ...p.panel, ...(p.anyReason ? { reasons: p.reasonCells } : {}) })), reasons };
}
