import { describe, expect, test } from "bun:test";
import { analyze, type Analyzed } from "../../src/analysis/findings.ts";
import type { Finding } from "../../src/results/finding.ts";
import type { ResultRecord } from "../../src/results/document.ts";
import { ResultSet } from "../../src/results/set.ts";
import type { ReasonCode } from "../../src/probe/reasons.ts";

type Fault = (r: ResultRecord) => { reasonCode: ReasonCode; status?: ResultRecord["status"]; reason?: string } | undefined;

/** A full mesh of n nodes (cluster "a", or two clusters), every pair per protocol/family, with
 * the faults deciding which pairs fail. */
function mesh(n: number, o: { protocols?: ("icmp" | "tcp")[]; families?: ("ipv4" | "ipv6")[]; clusters?: string[]; faults?: Fault[]; rtt?: (r: ResultRecord) => number; node?: (cluster: string, k: number) => string } = {}): ResultRecord[] {
  const clusters = o.clusters ?? ["a"];
  const nodes = clusters.flatMap((c) => Array.from({ length: n }, (_, k) => ({ cluster: c, node: o.node ? o.node(c, k) : `${c}${k + 1}` })));
  const out: ResultRecord[] = [];
  for (const s of nodes) for (const t of nodes) {
    if (s === t) continue;
    for (const protocol of o.protocols ?? ["icmp", "tcp"]) for (const family of o.families ?? ["ipv4"]) {
      const r: ResultRecord = { source: { ...s, ip: "x" }, target: { ...t, ip: "y" }, protocol, family, status: "Succeeded", reason: "", reasonCode: "ok" };
      const hit = (o.faults ?? []).map((f) => f(r)).find(Boolean);
      if (hit) Object.assign(r, { status: hit.status ?? "Failed", reason: hit.reason ?? hit.reasonCode, reasonCode: hit.reasonCode });
      else Object.assign(r, { rttMs: o.rtt ? o.rtt(r) : 0.3, ...(protocol === "icmp" ? { lossPct: 0 } : {}) });
      out.push(r);
    }
  }
  return out;
}
const doc = (results: ResultRecord[], o: Partial<Omit<Analyzed, "results">> = {}) => ({ results: ResultSet.fromRecords(results), skipped: [], clusters: { source: { context: "a", server: "" } }, ...o });
const brief = (fs: Finding[]) => fs.map((f) => `${f.kind} ${JSON.stringify(f.subject)} ${f.evidence.pairs}/${f.evidence.of}`);
const failing = (rs: ResultRecord[]) => rs.filter((r) => r.status !== "Succeeded").length;
const timeout = { reasonCode: "timeout" as const };

describe("findings", () => {
  test("a healthy cluster: none", () => {
    expect(analyze(doc(mesh(6)))).toEqual([]);
  });
  test("a node isolated both ways: one finding explaining every failing pair", () => {
    const rs = mesh(6, { faults: [(r) => (r.source.node === "a3" || r.target.node === "a3" ? timeout : undefined)] });
    const f = analyze(doc(rs));
    expect(brief(f)).toEqual([`node-isolated {"cluster":"a","node":"a3"} ${failing(rs)}/20`]);
    expect(f[0]!.explanation).toContain("node a3 is isolated");
  });
  test("a node nobody reaches (inbound only), and one that reaches nobody", () => {
    expect(brief(analyze(doc(mesh(5, { faults: [(r) => (r.target.node === "a2" ? timeout : undefined)] }))))).toEqual([`node-unreachable {"cluster":"a","node":"a2"} 8/8`]);
    expect(brief(analyze(doc(mesh(5, { faults: [(r) => (r.source.node === "a2" ? timeout : undefined)] }))))).toEqual([`node-cannot-reach {"cluster":"a","node":"a2"} 8/8`]);
  });
  test("one-way and two-way links", () => {
    const oneWay = mesh(4, { faults: [(r) => (r.source.node === "a1" && r.target.node === "a2" ? timeout : undefined)] });
    expect(brief(analyze(doc(oneWay)))).toEqual([`link {"from":"a1","to":"a2","bothWays":false,"protocols":["icmp/ipv4","tcp/ipv4"]} 2/2`]);
    const twoWay = mesh(4, { faults: [(r) => ([r.source.node, r.target.node].sort().join() === "a1,a2" ? timeout : undefined)] });
    const f = analyze(doc(twoWay));
    expect(brief(f)).toEqual([`link {"from":"a1","to":"a2","bothWays":true,"protocols":["icmp/ipv4","tcp/ipv4"]} 4/4`]);
    expect(f[0]!.explanation).toContain("broken both ways");
  });
  test("one protocol to a node while the others pass: listener or firewall", () => {
    const rs = mesh(4, { faults: [(r) => (r.target.node === "a4" && r.protocol === "tcp" ? { reasonCode: "refused" } : undefined)] });
    const f = analyze(doc(rs));
    expect(brief(f)).toEqual([`protocol-to-node {"cluster":"a","node":"a4","protocols":["tcp/ipv4"]} 3/3`]);
    expect(f[0]!.explanation).toContain("tcp/ipv4 to node a4 fails");
  });
  test("a whole address family failing while the other works", () => {
    const rs = mesh(4, { families: ["ipv4", "ipv6"], faults: [(r) => (r.family === "ipv6" ? timeout : undefined)] });
    expect(brief(analyze(doc(rs)))).toEqual([`family-broken {"family":"ipv6"} 24/24`]);
  });
  test("IPv6 only to one node in a dual-stack run: a node finding for that layer", () => {
    const rs = mesh(4, { families: ["ipv4", "ipv6"], faults: [(r) => (r.family === "ipv6" && r.target.node === "a2" ? timeout : undefined)] });
    expect(brief(analyze(doc(rs)))).toEqual([`protocol-to-node {"cluster":"a","node":"a2","protocols":["icmp/ipv6","tcp/ipv6"]} 6/6`]);
  });
  test("cross-cluster: the interconnect down both ways, or one way, while each cluster is healthy inside", () => {
    const cross = (r: ResultRecord) => r.source.cluster !== r.target.cluster;
    const two = { clusters: { source: { context: "a", server: "" }, destination: { context: "b", server: "" } } };
    const both = mesh(2, { clusters: ["a", "b"], faults: [(r) => (cross(r) ? timeout : undefined)] });
    expect(brief(analyze(doc(both, two)))).toEqual([`interconnect {"from":"a","to":"b","bothWays":true} 16/16`]);
    const oneWay = mesh(2, { clusters: ["a", "b"], faults: [(r) => (r.source.cluster === "b" && r.target.cluster === "a" ? timeout : undefined)] });
    expect(brief(analyze(doc(oneWay, two)))).toEqual([`interconnect {"from":"b","to":"a","bothWays":false} 8/8`]);
    const pair = mesh(2, { clusters: ["a", "b"], faults: [(r) => (r.source.node === "a1" && r.target.node === "b2" ? timeout : undefined)] });
    expect(brief(analyze(doc(pair, two)))).toEqual([`link {"from":"a/a1","to":"b/b2","bothWays":false,"protocols":["icmp/ipv4","tcp/ipv4"]} 2/2`]);
  });
  test("two faults at once: two findings, the larger first", () => {
    const rs = mesh(6, {
      faults: [
        (r) => (r.target.node === "a6" ? timeout : undefined),
        (r) => (r.source.node === "a1" && r.target.node === "a2" && r.protocol === "tcp" ? { reasonCode: "refused" } : undefined),
      ],
    });
    expect(brief(analyze(doc(rs)))).toEqual([
      `node-unreachable {"cluster":"a","node":"a6"} 10/10`,
      `link {"from":"a1","to":"a2","bothWays":false,"protocols":["tcp/ipv4"]} 1/1`,
    ]);
  });
  test("a node whose execs fail: its pairs could not be tested, one finding; a node not ready: one finding", () => {
    const rs = mesh(4, { faults: [(r) => (r.source.node === "a2" ? { reasonCode: "exec-failed", status: "Error", reason: "could not test: exec in p failed: HTTP 502" } : undefined)] });
    const f = analyze(doc(rs, { skipped: [{ cluster: "a", node: "a9", reason: "Pending: the node's kubelet has not started the pod" }] }));
    expect(brief(f)).toEqual([`node-exec-failed {"cluster":"a","node":"a2"} 6/6`, `node-not-ready {"cluster":"a","node":"a9"} 0/0`]);
    expect(f[1]!.explanation).toContain("Pending");
  });
  test("pairs a resume could not re-check: one finding, not mistaken for a broken link", () => {
    const rs = mesh(3, { faults: [(r) => (r.source.node === "a1" && r.target.node === "a2" ? { reasonCode: "not-rechecked", reason: "not re-checked (node 'a1' is not in the cluster); last run: timeout" } : undefined)] });
    expect(brief(analyze(doc(rs)))).toEqual(["not-rechecked {} 2/2"]);
  });
  test("ping not permitted everywhere: one probe-error finding", () => {
    const rs = mesh(3, { faults: [(r) => (r.protocol === "icmp" ? { reasonCode: "not-permitted", status: "Error", reason: "ping is not permitted in the floater (it needs CAP_NET_RAW)" } : undefined)] });
    expect(brief(analyze(doc(rs)))).toEqual([`probe-error {"protocols":["icmp"]} 6/6`]);
  });
  test("DNS: a server down for every node, a missing name, one node that cannot reach it", () => {
    const dns = (node: string, status: ResultRecord["status"], reasonCode: ReasonCode, name = "kubernetes.default.svc.cluster.local"): ResultRecord =>
      ({ source: { cluster: "a", node, ip: "x" }, target: { cluster: "a", node: "", ip: "10.96.0.10", name }, protocol: "dns", family: "ipv4", status, reason: reasonCode, reasonCode });
    const nodes = ["a1", "a2", "a3", "a4"];
    expect(brief(analyze(doc(nodes.map((n) => dns(n, "Failed", "dns-timeout")))))).toEqual([`dns-server {"dnsServer":"10.96.0.10"} 4/4`]);
    expect(brief(analyze(doc(nodes.map((n) => dns(n, "Failed", "nxdomain", "nope.svc")))))).toEqual([`dns-name {"dnsServer":"10.96.0.10","dnsName":"nope.svc"} 4/4`]);
    expect(brief(analyze(doc(nodes.map((n) => dns(n, n === "a3" ? "Failed" : "Succeeded", n === "a3" ? "dns-timeout" : "ok")))))).toEqual([`dns-from-node {"cluster":"a","node":"a3","dnsServer":"10.96.0.10"} 1/4`]);
  });
  test("what fits no rule is listed as unexplained, never hidden", () => {
    const rs = mesh(6, { faults: [(r) => (["a1>a2", "a3>a5", "a6>a4"].includes(`${r.source.node}>${r.target.node}`) && r.protocol === "icmp" ? timeout : undefined)] });
    const kinds = analyze(doc(rs)).map((f) => f.kind);
    expect(kinds).toEqual(["link", "link", "link"]);
    const scattered = analyze(doc(rs.map((r, k) => (k % 7 === 0 ? { ...r, status: "Failed" as const, reasonCode: "timeout" as const } : r))));
    const explained = scattered.reduce((n, f) => n + f.evidence.pairs, 0);
    expect(explained).toBe(rs.filter((_, k) => k % 7 === 0 || ["a1>a2", "a3>a5", "a6>a4"].includes(`${rs[k]!.source.node}>${rs[k]!.target.node}`) && rs[k]!.protocol === "icmp").length);
  });
  test("latency: a slow node and a slow link are warnings", () => {
    const link = (r: ResultRecord) => [r.source.node, r.target.node].sort().join() === "a1,a2";
    const rs = mesh(6, { rtt: (r) => (r.target.node === "a5" ? 40 : link(r) ? 30 : 0.4) });
    const f = analyze(doc(rs));
    expect(f.map((x) => `${x.severity} ${x.kind} ${JSON.stringify(x.subject)}`)).toEqual([
      `warning latency-node {"cluster":"a","node":"a5"}`,
      `warning latency-link {"from":"a1","to":"a2","bothWays":true}`,
    ]);
    // One slow ping, one way: a busy moment, not a slow link.
    expect(analyze(doc(mesh(6, { rtt: (r) => (r.source.node === "a1" && r.target.node === "a2" ? 30 : 0.4) })))).toEqual([]);
    // Slow but within 10 ms of the median: no warning.
    expect(analyze(doc(mesh(6, { rtt: (r) => (r.target.node === "a5" ? 5 : 0.4) })))).toEqual([]);
  });
  test("latency on a busy cluster: pings that spike both ways by chance are noise, a link slower than the noise is slow", () => {
    // 40 nodes, 1,560 pings; one in 16 spikes to 100-250 ms (a busy moment), a1<->a2 at 400 ms.
    const hash = (r: ResultRecord) => [...`${r.source.node}>${r.target.node}`].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7);
    const busy = (r: ResultRecord) => (hash(r) % 16 === 0 ? 100 + (hash(r) % 150) : 0.4);
    const link = (r: ResultRecord) => [r.source.node, r.target.node].sort().join() === "a1,a2";
    const noisy = mesh(40, { protocols: ["icmp"], rtt: busy });
    const bothWaysByChance = noisy.filter((r) => busy(r) > 10 && busy({ ...r, source: r.target, target: r.source }) > 10);
    expect(bothWaysByChance.length).toBeGreaterThan(2);
    expect(analyze(doc(noisy))).toEqual([]);
    expect(brief(analyze(doc(mesh(40, { protocols: ["icmp"], rtt: (r) => (link(r) ? 400 : busy(r)) }))))).toEqual([`latency-link {"from":"a1","to":"a2","bothWays":true} 2/1560`]);
  });
  test("scale: 500 nodes, one isolated (its speed is measured by scripts/bench --replay, not here)", () => {
    const d = doc(mesh(500, { protocols: ["icmp"], faults: [(r) => (r.source.node === "a77" || r.target.node === "a77" ? timeout : undefined)] }));
    // The healthy mass is held in the set's matrix, the failures as cells of their own.
    expect(d.results.records().length).toBe(0);
    expect(d.results.failingCount).toBe(998);
    expect(brief(analyze(d))).toEqual([`node-isolated {"cluster":"a","node":"a77"} 998/998`]);
  }, 60_000);
});

describe("findings claim only what was tested", () => {
  const a1a2 = (r: ResultRecord) => r.source.node === "a1" && r.target.node === "a2";
  const pairIs = (x: string, y: string) => (r: ResultRecord) => r.source.node === x && r.target.node === y;
  test("a one-way link in a full mesh: the reverse was probed and passed, both nodes met every peer", () => {
    const f = analyze(doc(mesh(4, { faults: [(r) => (a1a2(r) ? timeout : undefined)] })));
    expect(f.map((x) => x.explanation)).toEqual(["the link from a1 to a2 is broken one way (icmp/ipv4, tcp/ipv4: timeout); a2 -> a1 works, and both nodes work with every other node"]);
  });
  test("sampled: the reverse never probed is not said to work, nor the peers never met", () => {
    // The sample left out a2 -> a1 and a1 -> a3 (and a3 -> a1).
    const left = (r: ResultRecord) => pairIs("a2", "a1")(r) || [r.source.node, r.target.node].sort().join() === "a1,a3";
    const rs = mesh(5, { faults: [(r) => (a1a2(r) ? timeout : undefined)] }).filter((r) => !left(r));
    const f = analyze(doc(rs, { sampled: { targetsPerSource: 3, seed: "s", fullMesh: 40 } }));
    expect(brief(f)).toEqual([`link {"from":"a1","to":"a2","bothWays":false,"protocols":["icmp/ipv4","tcp/ipv4"]} 2/2`, `sampled {} ${rs.length}/40`]);
    expect(f[0]!.explanation).toBe("the link from a1 to a2 is broken (icmp/ipv4, tcp/ipv4: timeout); the reverse was not tested, and both nodes work with the other nodes they were tested with");
  });
  test("a link broken both ways in a sampled mesh: the peers never met are not vouched for", () => {
    const rs = mesh(5, { faults: [(r) => ([r.source.node, r.target.node].sort().join() === "a1,a2" ? timeout : undefined)] }).filter((r) => !pairIs("a1", "a4")(r));
    expect(analyze(doc(rs))[0]!.explanation).toBe("the link between a1 and a2 is broken both ways (icmp/ipv4, tcp/ipv4: timeout); both nodes work with the other nodes they were tested with");
  });
  test("the reverse failing, explained by another finding, is not said to work", () => {
    // a2 -> every peer over tcp (an egress firewall on a2), and a1 -> a2 over tcp.
    const rs = mesh(5, { faults: [(r) => (r.protocol === "tcp" && (r.source.node === "a2" || a1a2(r)) ? { reasonCode: "refused" } : undefined)] });
    const f = analyze(doc(rs));
    expect(f.map((x) => x.kind)).toEqual(["protocol-from-node", "link"]);
    expect(f[1]!.explanation).toBe("the link from a1 to a2 is broken (tcp/ipv4: refused); a2 -> a1 fails too, in another finding, and both nodes work with every other node");
  });
  test("--direction a-to-b: an interconnect failing one way does not claim the other works", () => {
    const two = { clusters: { source: { context: "a", server: "" }, destination: { context: "b", server: "" } } };
    const aToB = mesh(2, { clusters: ["a", "b"], faults: [() => timeout] }).filter((r) => r.source.cluster === "a" && r.target.cluster === "b");
    const f = analyze(doc(aToB, two));
    expect(brief(f)).toEqual([`interconnect {"from":"a","to":"b","bothWays":false} 8/8`]);
    expect(f[0]!.explanation).toBe("traffic from a to b fails (8 of 8 pairs) (inside each cluster was not checked); the other direction was not tested");
  });
  test("a DNS server only one node asked: not said to work for the others", () => {
    const dns: ResultRecord = { source: { cluster: "a", node: "a1", ip: "x" }, target: { cluster: "a", node: "", ip: "10.96.0.10", name: "kubernetes.default" }, protocol: "dns", family: "ipv4", status: "Failed", reason: "timed out", reasonCode: "dns-timeout" };
    expect(analyze(doc([dns]))[0]!.explanation).toBe("node a1 cannot use DNS server 10.96.0.10 (no other node asked it): timed out");
  });
});

describe("findings name nodes of any context name", () => {
  // Context names hold "/", ":", "@" and more; node names (DNS subdomains) never hold "/".
  const EKS = "arn:aws:eks:us-east-1:123456789012:cluster/prod-1";
  const OPENSHIFT = "ns/api-host:6443/user";
  const UNICODE = "équipe/ß@集群:1";
  const node = (_: string, k: number) => `node-a${k + 1}`;
  const single = (context: string, results: ResultRecord[]) => doc(results, { clusters: { source: { context, server: "" } } });
  const two = (a: string, b: string, results: ResultRecord[]) => doc(results, { clusters: { source: { context: a, server: "" }, destination: { context: b, server: "" } } });
  for (const context of [EKS, OPENSHIFT, UNICODE]) {
    test(`one cluster named ${context}: subjects and words name the node, not a piece of the context`, () => {
      const at = (name: string) => (r: ResultRecord) => r.target.node === name;
      const listener = analyze(single(context, mesh(4, { clusters: [context], node, faults: [(r) => (at("node-a3")(r) && r.protocol === "tcp" ? { reasonCode: "refused" } : undefined)] })));
      expect(brief(listener)).toEqual([`protocol-to-node ${JSON.stringify({ cluster: context, node: "node-a3", protocols: ["tcp/ipv4"] })} 3/3`]);
      expect(listener[0]!.explanation).toBe("tcp/ipv4 to node node-a3 fails from (nearly) every peer while its other probes pass: a listener or firewall on node-a3");
      const isolated = analyze(single(context, mesh(5, { clusters: [context], node, faults: [(r) => (r.source.node === "node-a2" || at("node-a2")(r) ? timeout : undefined)] })));
      expect(brief(isolated)).toEqual([`node-isolated ${JSON.stringify({ cluster: context, node: "node-a2" })} 16/16`]);
      const exec = analyze(single(context, mesh(4, { clusters: [context], node, faults: [(r) => (r.source.node === "node-a4" ? { reasonCode: "exec-failed", status: "Error", reason: "could not test: HTTP 502" } : undefined)] })));
      expect(brief(exec)).toEqual([`node-exec-failed ${JSON.stringify({ cluster: context, node: "node-a4" })} 6/6`]);
      const link = analyze(single(context, mesh(4, { clusters: [context], node, faults: [(r) => (r.source.node === "node-a1" && at("node-a2")(r) ? timeout : undefined)] })));
      expect(link.map((f) => f.subject)).toEqual([{ from: "node-a1", to: "node-a2", bothWays: false, protocols: ["icmp/ipv4", "tcp/ipv4"] }]);
      const slow = analyze(single(context, mesh(6, { clusters: [context], node, rtt: (r) => (at("node-a5")(r) ? 40 : 0.4) })));
      expect(slow.map((f) => [f.kind, f.subject])).toEqual([["latency-node", { cluster: context, node: "node-a5" }]]);
      expect(slow[0]!.explanation).toStartWith("node node-a5 answers slowly");
    });
  }
  test("two clusters with such names: each node named with its own whole context", () => {
    const inB = (r: ResultRecord, name: string) => r.target.cluster === OPENSHIFT && r.target.node === name;
    const listener = analyze(two(EKS, OPENSHIFT, mesh(3, { clusters: [EKS, OPENSHIFT], node, faults: [(r) => (inB(r, "node-a3") && r.protocol === "tcp" ? { reasonCode: "refused" } : undefined)] })));
    expect(brief(listener)).toEqual([`protocol-to-node ${JSON.stringify({ cluster: OPENSHIFT, node: "node-a3", protocols: ["tcp/ipv4"] })} 5/5`]);
    expect(listener[0]!.explanation).toBe(`tcp/ipv4 to node ${OPENSHIFT}/node-a3 fails from (nearly) every peer while its other probes pass: a listener or firewall on ${OPENSHIFT}/node-a3`);
    const link = analyze(two(EKS, UNICODE, mesh(3, { clusters: [EKS, UNICODE], node, faults: [(r) => (r.source.cluster === EKS && r.source.node === "node-a1" && r.target.cluster === UNICODE && r.target.node === "node-a2" ? timeout : undefined)] })));
    expect(link.map((f) => f.subject)).toEqual([{ from: `${EKS}/node-a1`, to: `${UNICODE}/node-a2`, bothWays: false, protocols: ["icmp/ipv4", "tcp/ipv4"] }]);
  });
  test("kube-proxy down on a node of a context with \"/\": the Service finding names it", () => {
    const svc = (n: string, ok: boolean): ResultRecord =>
      ({ source: { cluster: EKS, node: n, ip: "x" }, target: { cluster: "", node: "", ip: "10.96.0.5", port: 8889, name: "service" }, protocol: "svc", family: "ipv4", status: ok ? "Succeeded" : "Failed", reason: ok ? "" : "timeout", reasonCode: ok ? "ok" : "timeout" });
    const rs = [...mesh(4, { clusters: [EKS], node }), ...["node-a1", "node-a2", "node-a3", "node-a4"].map((n) => svc(n, n !== "node-a2"))];
    expect(brief(analyze(single(EKS, rs)))).toEqual([`service-node ${JSON.stringify({ cluster: EKS, node: "node-a2", protocols: ["svc"] })} 1/1`]);
  });
});

describe("findings on the Service path and MTU", () => {
  const svc = (node: string, name: string, status: ResultRecord["status"], reasonCode: ReasonCode = status === "Succeeded" ? "ok" : "timeout"): ResultRecord =>
    ({ source: { cluster: "a", node, ip: "x" }, target: { cluster: "", node: "", ip: "10.96.0.5", port: 8889, name }, protocol: "svc", family: "ipv4", status, reason: reasonCode, reasonCode });
  const dnsVia = (node: string, ok: boolean): ResultRecord =>
    ({ source: { cluster: "a", node, ip: "x" }, target: { cluster: "", node: "", ip: "", name: "kubernetes.default.svc.cluster.local" }, protocol: "dns", family: "ipv4", status: ok ? "Succeeded" : "Failed", reason: "", reasonCode: ok ? "ok" : "dns-timeout" });
  const nodes = ["a1", "a2", "a3", "a4"];
  test("kube-proxy down on a node: its Services, its NodePort and its DNS through the Service: one finding", () => {
    const mesh4 = mesh(4, { protocols: ["icmp", "tcp"] });
    const nodeports = mesh(4, { protocols: ["tcp"], faults: [(r) => (r.target.node === "a3" ? { reasonCode: "refused" } : undefined)] }).map((r) => ({ ...r, protocol: "nodeport" as const }));
    const svcs = nodes.flatMap((n) => ["service", "service-local"].map((name) => svc(n, name, n === "a3" ? "Failed" : "Succeeded")));
    const dns = nodes.map((n) => dnsVia(n, n !== "a3"));
    const f = analyze(doc([...mesh4, ...nodeports, ...svcs, ...dns]));
    expect(brief(f)).toEqual([`service-node {"cluster":"a","node":"a3","protocols":["svc","nodeport"]} 6/6`]);
    expect(f[0]!.explanation).toContain("Services fail from node a3 and its NodePort does not answer its peers, while its pod network works");
  });
  test("Services failing from one node of a run without pod network probes: its pod network is not said to work", () => {
    const f = analyze(doc(nodes.map((n) => svc(n, "service", n === "a3" ? "Failed" : "Succeeded"))));
    expect(brief(f)).toEqual([`service-node {"cluster":"a","node":"a3","protocols":["svc"]} 1/1`]);
    expect(f[0]!.explanation).toBe("Services fail from node a3 (its pod network was not tested): the Service rules on a3 (kube-proxy or its replacement) are broken (timeout)");
  });
  test("the Service failing from every node: one cluster-wide finding", () => {
    const f = analyze(doc([...mesh(4), ...nodes.flatMap((n) => [svc(n, "service", "Failed", "refused"), svc(n, "service-local", "Failed", "refused")])]));
    expect(brief(f)).toEqual([`service-cluster {"protocols":["svc"]} 8/8`]);
  });
  test("an isolated node's Service probes are part of its finding", () => {
    const rs = [...mesh(4, { faults: [(r) => (r.source.node === "a2" || r.target.node === "a2" ? timeout : undefined)] }), ...nodes.map((n) => svc(n, "service", n === "a2" ? "Failed" : "Succeeded"))];
    expect(brief(analyze(doc(rs)))).toEqual([`node-isolated {"cluster":"a","node":"a2"} 13/13`]);
  });
  test("an MTU black hole to a node: one finding, in MTU words", () => {
    const rs = mesh(4, { protocols: ["icmp", "tcp", "mtu" as never], faults: [(r) => ((r.protocol as string) === "mtu" && r.target.node === "a4" ? { reasonCode: "mtu-blackhole", reason: "MTU black hole: 1500-byte packets ... largest about 1400 bytes" } : undefined)] });
    const f = analyze(doc(rs));
    expect(brief(f)).toEqual([`protocol-to-node {"cluster":"a","node":"a4","protocols":["mtu/ipv4"]} 3/3`]);
    expect(f[0]!.explanation).toStartWith("MTU black hole to node a4: full-size packets from (nearly) every peer are lost while small ones pass");
  });
});

describe("findings in the report", () => {
  test("first, most important first, a line each, at most ten", async () => {
    const { renderFindings, MAX_FINDINGS_SHOWN } = await import("../../src/report/findings.ts");
    const rs = mesh(6, { faults: [(r) => (r.target.node === "a6" ? timeout : undefined)], rtt: (r) => ([r.source.node, r.target.node].sort().join() === "a1,a2" ? 30 : 0.4) });
    const text = renderFindings(analyze(doc(rs)), false);
    expect(text.split("\n")).toEqual([
      "2 findings:",
      "  error: node a6 is unreachable: (nearly) every peer fails to reach it, over icmp/ipv4, tcp/ipv4 (explains 10 of 10 pairs)",
      "  warning: the link between a1 and a2 is slow: RTT up to 30.0 ms against a median of 0.4 ms (explains 4 of 50 pairs)",
      "", "",
    ]);
    expect(renderFindings([], false)).toBe("");
    const many = Array.from({ length: MAX_FINDINGS_SHOWN + 3 }, () => analyze(doc(rs))[0]!);
    expect(renderFindings(many, true)).toContain("\u001b[31merror\u001b[0m");
    expect(renderFindings(many, false)).toContain("... and 3 more: see -o json or the results file");
  });
});

describe("findings on a bad day: the whole mesh, or failures scattered over it", () => {
  const refused = { reasonCode: "refused" as const, reason: "connection refused on port 8889" };
  test("every node's listener down: one cluster-wide finding from the counts, the failures never made records", () => {
    const d = doc(mesh(12, { faults: [(r) => (r.protocol === "tcp" ? refused : undefined)] }));
    expect(d.results.records()).toHaveLength(0);
    const f = analyze(d);
    expect(brief(f)).toEqual([`cluster-wide {"protocols":["tcp/ipv4"]} 132/132`]);
    expect(f[0]!.explanation).toBe("tcp/ipv4 fails between (nearly) every pair of nodes: 132 of 132 pairs, connection refused on port 8889; icmp/ipv4 works, so every node refuses or filters tcp/ipv4 (a NetworkPolicy or firewall on every node, or no listener anywhere)");
    expect(f[0]!.evidence.examples).toHaveLength(3);
  });
  test("everything failing: the network between the nodes is down, one finding", () => {
    const f = analyze(doc(mesh(8, { faults: [() => timeout] })));
    expect(brief(f)).toEqual([`cluster-wide {"protocols":["icmp/ipv4","tcp/ipv4"]} 112/112`]);
    expect(f[0]!.explanation).toBe("icmp/ipv4, tcp/ipv4 fail between (nearly) every pair of nodes: 112 of 112 pairs, timeout; the network between the nodes is down cluster-wide (the CNI, a policy denying all traffic, the nodes' routes)");
  });
  test("two isolated nodes of four, or one link of two nodes, are not cluster-wide", () => {
    const two = analyze(doc(mesh(4, { faults: [(r) => (["a1", "a2"].includes(r.source.node) || ["a1", "a2"].includes(r.target.node) ? timeout : undefined)] })));
    expect(two.map((f) => `${f.kind} ${f.subject.node}`)).toEqual(["node-isolated a1", "node-isolated a2"]);
    expect(analyze(doc(mesh(2, { faults: [() => timeout] }))).map((f) => f.kind)).toEqual(["link"]);
  });
  test("one pair in fifty failing at random: one scattered finding, not a finding a link", () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % 50) === 0;
    const rs = mesh(60, { protocols: ["tcp"], faults: [() => (random() ? timeout : undefined)] });
    const f = analyze(doc(rs));
    expect(f.map((x) => x.kind)).toEqual(["scattered"]);
    expect(f[0]!.evidence.pairs).toBe(failing(rs));
    expect(f[0]!.explanation).toMatch(/^\d+ pairs fail scattered over \d+ links between \d+ nodes \(tcp\/ipv4: timeout\), none of them explained by a node/);
  });
});
