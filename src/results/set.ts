// Every pair's verdict of a run, held compactly. The mass of a healthy mesh, the plain successes
// of the node-to-node layers (icmp, mtu, nodeport, tcp; per address family), is one byte per cell
// of a source x target matrix, and four more for an icmp RTT. So is the mass of a failing one: a
// failure whose outcome (verdict, reason code, reason, loss) is one of the run's few distinct
// outcomes is a byte per cell naming it. Every other pair (lossy, an outcome past the 255th,
// Services, DNS, custom targets, an address the matrix does not hold) is a full record. 25 million
// pairs of a 5,000-node mesh take tens of MB rather than several GB, failing or not. Iterated,
// the set gives every pair as a record again, in report order.
import { NODE_ORDER } from "../node-order.ts";
import type { Family, ProbeProtocol, Verdict } from "../probe/types.ts";
import type { ResultRecord } from "./document.ts";
import type { ReasonCode } from "../probe/reasons.ts";

export interface NodeRef {
  cluster: string;
  node: string;
}

type SourceEnd = ResultRecord["source"];
type TargetEnd = ResultRecord["target"];

/** The layers a matrix holds, in report order (protocol, then family). */
export const MESH_PROTOCOLS = ["icmp", "mtu", "nodeport", "tcp"] as const;
export const FAMILIES = ["ipv4", "ipv6"] as const;
export type MeshProtocol = (typeof MESH_PROTOCOLS)[number];

/** An icmp cell's RTT in two bytes: microseconds below 32.768 ms, else tenths of a millisecond
 * (to 3.2765 s); NO_RTT: held without one (a reply without busybox's summary line); NOT_HELD:
 * no pair in the cell (so an icmp layer needs no byte of its own per cell). An RTT the two bytes
 * cannot hold exactly (45.1234 ms) keeps its pair a record: nothing is rounded. */
export const NO_RTT = 0xfffe;
export const NOT_HELD = 0xffff;
const TENTHS = 0x8000;

/** The packed form of an RTT, or -1 when two bytes cannot hold it exactly. */
export function packRtt(ms: number | undefined): number {
  if (ms === undefined) return NO_RTT;
  const us = Math.round(ms * 1000);
  if (Math.abs(us - ms * 1000) > 1e-6 || us < 0) return -1;
  if (us < TENTHS) return us;
  return us % 100 === 0 && us / 100 < NO_RTT - TENTHS ? TENTHS | (us / 100) : -1;
}

export function rttMsOf(packed: number): number {
  return packed < TENTHS ? packed / 1000 : (packed & (TENTHS - 1)) / 10;
}

/** A failure as a cell says it: the verdict's words, shared by every cell that failed alike. */
export interface Outcome {
  status: "Failed" | "Error";
  reasonCode: ReasonCode;
  reason: string;
  lossPct?: number;
}

/** Distinct outcomes a set's cells can name: a byte per cell, 0 for none. */
export const MAX_OUTCOMES = 255;

export interface Layer {
  protocol: MeshProtocol;
  family: Family;
  /** Per cell: 1 + the index of its failure's outcome (ResultSet.outcomes), 0 for none; made with
   * the layer's first failure. */
  failed?: Uint8Array;
  /** Failure cells, per source node and per target node, and in all. */
  failOut?: Uint32Array;
  failIn?: Uint32Array;
  failCount: number;
  /** Per target node: the endpoint its cells were probed at (the first one seen). */
  targets: (TargetEnd | undefined)[];
  /** Per cell (source * side + target): 1 when the pair plainly succeeded (not icmp). */
  ok?: Uint8Array;
  /** icmp only: per cell, the RTT packed (packRtt), NOT_HELD when no pair is held there. */
  rtt?: Uint16Array;
  /** Cells held, per source node and per target node. */
  outCount: Uint32Array;
  inCount: Uint32Array;
  count: number;
}

/** Counts of the pairs by verdict (whole set, or one direction between clusters). */
export interface Counts {
  pairs: number;
  succeeded: number;
  failed: number;
  errors: number;
}

const layerIndex = (protocol: string, family: string): number => {
  const p = MESH_PROTOCOLS.indexOf(protocol as MeshProtocol);
  return p < 0 ? -1 : p * 2 + (family === "ipv6" ? 1 : 0);
};
const familyIndex = (family: string) => (family === "ipv6" ? 1 : 0);
const nodeKey = (cluster: string, node: string) => `${cluster}\u0000${node}`;
const answerKey = (r: Pick<ResultRecord, "protocol" | "family" | "target">) => `${r.protocol}\u0000${r.family}\u0000${r.target.ip}\u0000${r.target.port ?? ""}`;

/** Report order of records: source node, target node (none first), then this: protocol, family,
 * target name (a run's Services, "service" before "service-local", whatever their ClusterIPs)
 * and address. */
function compareSamePair(a: ResultRecord, b: ResultRecord): number {
  return (a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0) || (a.family < b.family ? -1 : a.family > b.family ? 1 : 0) ||
    NODE_ORDER.compare(a.target.name ?? "", b.target.name ?? "") || NODE_ORDER.compare(a.target.ip, b.target.ip);
}

export class ResultSet {
  /** Every node the set names; the first `side` are the matrices' rows and columns. */
  readonly nodes: NodeRef[] = [];
  readonly side: number;
  readonly layers: (Layer | undefined)[] = new Array(MESH_PROTOCOLS.length * 2);
  /** Per family and source node: the source endpoint of its cells. */
  private readonly sources: (SourceEnd | undefined)[];
  private readonly index = new Map<string, number>();
  /** Endpoint objects already looked up (probes share them): no string key per pair. */
  private readonly known = new Map<object, number>();
  /** A source's verdicts come together: its index is remembered. */
  private lastSource?: NodeRef;
  private lastSourceIndex = -1;
  private recordList: ResultRecord[] = [];
  /** The distinct failures cells name (Layer.failed), in the order first met. */
  readonly outcomes: Outcome[] = [];
  private readonly outcomeIndex = new Map<string, number[]>();
  private failures = 0;
  /** Successes held as records, per protocol, family and target address: whether a target was
   * answered is a lookup, not a scan of every record (a failing mesh has millions). */
  private answered = new Set<string>();
  private sorted = true;
  private held = 0;

  /** `nodes`: the nodes whose pairs the matrices may hold (a run's floaters), in any order. */
  constructor(nodes: Iterable<NodeRef>) {
    const unique = new Map<string, NodeRef>();
    for (const n of nodes) unique.set(nodeKey(n.cluster, n.node), { cluster: n.cluster, node: n.node });
    const ordered = [...unique.values()].sort((a, b) => (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0) || NODE_ORDER.compare(a.node, b.node));
    for (const n of ordered) this.nodeOf(n);
    this.side = this.nodes.length;
    this.sources = new Array(2 * this.side);
  }

  /** A set of the given records (a saved file, a test), its nodes the records' own. */
  static fromRecords(records: Iterable<ResultRecord>, nodes: NodeRef[] = []): ResultSet {
    const list = [...records];
    const set = new ResultSet([...nodes, ...list.flatMap((r) => (r.target.node ? [r.source, r.target] : [r.source]))]);
    for (const r of list) set.addRecord(r);
    return set;
  }

  /** Pairs in the set. */
  get size(): number {
    return this.held + this.failures + this.recordList.length;
  }

  /** The node's index, added when new (beyond the matrices: its pairs are records). */
  nodeOf(e: NodeRef): number {
    const key = nodeKey(e.cluster, e.node);
    let k = this.index.get(key);
    if (k === undefined) {
      k = this.nodes.push({ cluster: e.cluster, node: e.node }) - 1;
      this.index.set(key, k);
    }
    return k;
  }

  /** A node's index, if the set knows it; an endpoint the set holds cells of is found by
   * identity, without a key string (an analysis asks for every failing pair's two ends). */
  find(e: NodeRef): number | undefined {
    const k = this.known.get(e);
    if (k !== undefined && k >= 0) return k;
    return this.index.get(nodeKey(e.cluster, e.node));
  }

  /** A probe's endpoint (an object every probe of it shares), looked up by identity. */
  private cellIndex(e: NodeRef): number {
    const k = this.known.get(e);
    if (k !== undefined) return k;
    const found = this.index.get(nodeKey(e.cluster, e.node)) ?? -1;
    this.known.set(e, found);
    return found;
  }

  add(v: Verdict): void {
    const p = v.probe;
    if (!p.custom && this.holds(v.status, v.reasonCode, v.reason, p.protocol, p.family, p.source, p.target, v.rttMs, v.lossPct, true)) return;
    this.addAsRecord(recordOf(v));
  }

  addRecord(r: ResultRecord): void {
    if (!r.custom && this.holds(r.status, r.reasonCode, r.reason, r.protocol, r.family, r.source, r.target, r.rttMs, r.lossPct, false)) return;
    this.addAsRecord(r);
  }

  /** Into a matrix, as a plain success or as one of the run's outcomes of failure. */
  private holds(status: ResultRecord["status"], reasonCode: ReasonCode | undefined, reason: string, protocol: ProbeProtocol, family: Family, source: SourceEnd, target: TargetEnd, rttMs: number | undefined, lossPct: number | undefined, shared: boolean): boolean {
    // Results saved before reason codes: a success without one is plain, a failure keeps its record.
    if (status === "Succeeded") return (reasonCode ?? "ok") === "ok" && !reason && this.hold(protocol, family, source, target, rttMs, lossPct, shared, 0);
    // A failure's RTT (none but mtu's) is not a cell's to say.
    if (!reasonCode || rttMs !== undefined || layerIndex(protocol, family) < 0) return false;
    const outcome = this.outcomeOf({ status, reasonCode, reason, ...(lossPct !== undefined ? { lossPct } : {}) });
    return outcome > 0 && this.hold(protocol, family, source, target, undefined, protocol === "icmp" ? 0 : undefined, shared, outcome);
  }

  /** 1 + the outcome's index, made when new; 0 when the set names MAX_OUTCOMES already. Looked
   * up by its reason (no key string made per failure: 25 million at 5,000 nodes all failing). */
  private outcomeOf(o: Outcome): number {
    // Failures come in runs of the same outcome (a source's exec, a silent target's sources).
    const last = this.outcomes[this.lastOutcome - 1];
    if (last && last.reason === o.reason && last.status === o.status && last.reasonCode === o.reasonCode && last.lossPct === o.lossPct) return this.lastOutcome;
    this.lastOutcome = this.findOutcome(o);
    return this.lastOutcome;
  }

  private lastOutcome = 0;

  private findOutcome(o: Outcome): number {
    const alike = this.outcomeIndex.get(o.reason);
    if (alike) {
      for (const k of alike) {
        const x = this.outcomes[k - 1]!;
        if (x.status === o.status && x.reasonCode === o.reasonCode && x.lossPct === o.lossPct) return k;
      }
    }
    if (this.outcomes.length >= MAX_OUTCOMES) return 0;
    const k = this.outcomes.push(o);
    if (alike) alike.push(k);
    else this.outcomeIndex.set(o.reason, [k]);
    return k;
  }

  private addAsRecord(r: ResultRecord): void {
    this.nodeOf(r.source);
    if (r.target.node) this.nodeOf(r.target);
    this.recordList.push(r);
    if (r.status === "Succeeded") this.answered.add(answerKey(r));
    this.sorted = false;
    this.byKey = undefined;
  }

  /** A held cell read back from a file (compact.ts); endpoints shared per node. `outcome`: 0 for
   * a success, else 1 + its index in the outcomes restored first (restoreOutcome). False when
   * the cell is held already. */
  restore(protocol: MeshProtocol, family: Family, source: SourceEnd, target: TargetEnd, rttMs: number | undefined, outcome = 0): boolean {
    return this.hold(protocol, family, source, target, rttMs, protocol === "icmp" ? 0 : undefined, true, outcome);
  }

  /** An outcome read back from a file, in its place: cells name it by that place. */
  restoreOutcome(o: Outcome): number {
    return this.outcomeOf(o);
  }

  /** Into a matrix, when the cell can say all of the pair: a plain success (outcome 0), or a
   * failure of a known outcome. */
  private hold(protocol: ProbeProtocol, family: Family, source: SourceEnd, target: TargetEnd, rttMs: number | undefined, lossPct: number | undefined, shared: boolean, outcome: number): boolean {
    const l = layerIndex(protocol, family);
    if (l < 0 || target.name !== undefined || !target.node) return false;
    // What the cell implies: an icmp success lost nothing (and may have an RTT), others have neither.
    if (protocol === "icmp" ? lossPct !== 0 : lossPct !== undefined || rttMs !== undefined) return false;
    const rtt = protocol === "icmp" ? packRtt(rttMs) : NO_RTT;
    if (rtt < 0) return false;
    const n = this.side;
    const t = shared ? this.cellIndex(target) : this.find(target) ?? -1;
    let s: number;
    if (!shared) s = this.find(source) ?? -1;
    else if (source === this.lastSource) s = this.lastSourceIndex;
    else {
      s = this.cellIndex(source);
      this.lastSource = source;
      this.lastSourceIndex = s;
    }
    if (s < 0 || s >= n || t < 0 || t >= n) return false;
    const f = familyIndex(family) * n + s;
    const src = this.sources[f];
    if (src ? src.ip !== source.ip : false) return false;
    const layer = (this.layers[l] ??= this.newLayer(l));
    const held = layer.targets[t];
    if (held && (held.ip !== target.ip || held.port !== target.port)) return false;
    const k = s * n + t;
    if (isHeld(layer, k) || failureAt(layer, k)) return false; // the same pair twice: the second is a record
    if (!src) this.sources[f] = source;
    if (!held) layer.targets[t] = target;
    if (outcome) {
      if (!layer.failed) [layer.failed, layer.failOut, layer.failIn] = [new Uint8Array(n * n), new Uint32Array(n), new Uint32Array(n)];
      layer.failed[k] = outcome;
      layer.failOut![s]!++;
      layer.failIn![t]!++;
      layer.failCount++;
      this.failures++;
      return true;
    }
    if (layer.rtt) layer.rtt[k] = rtt;
    else layer.ok![k] = 1;
    layer.outCount[s]!++;
    layer.inCount[t]!++;
    layer.count++;
    this.held++;
    return true;
  }

  private newLayer(l: number): Layer {
    const n = this.side;
    const protocol = MESH_PROTOCOLS[l >> 1]!;
    return {
      protocol, family: FAMILIES[l & 1]!, targets: new Array(n),
      ...(protocol === "icmp" ? { rtt: new Uint16Array(n * n).fill(NOT_HELD) } : { ok: new Uint8Array(n * n) }),
      outCount: new Uint32Array(n), inCount: new Uint32Array(n), count: 0, failCount: 0,
    };
  }

  /** The source endpoint of a node's cells in a family. */
  sourceOf(s: number, family: Family): SourceEnd {
    const n = this.nodes[s]!;
    return this.sources[familyIndex(family) * this.side + s] ?? { cluster: n.cluster, node: n.node, ip: "" };
  }

  /** Pairs held as records (every pair that did not plainly succeed, and the rest), in report order. */
  records(): ResultRecord[] {
    if (!this.sorted) {
      // Ranks looked up once per record, not per comparison (a v1 file has every pair a record).
      const order = this.order();
      const keyed = this.recordList.map((r) => ({ r, s: order[this.find(r.source)!]!, t: r.target.node ? order[this.find(r.target)!]! : -1 }));
      keyed.sort((a, b) => a.s - b.s || a.t - b.t || compareSamePair(a.r, b.r));
      this.recordList = keyed.map((k) => k.r);
      this.sorted = true;
    }
    return this.recordList;
  }

  /** Each node's place in report order (nodes appended after the matrices sort in too). */
  private order(): Int32Array {
    const byName = this.nodes.map((_, k) => k).sort((a, b) => {
      const [x, y] = [this.nodes[a]!, this.nodes[b]!];
      return (x.cluster < y.cluster ? -1 : x.cluster > y.cluster ? 1 : 0) || NODE_ORDER.compare(x.node, y.node);
    });
    const rank = new Int32Array(this.nodes.length);
    byName.forEach((node, k) => (rank[node] = k));
    return rank;
  }

  /** A held cell as a record. */
  cell(l: number, s: number, t: number): ResultRecord {
    const layer = this.layers[l]!;
    const k = s * this.side + t;
    const outcome = failureAt(layer, k);
    if (outcome) return this.failureRecord(layer, s, t, outcome);
    const rtt = layer.rtt?.[k];
    return this.cellRecord(layer.protocol, layer.family, this.sourceOf(s, layer.family), layer.targets[t]!, rtt !== undefined && rtt !== NO_RTT ? rttMsOf(rtt) : undefined);
  }

  private failureRecord(layer: Layer, s: number, t: number, outcome: number): ResultRecord {
    const o = this.outcomes[outcome - 1]!;
    return {
      source: this.sourceOf(s, layer.family), target: layer.targets[t]!, protocol: layer.protocol, family: layer.family,
      status: o.status, reason: o.reason, reasonCode: o.reasonCode, ...(o.lossPct !== undefined ? { lossPct: o.lossPct } : {}),
    };
  }

  /** Pairs that failed or could not be tested, in report order, as records one at a time: a
   * failing mesh has millions, never all made at once. */
  *failing(): Generator<ResultRecord> {
    if (!this.failures) {
      for (const r of this.records()) if (r.status !== "Succeeded") yield r;
      return;
    }
    // The walk in report order, without making a record of any held success only to drop it.
    yield* this.inOrder(true);
  }

  /** How many pairs failed or could not be tested. */
  get failingCount(): number {
    let n = this.failures;
    for (const r of this.recordList) if (r.status !== "Succeeded") n++;
    return n;
  }

  /** The failure cells `wanted` keeps (by layer and outcome), as records, up to `max` (for an
   * analysis of what is left once a rule explained whole layers by their counts). */
  failureRecords(wanted: (layer: Layer, outcome: Outcome) => boolean = () => true, max = Infinity): ResultRecord[] {
    const out: ResultRecord[] = [];
    const n = this.side;
    for (const layer of this.layers) {
      if (!layer?.failed) continue;
      const keep = [false, ...this.outcomes.map((o) => wanted(layer, o))];
      if (!keep.includes(true)) continue;
      const { failed } = layer;
      for (let s = 0; s < n && out.length < max; s++) {
        if (!layer.failOut![s]) continue;
        for (let t = 0, k = s * n; t < n && out.length < max; t++, k++) if (keep[failed[k]!]) out.push(this.failureRecord(layer, s, t, failed[k]!));
      }
    }
    return out;
  }

  /** The record a cell stands for. */
  cellRecord(protocol: MeshProtocol, family: Family, source: SourceEnd, target: TargetEnd, rttMs: number | undefined): ResultRecord {
    return {
      source, target, protocol, family, status: "Succeeded", reason: "", reasonCode: "ok",
      ...(rttMs !== undefined ? { rttMs } : {}), ...(protocol === "icmp" ? { lossPct: 0 } : {}),
    };
  }

  /** Every pair, in report order: per source node, its records without a target node, then per
   * target node its cells and records by protocol and family. */
  *[Symbol.iterator](): Generator<ResultRecord> {
    yield* this.inOrder(false);
  }

  /** Every pair in report order, or (`failingOnly`) those that did not succeed. */
  private *inOrder(failingOnly: boolean): Generator<ResultRecord> {
    const records = this.records();
    const wanted = (r: ResultRecord) => !failingOnly || r.status !== "Succeeded";
    const order = this.order();
    const byRank = new Int32Array(this.nodes.length);
    order.forEach((rank, node) => (byRank[rank] = node));
    const n = this.side;
    const layers = this.layers.flatMap((layer, l) => (layer ? [l] : []));
    const rankOf = (e: NodeRef) => order[this.find(e)!]!;
    let next = 0;
    for (const s of byRank) {
      const sRank = order[s]!;
      // Records before this source's (none: sorted), then those of no target node.
      for (; next < records.length && rankOf(records[next]!.source) === sRank && !records[next]!.target.node; next++) if (wanted(records[next]!)) yield records[next]!;
      if (s < n) {
        for (const t of byRank) {
          if (t >= n) continue;
          const tRank = order[t]!;
          const k = s * n + t;
          for (const l of layers) {
            const layer = this.layers[l]!;
            // Records of this pair and protocol that sort before the cell (none, or another address).
            for (; next < records.length && this.belongsBefore(records[next]!, sRank, tRank, layer, rankOf); next++) if (wanted(records[next]!)) yield records[next]!;
            if (failureAt(layer, k) || (!failingOnly && isHeld(layer, k))) yield this.cell(l, s, t);
          }
        }
      }
      for (; next < records.length && rankOf(records[next]!.source) === sRank; next++) if (wanted(records[next]!)) yield records[next]!;
    }
    for (; next < records.length; next++) if (wanted(records[next]!)) yield records[next]!;
  }

  /** Whether a record comes before the cells of `layer` between source and target ranks. */
  private belongsBefore(r: ResultRecord, sRank: number, tRank: number, layer: Layer, rankOf: (e: NodeRef) => number): boolean {
    if (rankOf(r.source) !== sRank || !r.target.node) return false;
    const t = rankOf(r.target);
    if (t !== tRank) return t < tRank;
    return r.protocol < layer.protocol || (r.protocol === layer.protocol && r.family <= layer.family);
  }

  /** The pair a record-like names, if the set has it. */
  lookup(p: Pick<ResultRecord, "source" | "target" | "protocol" | "family" | "custom">, keyOf: (p: Pick<ResultRecord, "source" | "target" | "protocol" | "family" | "custom">) => string): ResultRecord | undefined {
    const l = layerIndex(p.protocol, p.family);
    if (l >= 0 && !p.custom && p.target.node) {
      const s = this.find(p.source);
      const t = this.find(p.target);
      const layer = this.layers[l];
      if (layer && s !== undefined && t !== undefined && s < this.side && t < this.side && (isHeld(layer, s * this.side + t) || failureAt(layer, s * this.side + t))) return this.cell(l, s, t);
    }
    this.byKey ??= new Map(this.records().map((r) => [keyOf(r), r]));
    return this.byKey.get(keyOf(p));
  }
  private byKey?: Map<string, ResultRecord>;

  /** The pairs by verdict: all, and per direction between two clusters (cluster-crossing pairs). */
  counts(): Counts & { directions: (Counts & { from: string; to: string })[] } {
    const total: Counts = { pairs: this.size, succeeded: 0, failed: 0, errors: 0 };
    const directions = new Map<string, Counts & { from: string; to: string }>();
    const direction = (from: string, to: string) => {
      const key = nodeKey(from, to);
      let d = directions.get(key);
      if (!d) directions.set(key, (d = { from, to, pairs: 0, succeeded: 0, failed: 0, errors: 0 }));
      return d;
    };
    const tally = (c: Counts, status: ResultRecord["status"]) => {
      if (status === "Succeeded") c.succeeded++;
      else if (status === "Failed") c.failed++;
      else c.errors++;
    };
    for (const r of this.recordList) {
      tally(total, r.status);
      if (!r.target.cluster || r.target.cluster === r.source.cluster) continue;
      const d = direction(r.source.cluster, r.target.cluster);
      d.pairs++;
      tally(d, r.status);
    }
    for (const [key, cells] of this.cellsBetweenClusters()) {
      for (const c of ["succeeded", "failed", "errors"] as const) total[c] += cells[c];
      const [from, to] = key.split("\u0000") as [string, string];
      if (from === to) continue;
      const d = direction(from, to);
      for (const c of ["pairs", "succeeded", "failed", "errors"] as const) d[c] += cells[c];
    }
    const ordered = [...directions.values()].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0) || (a.to < b.to ? -1 : a.to > b.to ? 1 : 0));
    return { ...total, directions: ordered };
  }

  /** Plain successes held in cells per (source cluster, target cluster), keyed "from\0to". */
  heldBetweenClusters(): Map<string, number> {
    return new Map([...this.cellsBetweenClusters()].flatMap(([key, c]) => (c.succeeded ? [[key, c.succeeded]] : [])));
  }

  /** Cells by verdict per (source cluster, target cluster), keyed "from\0to". */
  cellsBetweenClusters(): Map<string, Counts> {
    const out = new Map<string, Counts>();
    const n = this.side;
    const clusters = [...new Set(this.nodes.slice(0, n).map((x) => x.cluster))];
    // The failures' verdicts, by outcome (its place + 1, as cells name it).
    const errorOutcome = Uint8Array.from([0, ...this.outcomes.map((o) => (o.status === "Error" ? 1 : 0))]);
    const [succeeded, failed, errors] = [0, 1, 2].map(() => new Float64Array(Math.max(1, clusters.length) ** 2)) as [Float64Array, Float64Array, Float64Array];
    if (clusters.length <= 1) succeeded[0] = this.held;
    const clusterOf = Int32Array.from(this.nodes.slice(0, n), (x) => clusters.indexOf(x.cluster));
    for (const layer of this.layers) {
      if (!layer) continue;
      for (let s = 0; s < n; s++) {
        const row = clusterOf[s]! * clusters.length;
        if (clusters.length > 1 && layer.outCount[s]) for (let t = 0, k = s * n; t < n; t++, k++) if (isHeld(layer, k)) succeeded[row + clusterOf[t]!]!++;
        if (!layer.failOut?.[s]) continue;
        const cells = layer.failed!;
        for (let t = 0, k = s * n; t < n; t++, k++) {
          if (!cells[k]) continue;
          if (errorOutcome[cells[k]!]) errors[row + clusterOf[t]!]!++;
          else failed[row + clusterOf[t]!]!++;
        }
      }
    }
    clusters.forEach((from, a) => clusters.forEach((to, b) => {
      const k = a * clusters.length + b;
      const c = { succeeded: succeeded[k]!, failed: failed[k]!, errors: errors[k]! };
      if (c.succeeded + c.failed + c.errors) out.set(nodeKey(from, to), { pairs: c.succeeded + c.failed + c.errors, ...c });
    }));
    return out;
  }

  /** Every held cell's RTT (icmp), with its source and target node and its layer. */
  forEachRtt(visit: (s: number, t: number, rttMs: number, layer: number) => void): void {
    const n = this.side;
    this.layers.forEach((layer, l) => {
      if (!layer?.rtt) return;
      const { rtt } = layer;
      for (let k = 0; k < rtt.length; k++) {
        if (rtt[k]! < NO_RTT) visit((k / n) | 0, k % n, rttMsOf(rtt[k]!), l);
      }
    });
  }

  /** Each target node's held RTTs (ms), a block of columns at a time (a column alone is read
   * with a stride of N: one cache miss per cell). `rtts` is scratch space, reused for the next. */
  rttsByTarget(visit: (t: number, rttsMs: Float64Array) => void): void {
    const n = this.side;
    const BLOCK = 256;
    const timed = this.layers.filter((l) => l?.rtt) as Layer[];
    const stride = n * timed.length;
    const scratch = new Float64Array(Math.min(BLOCK, n) * stride);
    const counts = new Int32Array(BLOCK);
    for (let t0 = 0; t0 < n; t0 += BLOCK) {
      const t1 = Math.min(n, t0 + BLOCK);
      counts.fill(0);
      for (const { rtt } of timed) {
        for (let s = 0; s < n; s++) {
          for (let t = t0, k = s * n + t0; t < t1; t++, k++) {
            if (rtt![k]! < NO_RTT) scratch[(t - t0) * stride + counts[t - t0]!++] = rttMsOf(rtt![k]!);
          }
        }
      }
      for (let t = t0; t < t1; t++) visit(t, scratch.subarray((t - t0) * stride, (t - t0) * stride + counts[t - t0]!));
    }
  }

  /** Up to `max` held cells with an RTT to one target node, as records. */
  heldTo(t: number, max: number): ResultRecord[] {
    const out: ResultRecord[] = [];
    const n = this.side;
    this.layers.forEach((layer, l) => {
      if (!layer?.rtt || t >= n) return;
      for (let s = 0; s < n && out.length < max; s++) if (layer.rtt[s * n + t]! < NO_RTT) out.push(this.cell(l, s, t));
    });
    return out;
  }

  /** Whether some source reached this target on this protocol and family (a held success, or a
   * kept one): a failure to it is then not everybody's. */
  answeredTo(p: Pick<ResultRecord, "protocol" | "family" | "target">): boolean {
    const l = layerIndex(p.protocol, p.family);
    // The target endpoint is the probe's own shared object: its node found by identity.
    const t = this.cellIndex(p.target);
    if (l >= 0 && t >= 0 && t < this.side && (this.layers[l]?.inCount[t] ?? 0) > 0) return true;
    return this.answered.size > 0 && this.answered.has(answerKey(p));
  }

  /** Replaces the pairs that did not plainly succeed (a resume's merge): `keep` maps each to its
   * replacement (itself to keep it as it is), or drops it. */
  replaceFailures(keep: (r: ResultRecord) => ResultRecord | undefined): void {
    const n = this.side;
    const replaced: ResultRecord[] = [];
    for (const layer of this.layers) {
      if (!layer?.failed) continue;
      for (let s = 0; s < n; s++) {
        if (!layer.failOut![s]) continue;
        for (let t = 0, k = s * n; t < n; t++, k++) {
          if (!layer.failed[k]) continue;
          const was = this.failureRecord(layer, s, t, layer.failed[k]!);
          const now = keep(was);
          if (now === was) continue;
          layer.failed[k] = 0;
          layer.failOut![s]!--;
          layer.failIn![t]!--;
          layer.failCount--;
          this.failures--;
          if (now) replaced.push(now);
        }
      }
    }
    this.recordList = this.recordList.flatMap((r) => (r.status === "Succeeded" ? [r] : keep(r) ?? []));
    this.answered = new Set(this.recordList.filter((r) => r.status === "Succeeded").map(answerKey));
    this.sorted = false;
    this.byKey = undefined;
    for (const r of replaced) this.addRecord(r);
  }
}

/** Whether a layer holds a plain success in cell k. */
export function isHeld(layer: Layer, k: number): boolean {
  return layer.rtt ? layer.rtt[k] !== NOT_HELD : layer.ok![k] === 1;
}

/** The failure a layer holds in cell k: 1 + its outcome's index, or 0. */
export function failureAt(layer: Layer, k: number): number {
  return layer.failed ? layer.failed[k]! : 0;
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
