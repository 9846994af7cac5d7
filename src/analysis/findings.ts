// From verdicts to findings: which node, link, protocol, address family, interconnect or DNS
// server is broken, ranked by how many failing pairs each explains. Each rule claims the pairs it
// explains, so a later, narrower rule sees only what is left; whatever no rule explains is listed
// as such. The rules are documented in README "Findings". Pure, one pass of counting per rule
// family over typed arrays: a 500-node mesh (half a million pairs) is analysed in well under a
// second.
import { clusterName, type ResultRecord, type ResultsDocument, type Sampled } from "../results/document.ts";
import type { ReasonCode } from "../probe/reasons.ts";
import type { Layer, NodeRef, ResultSet } from "../results/set.ts";
import { pairKey } from "../results/compare.ts";
import { groupBy } from "../group.ts";
import { millis, plural } from "../words.ts";
import { addressText, nodeText, pairText } from "../names.ts";
import type { Finding, Severity } from "../results/finding.ts";

/** "Nearly all": a node, family or interconnect is blamed when at least this share of its pairs
 * fail (a pair or two passing by chance must not hide a dead node), and the rest is called
 * healthy when at most HEALTHY of its pairs fail. */
export const MOST = 0.8;
export const HEALTHY = 0.2;
/** Latency outliers: at least this many times the cluster's median RTT, and this much above it. */
export const SLOW_FACTOR = 5;
export const SLOW_MARGIN_MS = 10;
/** RTTs needed before a slow link must also beat the cluster's 99th percentile. */
export const TAIL_SAMPLES = 1000;
const EXAMPLES = 3;
/** Broken links past this many (or past the number of nodes) are said as scattered failures. */
export const SCATTERED_LINKS = 20;

const isFailure = (r: ResultRecord) => r.status !== "Succeeded";
/** "icmp/ipv4": made once per protocol and family, not per pair. */
const LAYER_NAMES = [new Map<string, string>(), new Map<string, string>()];
const layerOf = (r: ResultRecord): string => {
  const names = LAYER_NAMES[r.family === "ipv6" ? 1 : 0]!;
  let name = names.get(r.protocol);
  if (name === undefined) names.set(r.protocol, (name = `${r.protocol}/${r.family}`));
  return name;
};
const code = (r: ResultRecord): ReasonCode | undefined => r.reasonCode;
const execFailed = (r: ResultRecord) => r.status === "Error" && (code(r) === "exec-failed" || (!code(r) && r.reason.startsWith("could not test")));

/** A node-to-node pair (not DNS, not a custom target). */
const isMesh = (r: ResultRecord) => r.target.node !== "" && r.protocol !== "dns" && !r.custom;

/** What analyze reads: a results document, or the parts of one a run has so far. */
export type Analyzed = Pick<ResultsDocument, "results" | "skipped" | "clusters"> & { sampled?: Sampled };

/** The rules in the order they claim pairs (README "Findings"): each sees what the ones before
 * it left unexplained. */
export function analyze(doc: Analyzed): Finding[] {
  const a = begin(doc);
  layerWide(a);
  nodesNotReady(a);
  notRechecked(a);
  nodesExecFailed(a);
  probeErrors(a);
  familyBroken(a);
  interconnect(a);
  serviceFindings(a);
  const blamed = nodeFindings(a);
  blamedNodesServiceProbes(a, blamed);
  links(a);
  dnsFindings(a);
  customTargets(a);
  unexplained(a);
  latencyFindings(a);
  sampled(a);
  return ranked(a.findings);
}

/** What every rule reads, and the findings and claimed pairs they leave for the next. */
interface Analysis {
  doc: Analyzed;
  set: ResultSet;
  /** The pairs held as records, and the failure cells as records but for those a layer-wide
   * finding explains by its counts alone; plain successes held in the set's matrices count only
   * in the totals, from its per-node counts. */
  results: ResultRecord[];
  /** Layers failing between (nearly) every pair, found from the counts before anything else. */
  wide: LayerWide;
  held: HeldTotals;
  /** Indices of the node-to-node records. */
  meshIdx: number[];
  probed: Probed;
  /** Per record: 1 once a finding explains it. */
  claimed: Uint8Array;
  findings: Finding[];
  /** A node's index in the set: a rule keys a node by it, never by a "cluster/node" string cut
   * apart again (a context name may hold any character, "/" too: EKS ARNs, OpenShift contexts). */
  nodeId(e: NodeRef): number;
  /** A node as the findings write it. */
  name(e: NodeRef): string;
  /** A pair as a finding's example: the pair and its layer. */
  example(r: ResultRecord): string;
  /** The indices of the records that `keep` keeps. */
  where(keep: (r: ResultRecord, k: number) => boolean): number[];
  /** A finding explaining (and claiming) these records, out of `of` pairs its rule looked at. */
  add(f: Omit<Finding, "evidence">, explained: number[], of: number): Finding;
}

function begin(doc: Analyzed): Analysis {
  const set = doc.results;
  const wide = layersFailingEverywhere(doc);
  // A layer failing everywhere is said in one finding from its counts: its millions of cells
  // are never made into records (a CNI outage at 5,000 nodes is 25 million failures a layer).
  const results = [...set.records(), ...set.failureRecords((layer, o) => !(wide.layers.includes(layer) && o.status === "Failed"))];
  const claimed = new Uint8Array(results.length);
  const findings: Finding[] = [];
  const crossCluster = !!doc.clusters.destination;
  const where = (keep: (r: ResultRecord, k: number) => boolean) => {
    const out: number[] = [];
    for (let k = 0; k < results.length; k++) if (keep(results[k]!, k)) out.push(k);
    return out;
  };
  const held = heldTotals(set);
  const meshIdx = where(isMesh);
  const nodeId = (e: NodeRef) => set.find(e)!;
  const example = (r: ResultRecord) => `${pairText(r, crossCluster)} ${layerOf(r)}`;
  return {
    doc, set, results, wide, held, meshIdx, probed: probedPairs(set, held, results, meshIdx, nodeId), claimed, findings, where, nodeId,
    name: (e) => nodeText(e, crossCluster),
    example,
    add(f, explained, of) {
      const finding = { ...f, evidence: { pairs: explained.length, of, examples: explained.slice(0, EXAMPLES).map((k) => example(results[k]!)) } };
      findings.push(finding);
      for (const k of explained) claimed[k] = 1;
      return finding;
    },
  };
}

interface LayerWide {
  layers: Layer[];
  /** Their failed cells, and all their pairs (cells and records). */
  failed: number;
  of: number;
}

/** The single-cluster mesh layers whose cells failed for (nearly) every pair of every node, both
 * ways, where the other address family (if probed) does not work: a family broken alone is
 * familyBroken's, two isolated nodes of four are two node findings. */
function layersFailingEverywhere(doc: Analyzed): LayerWide {
  const set = doc.results;
  const out: LayerWide = { layers: [], failed: 0, of: 0 };
  if (doc.clusters.destination) return out;
  const isFailed = [false, ...set.outcomes.map((o) => o.status === "Failed")];
  const n = set.side;
  // Per layer and node: pairs out and in, and those Failed, from the cells and the records.
  const tally = new Map<Layer, { out: Uint32Array; in: Uint32Array; failedOut: Uint32Array; failedIn: Uint32Array; failed: number; pairs: number }>();
  for (const layer of set.layers) {
    if (!layer?.failCount) continue;
    const t = { out: Uint32Array.from(layer.outCount), in: Uint32Array.from(layer.inCount), failedOut: new Uint32Array(n), failedIn: new Uint32Array(n), failed: 0, pairs: layer.count + layer.failCount };
    for (let s = 0; s < n; s++) {
      if (!layer.failOut![s]) continue;
      for (let d = 0, k = s * n; d < n; d++, k++) {
        const o = layer.failed![k]!;
        if (!o) continue;
        t.out[s]!++;
        t.in[d]!++;
        if (!isFailed[o]) continue;
        t.failedOut[s]!++;
        t.failedIn[d]!++;
        t.failed++;
      }
    }
    tally.set(layer, t);
  }
  if (!tally.size) return out;
  for (const r of set.records()) {
    if (!isMesh(r)) continue;
    const layer = set.layers.find((l) => l?.protocol === r.protocol && l.family === r.family);
    const t = layer && tally.get(layer);
    const [s, d] = [set.find(r.source)!, set.find(r.target)!];
    if (!t || s >= n || d >= n) continue;
    t.out[s]!++;
    t.in[d]!++;
    t.pairs++;
    if (r.status !== "Failed") continue;
    t.failedOut[s]!++;
    t.failedIn[d]!++;
    t.failed++;
  }
  const works = (layer: Layer) => {
    const t = tally.get(layer);
    return t ? t.pairs - t.failed > (1 - MOST) * t.pairs : layer.count > 0;
  };
  for (const [layer, t] of tally) {
    let nodes = 0;
    let every = true;
    for (let k = 0; k < n && every; k++) {
      if (!t.out[k] && !t.in[k]) continue;
      nodes++;
      every = t.failedOut[k]! >= MOST * t.out[k]! && t.failedIn[k]! >= MOST * t.in[k]!;
    }
    // Three nodes at least: between two, one link is all there is.
    if (!every || nodes < 3) continue;
    if (set.layers.some((l) => l && l.family !== layer.family && works(l))) continue;
    out.layers.push(layer);
    out.failed += t.failed;
    out.of += t.pairs;
  }
  return out;
}

/** Layers failing between (nearly) every pair of nodes: one cause everywhere (the network or a
 * policy on every node), said once rather than as a finding for every node. */
function layerWide(a: Analysis): void {
  const { layers, failed, of } = a.wide;
  if (!layers.length) return;
  const names = layers.map((l) => `${l.protocol}/${l.family}`);
  const working = a.set.layers.filter((l): l is Layer => !!l && !layers.includes(l) && l.count > 0).map((l) => `${l.protocol}/${l.family}`);
  const examples = a.set.failureRecords((layer, o) => layers.includes(layer) && o.status === "Failed", EXAMPLES);
  const words = working.length
    ? `${working.join(", ")} work${working.length === 1 ? "s" : ""}, so every node refuses or filters ${names.join(", ")} (a NetworkPolicy or firewall on every node, or no listener anywhere)`
    : "the network between the nodes is down cluster-wide (the CNI, a policy denying all traffic, the nodes' routes)";
  a.findings.push({
    kind: "cluster-wide", severity: "error", subject: { protocols: names },
    explanation: `${names.join(", ")} fail${names.length === 1 ? "s" : ""} between (nearly) every pair of nodes: ${failed} of ${of} pairs, ${examples[0]?.reason ?? "no reason"}; ${words}`,
    evidence: { pairs: failed, of, examples: examples.map((r) => a.example(r)) },
  });
}

/** Errors first, then warnings, then notes; within each, what explains the most pairs. */
function ranked(findings: Finding[]): Finding[] {
  const rank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };
  return findings.sort((x, y) => rank[x.severity] - rank[y.severity] || y.evidence.pairs - x.evidence.pairs);
}

/** A node that could not take part: nothing of it was tested. */
function nodesNotReady(a: Analysis): void {
  for (const s of a.doc.skipped) {
    a.findings.push({
      kind: "node-not-ready", severity: "error", subject: { cluster: s.cluster, node: s.node },
      explanation: `node ${a.name(s)} was not checked: its floater never became ready (${s.reason})`,
      evidence: { pairs: 0, of: 0, examples: [] },
    });
  }
}

/** Pairs a resume could not re-check keep a stale verdict: said as such, never analysed as news. */
function notRechecked(a: Analysis): void {
  const stale = a.where((r) => code(r) === "not-rechecked");
  if (!stale.length) return;
  a.add({ kind: "not-rechecked", severity: "error", subject: {},
    explanation: `${plural(stale.length, "pair")} of the last run could not be re-checked; their last verdicts are kept: ${a.results[stale[0]!]!.reason}` }, stale, stale.length);
}

/** A node whose execs fail: none of its probes ran, whatever the network does. */
function nodesExecFailed(a: Analysis): void {
  const { results } = a;
  for (const [source, idx] of groupBy(a.where(() => true), (k) => a.nodeId(results[k]!.source))) {
    const failedExec = idx.filter((k) => execFailed(results[k]!));
    const total = idx.length + (a.held.fromNode.get(source) ?? 0);
    if (failedExec.length < Math.max(1, MOST * total)) continue;
    const r = results[failedExec[0]!]!;
    a.add({
      kind: "node-exec-failed", severity: "error", subject: { cluster: r.source.cluster, node: r.source.node },
      explanation: `node ${a.name(r.source)}: its floater could not be reached to run probes (kubelet or API server to node path): ${r.reason.replace(/^could not test: /, "")}`,
    }, failedExec, total);
  }
}

/** Probes that could not run, one finding per reason and protocol: a tool's fault, not the network's. */
function probeErrors(a: Analysis): void {
  const { results } = a;
  const byCode = groupBy(a.where((r, k) => !a.claimed[k] && r.status === "Error"), (k) => `${code(results[k]!) ?? "other"}\u0000${results[k]!.protocol}`);
  for (const [key, idx] of byCode) {
    const [c, protocol] = key.split("\u0000") as [string, string];
    a.add({
      kind: "probe-error", severity: "error", subject: { protocols: [protocol] },
      explanation: `${plural(idx.length, `${protocol} pair`)} could not be tested (${c}): ${results[idx[0]!]!.reason}`,
    }, idx, idx.length);
  }
}

/** A whole address family failing while the other works: one cause, not a node or link each. */
function familyBroken(a: Analysis): void {
  const { results, held, claimed } = a;
  const byFamily = groupBy(a.meshIdx, (k): string => results[k]!.family);
  for (const family of held.byFamily.keys()) if (!byFamily.has(family)) byFamily.set(family, []);
  if (byFamily.size !== 2) return;
  const total = (family: string) => byFamily.get(family)!.length + (held.byFamily.get(family) ?? 0);
  for (const [family, idx] of byFamily) {
    const [otherFamily, other] = [...byFamily.entries()].find(([f]) => f !== family)!;
    const bad = idx.filter((k) => !claimed[k] && isFailure(results[k]!));
    const otherBad = other.filter((k) => isFailure(results[k]!)).length;
    if (bad.length >= MOST * total(family) && otherBad <= HEALTHY * total(otherFamily) && bad.length > 0) {
      a.add({
        kind: "family-broken", severity: "error", subject: { family },
        explanation: `${family === "ipv4" ? "IPv4" : "IPv6"} is broken cluster-wide: ${bad.length} of ${total(family)} ${family} pairs fail while ${family === "ipv4" ? "IPv6" : "IPv4"} works`,
      }, bad, total(family));
    }
  }
}

/** Cross-cluster: everything between the clusters failing while each is healthy inside is the
 * interconnect, not every node of the other cluster. */
function interconnect(a: Analysis): void {
  const { results, held, claimed } = a;
  const { source, destination } = a.doc.clusters;
  if (!destination) return;
  const byDirection = groupBy(a.meshIdx, (k) => `${results[k]!.source.cluster}\u0000${results[k]!.target.cluster}`);
  const ratio = (key: string) => {
    const idx = byDirection.get(key) ?? [];
    return { total: idx.length + (held.byClusters.get(key) ?? 0), bad: idx.filter((k) => !claimed[k] && isFailure(results[k]!)) };
  };
  const [x, y] = [clusterName(source), clusterName(destination)];
  const inside = [ratio(`${x}\u0000${x}`), ratio(`${y}\u0000${y}`)];
  const healthyInside = inside.every((r) => r.bad.length <= HEALTHY * r.total);
  // A cross-cluster run probes only between the clusters: inside each, nothing is known.
  const insideWords = inside.some((r) => r.total) ? "while each cluster works inside" : "(inside each cluster was not checked)";
  const xy = ratio(`${x}\u0000${y}`);
  const yx = ratio(`${y}\u0000${x}`);
  const broken = (d: typeof xy) => d.total > 0 && d.bad.length >= MOST * d.total;
  if (healthyInside && broken(xy) && broken(yx)) {
    a.add({ kind: "interconnect", severity: "error", subject: { from: x, to: y, bothWays: true },
      explanation: `the interconnect between ${x} and ${y} is down: ${xy.bad.length + yx.bad.length} of ${xy.total + yx.total} cross-cluster pairs fail both ways, ${insideWords}` },
    [...xy.bad, ...yx.bad], xy.total + yx.total);
    return;
  }
  for (const [from, to, d, other] of [[x, y, xy, yx], [y, x, yx, xy]] as const) {
    if (healthyInside && broken(d) && other.bad.length <= HEALTHY * other.total) {
      // --direction probes one way only: the other is then not known to work.
      a.add({ kind: "interconnect", severity: "error", subject: { from, to, bothWays: false },
        explanation: other.total
          ? `traffic from ${from} to ${to} fails (${d.bad.length} of ${d.total} pairs) while the other direction works ${insideWords}: a one-way interconnect problem`
          : `traffic from ${from} to ${to} fails (${d.bad.length} of ${d.total} pairs) ${insideWords}; the other direction was not tested` },
      d.bad, d.total);
    }
  }
}

/** What a blamed node's own Service and DNS probes lost is that node's failure too. */
function blamedNodesServiceProbes(a: Analysis, blamed: Map<number, Finding>): void {
  const { results, claimed } = a;
  for (let k = 0; k < results.length; k++) {
    const r = results[k]!;
    if (claimed[k] || !isFailure(r) || !viaService(r)) continue;
    const f = blamed.get(a.nodeId(r.source));
    if (!f) continue;
    f.evidence.pairs++;
    f.evidence.of++;
    claimed[k] = 1;
  }
}

/** What still fails between two nodes is neither node's fault: their link's. */
function links(a: Analysis): void {
  const { results, claimed } = a;
  const failing = a.meshIdx.filter((k) => !claimed[k] && isFailure(results[k]!));
  const linkOf = (k: number) => linkKey(a.nodeId(results[k]!.source), a.nodeId(results[k]!.target));
  // Counted before they are grouped: 250,000 scattered links are never made a list each.
  const links = new Set(failing.map(linkOf)).size;
  if (links > Math.max(SCATTERED_LINKS, a.set.side)) return scattered(a, failing, links);
  for (const idx of groupBy(failing, linkOf).values()) {
    const first = results[idx[0]!]!;
    const forward = idx.filter((k) => a.nodeId(results[k]!.source) === a.nodeId(first.source));
    const backward = idx.filter((k) => a.nodeId(results[k]!.source) !== a.nodeId(first.source));
    const bothWays = backward.length > 0;
    const [from, to] = [a.name(first.source), a.name(first.target)];
    const protocols = [...new Set(idx.map((k) => layerOf(results[k]!)))].sort();
    const reasons = [...new Set(idx.map((k) => code(results[k]!) ?? "other"))].join(", ");
    const others = metEveryPeer(a, [first.source, first.target], protocols) ? "both nodes work with every other node" : "both nodes work with the other nodes they were tested with";
    const reverse = bothWays ? "" : reverseOf(a, forward.map((k) => results[k]!));
    a.add({
      kind: "link", severity: "error", subject: { from, to, bothWays, protocols },
      explanation: protocols.every((p) => p.startsWith("mtu/"))
        ? `MTU black hole ${bothWays ? `between ${from} and ${to}` : `from ${from} to ${to}`}: full-size packets are lost while small ones pass${largestPassing(first.reason)}`
        : bothWays
        ? `the link between ${from} and ${to} is broken both ways (${protocols.join(", ")}: ${reasons}); ${others}`
        : reverse === "works"
        ? `the link from ${from} to ${to} is broken one way (${protocols.join(", ")}: ${reasons}); ${to} -> ${from} works, and ${others}`
        : `the link from ${from} to ${to} is broken (${protocols.join(", ")}: ${reasons}); ${reverse === "untested" ? "the reverse was not tested" : `${to} -> ${from} fails too, in another finding`}, and ${others}`,
    }, [...forward, ...backward], idx.length);
  }
}

/** More broken links than nodes, and no node behind them (the node rules came first): failures
 * scattered over the mesh, said once rather than as a finding a link (250,000 at 5,000 nodes
 * with 1 % of the pairs failing at random). */
function scattered(a: Analysis, failing: number[], links: number): void {
  const { results } = a;
  const [layers, codes] = [new Set<string>(), new Set<string>()];
  for (const k of failing) {
    layers.add(layerOf(results[k]!));
    codes.add(code(results[k]!) ?? "other");
  }
  const protocols = [...layers].sort();
  const reasons = [...codes].sort().join(", ");
  const ends = new Set<number>();
  for (const k of failing) ends.add(a.nodeId(results[k]!.source)).add(a.nodeId(results[k]!.target));
  const involved = ends.size;
  a.add({
    kind: "scattered", severity: "error", subject: { protocols },
    explanation: `${plural(failing.length, "pair")} fail scattered over ${plural(links, "link")} between ${plural(involved, "node")} (${protocols.join(", ")}: ${reasons}), none of them explained by a node: the network loses traffic here and there (an overloaded fabric or node, conntrack or ARP tables full, a flaky path)`,
  }, failing, failing.length);
}

/** How the reverse of failing pairs went: a link is "one way" only where the reverse was
 * probed and passed (--sample and --direction leave it untested). */
function reverseOf(a: Analysis, failing: ResultRecord[]): "works" | "untested" | "fails" {
  const back = failing.map((r) => a.set.lookup({ source: r.target, target: r.source, protocol: r.protocol, family: r.family }, pairKey));
  return back.some((r) => r === undefined) ? "untested" : back.every((r) => !isFailure(r!)) ? "works" : "fails";
}

/** Whether these nodes were probed both ways with every other node in these layers (not so when
 * sampled, one direction, or cross-cluster without the inside of each cluster). */
function metEveryPeer(a: Analysis, nodes: NodeRef[], layers: string[]): boolean {
  const { pairs, layerIndex, nodes: all } = a.probed;
  return nodes.every((e) => layers.every((layer) => {
    const l = layerIndex.get(layer)!;
    return pairs(a.nodeId(e), l, IN) >= all - 1 && pairs(a.nodeId(e), l, OUT) >= all - 1;
  }));
}

/** DNS: a server failing for (nearly) every node, a name that does not resolve, or one node that
 * cannot use a server the others can. */
function dnsFindings(a: Analysis): void {
  const { results } = a;
  const dnsIdx = a.where((r, k) => r.protocol === "dns" && !a.claimed[k]);
  for (const [server, idx] of groupBy(dnsIdx, (k) => results[k]!.target.ip)) {
    const bad = idx.filter((k) => isFailure(results[k]!));
    if (bad.length === 0) continue;
    const label = server || "the cluster DNS Service (the pods' resolver)";
    if (bad.length >= MOST * idx.length && idx.length >= 2) {
      const nx = bad.filter((k) => code(results[k]!) === "nxdomain" || results[k]!.reason.startsWith("NXDOMAIN"));
      const name = results[bad[0]!]!.target.name ?? "";
      if (nx.length === bad.length) {
        a.add({ kind: "dns-name", severity: "error", subject: { dnsServer: server, dnsName: name },
          explanation: `${name} does not resolve (NXDOMAIN) from any node, asking ${label}: the name is missing, the server answers` }, bad, idx.length);
      } else {
        a.add({ kind: "dns-server", severity: "error", subject: { dnsServer: server },
          explanation: `DNS server ${label} fails for ${bad.length} of ${idx.length} nodes: ${results[bad[0]!]!.reason}` }, bad, idx.length);
      }
      continue;
    }
    // A server only one node asked is not known to work for the others.
    const others = idx.length > bad.length ? "while other nodes can" : "(no other node asked it)";
    for (const k of bad) {
      const r = results[k]!;
      a.add({ kind: "dns-from-node", severity: "error", subject: { cluster: r.source.cluster, node: r.source.node, dnsServer: server },
        explanation: `node ${a.name(r.source)} cannot use DNS server ${label} ${others}: ${r.reason}` }, [k], idx.length);
    }
  }
}

/** A --target unreachable from (nearly) every node: the target, not the nodes. */
function customTargets(a: Analysis): void {
  const { results } = a;
  const customIdx = a.where((r, k) => !!r.custom && !a.claimed[k]);
  for (const [target, idx] of groupBy(customIdx, (k) => addressText(results[k]!.target))) {
    const bad = idx.filter((k) => isFailure(results[k]!));
    if (bad.length > 0 && bad.length >= MOST * idx.length) {
      a.add({ kind: "target-unreachable", severity: "error", subject: { target },
        explanation: `target ${target} is unreachable from ${bad.length} of ${idx.length} nodes: ${results[bad[0]!]!.reason}` }, bad, idx.length);
    }
  }
}

/** Whatever no rule explains is listed, never hidden. */
function unexplained(a: Analysis): void {
  const rest = a.where((r, k) => !a.claimed[k] && isFailure(r));
  if (!rest.length) return;
  a.add({ kind: "unexplained", severity: "error", subject: {},
    explanation: `${plural(rest.length, "failing pair")} fit no pattern: see the table` }, rest, rest.length);
}

/** A sampled run says so: what it did not probe, it cannot vouch for. */
function sampled(a: Analysis): void {
  const s = a.doc.sampled;
  if (!s) return;
  const pct = s.fullMesh ? ((100 * a.set.size) / s.fullMesh).toFixed(1) : "100";
  a.findings.push({ kind: "sampled", severity: "info", subject: {},
    explanation: `the mesh was sampled (--sample ${s.targetsPerSource}, seed ${s.seed}): ${a.set.size} of ${s.fullMesh} pairs probed (${pct}%); findings rest on these`,
    evidence: { pairs: a.set.size, of: s.fullMesh, examples: [] } });
}


/** The plain successes a set holds in its matrices, counted the ways the rules need. */
interface HeldTotals {
  /** Per node (the set's index) and layer (protocol/family): pairs out of it and into it. */
  layers: { layer: string; out: Map<number, number>; in: Map<number, number> }[];
  fromNode: Map<number, number>;
  byFamily: Map<string, number>;
  /** Per "sourceCluster\0targetCluster". */
  byClusters: Map<string, number>;
}

function heldTotals(set: ResultSet): HeldTotals {
  const out: HeldTotals = { layers: [], fromNode: new Map(), byFamily: new Map(), byClusters: set.heldBetweenClusters() };
  for (const layer of set.layers) {
    if (!layer?.count) continue;
    const per = { layer: `${layer.protocol}/${layer.family}`, out: new Map<number, number>(), in: new Map<number, number>() };
    for (let k = 0; k < set.side; k++) {
      if (layer.outCount[k]) {
        per.out.set(k, layer.outCount[k]!);
        out.fromNode.set(k, (out.fromNode.get(k) ?? 0) + layer.outCount[k]!);
      }
      if (layer.inCount[k]) per.in.set(k, layer.inCount[k]!);
    }
    out.layers.push(per);
    out.byFamily.set(layer.family, (out.byFamily.get(layer.family) ?? 0) + layer.count);
  }
  return out;
}

const IN = 0;
const OUT = 1;
type Dir = typeof IN | typeof OUT;

/** Mesh pairs probed per node (the set's index), layer and direction, held cells and records
 * alike: what a node's failures are weighed against, and whether it met every peer. */
interface Probed {
  /** The layers (protocol/family), by index. */
  layers: string[];
  layerIndex: Map<string, number>;
  pairs(node: number, layer: number, dir: Dir): number;
  /** Nodes with a mesh pair. */
  nodes: number;
}

function probedPairs(set: ResultSet, held: HeldTotals, results: ResultRecord[], meshIdx: number[], nodeId: (e: NodeRef) => number): Probed {
  const layerIndex = new Map<string, number>();
  const layer = (name: string) => layerIndex.get(name) ?? layerIndex.set(name, layerIndex.size).get(name)!;
  for (const k of meshIdx) layer(layerOf(results[k]!));
  for (const h of held.layers) layer(h.layer);
  const L = layerIndex.size;
  // [node][layer][IN|OUT]
  const counts = new Uint32Array(set.nodes.length * L * 2);
  const at = (n: number, l: number, dir: Dir) => (n * L + l) * 2 + dir;
  for (const k of meshIdx) {
    const r = results[k]!;
    const l = layerIndex.get(layerOf(r))!;
    counts[at(nodeId(r.target), l, IN)]!++;
    counts[at(nodeId(r.source), l, OUT)]!++;
  }
  for (const h of held.layers) {
    const l = layerIndex.get(h.layer)!;
    for (const [n, count] of h.in) counts[at(n, l, IN)]! += count;
    for (const [n, count] of h.out) counts[at(n, l, OUT)]! += count;
  }
  let nodes = 0;
  for (let n = 0; n < set.nodes.length; n++) if (counts.subarray(at(n, 0, IN), at(n + 1, 0, IN)).some((c) => c > 0)) nodes++;
  return { layers: [...layerIndex.keys()], layerIndex, pairs: (n, l, dir) => counts[at(n, l, dir)]!, nodes };
}

/** A probe that goes through the source node's Service rules: the run's Services, and DNS asked
 * of the pod's resolver (the cluster DNS Service). */
const viaService = (r: ResultRecord) => r.protocol === "svc" || (r.protocol === "dns" && r.target.ip === "");

/** The Service path. If the run's Services fail from nearly every node: one cluster-wide finding.
 * Else, per node whose pod network works (at most HEALTHY of its icmp/tcp pairs in and out fail):
 * its Services failing from it (nearly all its svc probes) and its NodePort failing from its
 * peers (nearly all, at least two) are its own Service rules (kube-proxy): one finding, which
 * also explains its DNS through the cluster DNS Service. */
function serviceFindings(a: Analysis): void {
  const { results, set, held, meshIdx, claimed, nodeId, add } = a;
  const svcBySource = new Map<number, number[]>();
  const dnsBySource = new Map<number, number[]>();
  const portByTarget = new Map<number, number[]>();
  const push = (m: Map<number, number[]>, key: number, k: number) => (m.get(key) ?? m.set(key, []).get(key)!).push(k);
  for (let k = 0; k < results.length; k++) {
    const r = results[k]!;
    if (claimed[k]) continue;
    if (r.protocol === "svc") push(svcBySource, nodeId(r.source), k);
    else if (viaService(r)) push(dnsBySource, nodeId(r.source), k);
    else if (r.protocol === "nodeport") push(portByTarget, nodeId(r.target), k);
  }
  const heldPorts = held.layers.filter((l) => l.layer.startsWith("nodeport/"));
  if (svcBySource.size === 0 && portByTarget.size === 0) return;
  const portTotal = (key: number) => (portByTarget.get(key)?.length ?? 0) + heldPorts.reduce((n, l) => n + (l.in.get(key) ?? 0), 0);
  const bad = (idx: number[]) => idx.filter((k) => isFailure(results[k]!));

  const sources = [...svcBySource.values()];
  const allSvc = sources.flat();
  const failingSources = sources.filter((idx) => bad(idx).length >= MOST * idx.length && bad(idx).length > 0).length;
  if (sources.length >= 2 && failingSources >= MOST * sources.length) {
    const r = results[bad(allSvc)[0]!]!;
    add({ kind: "service-cluster", severity: "error", subject: { protocols: ["svc"] },
      explanation: `the run's Service fails from ${failingSources} of ${sources.length} nodes (${r.reason}): no ready endpoints, or Service rules broken everywhere` },
    bad(allSvc), allSvc.length);
  }

  // Pod network health per node, from its icmp/tcp pairs in and out.
  const pod = new Map<number, { pairs: number; failed: number }>();
  const podCount = (key: number) => pod.get(key) ?? pod.set(key, { pairs: 0, failed: 0 }).get(key)!;
  for (const k of meshIdx) {
    const r = results[k]!;
    if (r.protocol !== "icmp" && r.protocol !== "tcp") continue;
    for (const key of [nodeId(r.source), nodeId(r.target)]) {
      const c = podCount(key);
      c.pairs++;
      if (isFailure(r)) c.failed++;
    }
  }
  for (const l of held.layers) {
    if (!l.layer.startsWith("icmp/") && !l.layer.startsWith("tcp/")) continue;
    for (const counts of [l.out, l.in]) for (const [key, n] of counts) podCount(key).pairs += n;
  }
  const podTested = (key: number) => (pod.get(key)?.pairs ?? 0) > 0;
  const podNetworkWorks = (key: number) => {
    const c = pod.get(key);
    return !c || c.failed <= HEALTHY * c.pairs;
  };
  for (const key of new Set([...svcBySource.keys(), ...portByTarget.keys()])) {
    if (!podNetworkWorks(key)) continue;
    const svc = (svcBySource.get(key) ?? []).filter((k) => !claimed[k]);
    const port = portByTarget.get(key) ?? [];
    const svcBad = bad(svc).length > 0 && bad(svc).length >= MOST * svc.length ? bad(svc) : [];
    const portBad = portTotal(key) >= 2 && bad(port).length >= MOST * portTotal(key) ? bad(port) : [];
    if (!svcBad.length && !portBad.length) continue;
    const dns = svcBad.length ? bad(dnsBySource.get(key) ?? []) : [];
    const { cluster, node } = set.nodes[key]!;
    const who = a.name({ cluster, node });
    const what = svcBad.length && portBad.length
      ? `Services fail from node ${who} and its NodePort does not answer its peers`
      : svcBad.length ? `Services fail from node ${who}${dns.length ? " (DNS through the cluster DNS Service too)" : ""}` : `the NodePort of node ${who} does not answer its peers`;
    const podWords = podTested(key) ? ", while its pod network works" : " (its pod network was not tested)";
    add({ kind: "service-node", severity: "error", subject: { cluster, node, protocols: [...(svcBad.length ? ["svc"] : []), ...(portBad.length ? ["nodeport"] : [])] },
      explanation: `${what}${podWords}: the Service rules on ${who} (kube-proxy or its replacement) are broken (${results[(svcBad[0] ?? portBad[0])!]!.reason})` },
    [...svcBad, ...portBad, ...dns], svc.length + portTotal(key) + dns.length);
  }
}

/** Per node and layer: pairs in and out, and how many fail (unclaimed). A node is blamed for a
 * layer when at least MOST of its pairs there fail and it has at least two peers there (with one
 * peer a node and a link cannot be told apart). All layers in and out: isolated; all in:
 * unreachable; all out: cannot reach; some protocols while the others are healthy: protocol. */
function nodeFindings(a: Analysis): Map<number, Finding> {
  const { results, set, meshIdx, claimed, nodeId, add } = a;
  const { layers: layerNames, layerIndex, pairs: probed } = a.probed;
  const outbound = new Map<number, Finding>();
  const L = layerNames.length;
  const N = set.nodes.length;
  // Unclaimed failures: [node][layer][IN|OUT].
  const failing = new Uint32Array(N * L * 2);
  const at = (n: number, l: number, dir: Dir) => (n * L + l) * 2 + dir;
  for (const k of meshIdx) {
    const r = results[k]!;
    if (claimed[k] || !isFailure(r)) continue;
    const l = layerIndex.get(layerOf(r))!;
    failing[at(nodeId(r.target), l, IN)]!++;
    failing[at(nodeId(r.source), l, OUT)]!++;
  }
  const blamed: { node: number; inLayers: number[]; outLayers: number[] }[] = [];

  for (let n = 0; n < N; n++) {
    const bad = (dir: Dir) => {
      const out: number[] = [];
      for (let l = 0; l < L; l++) {
        const pairs = probed(n, l, dir);
        const failed = failing[at(n, l, dir)]!;
        if (pairs >= 2 && failed > 0 && failed >= MOST * pairs) out.push(l);
      }
      return out;
    };
    const inLayers = bad(IN);
    const outLayers = bad(OUT);
    if (inLayers.length || outLayers.length) blamed.push({ node: n, inLayers, outLayers });
  }
  if (!blamed.length) return outbound;
  // Pairs of the blamed nodes, by node, direction and layer, to claim them.
  const byNode = new Map<number, { in: number[][]; out: number[][] }>(blamed.map((b) => [b.node, { in: Array.from({ length: L }, () => []), out: Array.from({ length: L }, () => []) }]));
  for (const k of meshIdx) {
    const r = results[k]!;
    if (claimed[k] || !isFailure(r)) continue;
    const l = layerIndex.get(layerOf(r))!;
    byNode.get(nodeId(r.target))?.in[l]!.push(k);
    byNode.get(nodeId(r.source))?.out[l]!.push(k);
  }
  const firstReason = (idx: number[]) => (idx.length ? results[idx[0]!]!.reason : "");
  const testedLayers = (n: number, dir: Dir) => layerNames.map((_, l) => l).filter((l) => probed(n, l, dir) > 0);
  for (const b of blamed) {
    const { cluster, node } = set.nodes[b.node]!;
    const who = a.name({ cluster, node });
    const pairsOf = (dir: "in" | "out", ls: number[]) => ls.flatMap((l) => byNode.get(b.node)![dir][l]!);
    const total = (dir: Dir, ls: number[]) => ls.reduce((sum, l) => sum + probed(b.node, l, dir), 0);
    const allIn = b.inLayers.length > 0 && b.inLayers.length === testedLayers(b.node, IN).length;
    const allOut = b.outLayers.length > 0 && b.outLayers.length === testedLayers(b.node, OUT).length;
    const protocolsOf = (ls: number[]) => ls.map((l) => layerNames[l]!).sort();
    const healthyOthers = (dir: Dir, ls: number[]) => testedLayers(b.node, dir).filter((l) => !ls.includes(l)).every((l) => failing[at(b.node, l, dir)]! <= HEALTHY * probed(b.node, l, dir));
    if (allIn && allOut) {
      const pairs = [...pairsOf("in", b.inLayers), ...pairsOf("out", b.outLayers)];
      outbound.set(b.node, add({ kind: "node-isolated", severity: "error", subject: { cluster, node },
        explanation: `node ${who} is isolated: it neither answers its peers nor reaches them (${plural(pairs.length, "failing pair")})` },
      pairs, total(IN, b.inLayers) + total(OUT, b.outLayers)));
      continue;
    }
    if (allIn) {
      add({ kind: "node-unreachable", severity: "error", subject: { cluster, node },
        explanation: `node ${who} is unreachable: (nearly) every peer fails to reach it, over ${protocolsOf(b.inLayers).join(", ")}` },
      pairsOf("in", b.inLayers), total(IN, b.inLayers));
    } else if (b.inLayers.length && healthyOthers(IN, b.inLayers)) {
      const protocols = protocolsOf(b.inLayers);
      add({ kind: "protocol-to-node", severity: "error", subject: { cluster, node, protocols },
        explanation: protocols.every((p) => p.startsWith("mtu/"))
          ? `MTU black hole to node ${who}: full-size packets from (nearly) every peer are lost while small ones pass${largestPassing(firstReason(pairsOf("in", b.inLayers)))}`
          : `${protocols.join(", ")} to node ${who} fails from (nearly) every peer while its other probes pass: a listener or firewall on ${who}` },
      pairsOf("in", b.inLayers), total(IN, b.inLayers));
    }
    if (allOut) {
      outbound.set(b.node, add({ kind: "node-cannot-reach", severity: "error", subject: { cluster, node },
        explanation: `node ${who} cannot reach (nearly) any peer, over ${protocolsOf(b.outLayers).join(", ")}, while they reach each other` },
      pairsOf("out", b.outLayers), total(OUT, b.outLayers)));
    } else if (b.outLayers.length && healthyOthers(OUT, b.outLayers)) {
      const protocols = protocolsOf(b.outLayers);
      add({ kind: "protocol-from-node", severity: "error", subject: { cluster, node, protocols },
        explanation: `${protocols.join(", ")} from node ${who} fails to (nearly) every peer while its other probes pass: an egress policy or firewall on ${who}` },
      pairsOf("out", b.outLayers), total(OUT, b.outLayers));
    }
  }
  return outbound;
}

/** Nodes whose inbound median RTT, and links whose RTT, are outliers against the cluster's median.
 * RTTs come from the records and from the set's held icmp cells (25 million at 5,000 nodes: the
 * cluster's median from a histogram, each node's from its own column). */
function latencyFindings(a: Analysis): void {
  const { results, set, meshIdx, nodeId } = a;
  const timed = meshIdx.filter((k) => results[k]!.status === "Succeeded" && results[k]!.rttMs !== undefined);
  const histogram = new RttHistogram();
  for (const k of timed) histogram.add(results[k]!.rttMs!);
  set.forEachRtt((_s, _t, rtt) => histogram.add(rtt));
  if (histogram.count < 4) return;
  const all = histogram.median();
  const slow = (rtt: number) => rtt >= SLOW_FACTOR * all && rtt - all > SLOW_MARGIN_MS;
  const slowNodes = new Set<number>();
  const recordsTo = groupBy(timed, (k) => nodeId(results[k]!.target));
  // Each node's RTTs: its records', and its column of held cells (read a block of columns at a time).
  const rttsTo = new Map<number, number[]>([...recordsTo].map(([node, idx]) => [node, idx.map((k) => results[k]!.rttMs!)]));
  const medians = new Map<number, number>();
  const settle = (node: number, rtts: ArrayLike<number>) => rtts.length >= 2 && medians.set(node, median(rtts));
  set.rttsByTarget((t, held) => {
    const records = rttsTo.get(t);
    rttsTo.delete(t);
    settle(t, records ? [...held, ...records] : held);
  });
  for (const [node, rtts] of rttsTo) settle(node, rtts);
  for (let t = 0; t < set.nodes.length; t++) {
    const m = medians.get(t);
    if (m === undefined || !slow(m)) continue;
    const { cluster, node } = set.nodes[t]!;
    const pairs = (recordsTo.get(t)?.length ?? 0) + set.heldTo(t, Infinity).length;
    slowNodes.add(t);
    const examples = (recordsTo.get(t) ?? []).slice(0, EXAMPLES).map((k) => a.example(results[k]!));
    if (examples.length < EXAMPLES) examples.push(...set.heldTo(t, EXAMPLES - examples.length).map(a.example));
    a.findings.push({ kind: "latency-node", severity: "warning", subject: { cluster, node },
      explanation: `node ${a.name({ cluster, node })} answers slowly: median RTT ${millis(m)} against ${millis(all)} for the cluster`,
      evidence: { pairs, of: histogram.count, examples } });
  }
  // A link is slow when it is slow both ways: one ping's RTT alone is too easily a busy moment.
  // Where the cluster's RTTs are noisy (busy nodes: 100-300 ms spikes in 5 % of a loaded test
  // cluster's pings made hundreds of links "slow" both ways by chance), a slow link must also
  // stand out from that noise: above the cluster's own 99th percentile, both ways. Only once there
  // are enough RTTs for that percentile to mean something.
  const tail = histogram.count >= TAIL_SAMPLES ? histogram.quantile(0.99) : 0;
  const slowLink = (rtt: number) => slow(rtt) && rtt > tail;
  const slowPairs: { record: () => ResultRecord; source: number; link: number; rtt: number }[] = [];
  const note = (record: () => ResultRecord, source: number, target: number, rtt: number) => {
    if (!slowNodes.has(source) && !slowNodes.has(target)) slowPairs.push({ record, source, link: linkKey(source, target), rtt });
  };
  for (const k of timed) if (slowLink(results[k]!.rttMs!)) note(() => results[k]!, nodeId(results[k]!.source), nodeId(results[k]!.target), results[k]!.rttMs!);
  set.forEachRtt((s, t, rtt, l) => slowLink(rtt) && note(() => set.cell(l, s, t), s, t, rtt));
  for (const pairs of groupBy(slowPairs, (p) => p.link).values()) {
    if (!pairs.some((p) => p.source !== pairs[0]!.source)) continue;
    const r = pairs[0]!.record();
    const rtt = Math.max(...pairs.map((p) => p.rtt));
    const [x, y] = [a.name(r.source), a.name(r.target)];
    a.findings.push({ kind: "latency-link", severity: "warning", subject: { from: x, to: y, bothWays: true },
      explanation: `the link between ${x} and ${y} is slow: RTT up to ${millis(rtt)} against a median of ${millis(all)}`,
      evidence: { pairs: pairs.length, of: histogram.count, examples: pairs.slice(0, EXAMPLES).map((p) => a.example(p.record())) } });
  }
}

/** The median, by selection (a node has up to 2N RTTs; sorting each was the analysis' cost).
 * A Float64Array is reordered in place. */
export function median(xs: ArrayLike<number>): number {
  const a = xs instanceof Float64Array ? xs : Float64Array.from(xs);
  const n = a.length;
  const upper = select(a, n >> 1);
  return n % 2 ? upper : (upper + max(a, n >> 1)) / 2;
}

/** The k-th smallest (0-based); a[0..k) then hold the ones below it (Hoare's quickselect). */
function select(a: Float64Array, k: number): number {
  // Plain variables, no destructuring: a swap by [x, y] = [y, x] made an array each time
  // (40 MB of garbage at 2,000 nodes).
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const x = a[i]!;
        a[i] = a[j]!;
        a[j] = x;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return a[k]!;
}

function max(a: Float64Array, end: number): number {
  let m = -Infinity;
  for (let k = 0; k < end; k++) m = Math.max(m, a[k]!);
  return m;
}

/** RTTs in microseconds (ping's own precision): exact up to about a second, the few beyond that
 * in a list. Its median is the same as a sort's, without holding every value. */
class RttHistogram {
  private readonly bins = new Uint32Array(1 << 20);
  private readonly beyond: number[] = [];
  count = 0;

  add(rttMs: number): void {
    const us = Math.round(rttMs * 1000);
    if (us >= 0 && us < this.bins.length) this.bins[us]!++;
    else this.beyond.push(rttMs);
    this.count++;
  }

  /** The q-quantile (0..1), in ms. */
  quantile(q: number): number {
    return this.nth(Math.floor(q * (this.count - 1)));
  }

  /** The k-th smallest (0-based), in ms. */
  private nth(k: number): number {
    let seen = 0;
    for (let us = 0; us < this.bins.length; us++) {
      seen += this.bins[us]!;
      if (seen > k) return us / 1000;
    }
    return Float64Array.from(this.beyond).sort()[k - seen]!;
  }

  median(): number {
    const c = this.count;
    return c % 2 ? this.nth((c - 1) / 2) : (this.nth(c / 2 - 1) + this.nth(c / 2)) / 2;
  }
}

/** "; the largest that passes is about N bytes", from an mtu verdict's reason. */
function largestPassing(reason: string): string {
  const m = /largest that passes is about (\d+) bytes/.exec(reason);
  return m ? `; the largest that passes is about ${m[1]} bytes` : "";
}

/** The same for both directions of a link, from its nodes' indices in the set: a number, no
 * string per failing pair (250,000 of them at 5,000 nodes with 1 % failing). */
function linkKey(x: number, y: number): number {
  return x < y ? x * 2 ** 26 + y : y * 2 ** 26 + x;
}

