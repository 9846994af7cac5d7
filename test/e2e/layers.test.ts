// The layers beyond pod IPs, on the local test cluster with a real kube-proxy in every node: the
// Service path (ClusterIP, node-local ClusterIP, NodePort), DNS through the kube-dns Service, and
// MTU black holes. Each fault is found exactly, with one finding naming its node.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { injectFault } from "../../scripts/cluster/faults.ts";
import { ensureCluster, heal } from "../helpers/cluster.ts";
import { netdoctorObjects } from "../helpers/leftovers.ts";
import { json, runPlugin } from "../helpers/plugin.ts";

let kubeconfig = "";
const dir = mkdtempSync(join(tmpdir(), "nd-layers-"));
let n = 0;

beforeAll(async () => {
  kubeconfig = await ensureCluster();
});
afterEach(async () => {
  await heal();
});

async function check(protocols: string, ...args: string[]) {
  const r = await runPlugin(["check", "--kubeconfig", kubeconfig, "-o", "json", "--no-progress", "--results", join(dir, `l${++n}.json`), "-p", protocols, ...args]);
  return { ...r, doc: json(r) };
}
const failing = (doc: any) => (doc.results as any[]).filter((r) => r.status !== "Succeeded").map((r) => `${r.source.node}->${r.target.node || r.target.name} ${r.protocol}`).sort();
const errors = (doc: any) => (doc.findings as any[]).filter((f) => f.severity === "error");

describe("the Service path, DNS through its Service, MTU", () => {
  test("healthy: every svc, nodeport, dns and mtu probe Succeeded; the run's Services are removed", async () => {
    const r = await check("all");
    expect(r.code).toBe(0);
    const by = (p: string) => r.doc.results.filter((x: any) => x.protocol === p).map((x: any) => x.status);
    expect(by("svc")).toEqual(Array(8).fill("Succeeded"));
    expect(by("nodeport")).toEqual(Array(12).fill("Succeeded"));
    expect(by("mtu")).toEqual(Array(12).fill("Succeeded"));
    expect(by("dns")).toEqual(Array(4).fill("Succeeded"));
    expect(await netdoctorObjects()).toEqual([]);
  });

  test("kube-proxy down on one node: its Service probes and its NodePort fail, pod IPs pass, one finding", async () => {
    await injectFault({ kind: "kube-proxy-down", node: "node-a3" });
    const r = await check("icmp,tcp,svc,nodeport");
    expect(r.code).toBe(1);
    expect(failing(r.doc)).toEqual([
      "node-a1->node-a3 nodeport", "node-a2->node-a3 nodeport", "node-a3->service svc", "node-a3->service-local svc", "node-a4->node-a3 nodeport",
    ]);
    expect(r.doc.results.filter((x: any) => x.target.node === "node-a3" && x.protocol === "nodeport").map((x: any) => x.reasonCode)).toEqual(["refused", "refused", "refused"]);
    expect(errors(r.doc).map((f: any) => `${f.kind} ${f.subject.node} ${f.evidence.pairs}`)).toEqual(["service-node node-a3 5"]);
  });

  test("DNS goes through the kube-dns Service: kube-proxy down on a node fails that node's DNS with its Services", async () => {
    await injectFault({ kind: "kube-proxy-down", node: "node-a2" });
    const r = await check("dns,svc");
    expect(failing(r.doc)).toEqual(["node-a2->kubernetes.default.svc.cluster.local dns", "node-a2->service svc", "node-a2->service-local svc"]);
    expect(r.doc.results.find((x: any) => x.protocol === "dns" && x.status === "Failed").reason).toContain("the pod's resolver (the cluster DNS Service) did not answer");
    expect(errors(r.doc).map((f: any) => `${f.kind} ${f.subject.node} ${f.evidence.pairs}`)).toEqual(["service-node node-a2 3"]);
  });

  test("dns-down: every node's dns probe Failed, nothing else; one finding", async () => {
    await injectFault({ kind: "dns-down" });
    const r = await check("icmp,tcp,dns,svc", "--timeout", "2");
    expect(failing(r.doc)).toEqual(["node-a1", "node-a2", "node-a3", "node-a4"].map((node) => `${node}->kubernetes.default.svc.cluster.local dns`));
    expect(r.doc.results.filter((x: any) => x.protocol === "dns").map((x: any) => x.reasonCode)).toEqual(Array(4).fill("dns-timeout"));
    expect(errors(r.doc).map((f: any) => f.kind)).toEqual(["dns-server"]);
  });

  test("an MTU black hole to one node: small pings pass, mtu probes to it Failed with the size, others pass", async () => {
    await injectFault({ kind: "mtu", node: "node-a4", mtu: 1400 });
    const r = await check("icmp,tcp,mtu");
    expect(failing(r.doc)).toEqual(["node-a1->node-a4 mtu", "node-a2->node-a4 mtu", "node-a3->node-a4 mtu"]);
    const lost = r.doc.results.filter((x: any) => x.status === "Failed");
    expect(lost.map((x: any) => x.reasonCode)).toEqual(Array(3).fill("mtu-blackhole"));
    // 1500-byte packets lost; the bisection lands within 16 bytes below the 1400 that pass.
    for (const x of lost) expect(Number(/about (\d+) bytes/.exec(x.reason)![1])).toBeWithin(1384, 1401);
    expect(errors(r.doc).map((f: any) => `${f.kind} ${f.subject.node} ${f.evidence.pairs}`)).toEqual(["protocol-to-node node-a4 3"]);
  });
});
