// Findings on the local test cluster: each injected fault yields exactly one finding that names
// the right subject and explains every failing pair; a healthy cluster yields none.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { injectFault } from "../../scripts/cluster/faults.ts";
import { ensureCluster, heal } from "../helpers/cluster.ts";
import { json, runPlugin } from "../helpers/plugin.ts";

let kubeconfig = "";
const dir = mkdtempSync(join(tmpdir(), "nd-findings-"));
let n = 0;

beforeAll(async () => {
  kubeconfig = await ensureCluster();
});
afterEach(async () => {
  await heal();
});

async function check(...args: string[]) {
  const r = await runPlugin(["check", "--kubeconfig", kubeconfig, "-o", "json", "--no-progress", "--results", join(dir, `f${++n}.json`), ...args]);
  return { ...r, doc: json(r) };
}

/** The run's error findings, and whether the first explains every failing pair. */
function errors(doc: any) {
  const failing = doc.results.filter((r: any) => r.status !== "Succeeded").length;
  const found = doc.findings.filter((f: any) => f.severity === "error");
  return { found, failing, kinds: found.map((f: any) => `${f.kind} ${JSON.stringify(f.subject)}`) };
}

describe("findings", () => {
  test("a healthy cluster: no finding that fails the run", async () => {
    const r = await check();
    expect(r.code).toBe(0);
    expect(errors(r.doc).kinds).toEqual([]);
  });

  test("one-way drop: one link finding, one way, explaining both failing pairs", async () => {
    await injectFault({ kind: "drop", from: "node-a1", to: "node-a2" });
    const { kinds, found, failing } = errors((await check()).doc);
    expect(kinds).toEqual([`link {"from":"node-a1","to":"node-a2","bothWays":false,"protocols":["icmp/ipv4","tcp/ipv4"]}`]);
    expect(found[0].evidence.pairs).toBe(failing);
    expect(failing).toBe(2);
  });

  test("two-way drop: one link finding, both ways", async () => {
    await injectFault({ kind: "drop", from: "node-a2", to: "node-a3", bothWays: true });
    const { kinds, found, failing } = errors((await check()).doc);
    expect(kinds).toEqual([`link {"from":"node-a2","to":"node-a3","bothWays":true,"protocols":["icmp/ipv4","tcp/ipv4"]}`]);
    expect(found[0].evidence.pairs).toBe(failing);
  });

  test("a node cut off from every peer: one isolated-node finding", async () => {
    for (const peer of ["node-a1", "node-a2", "node-a4"]) await injectFault({ kind: "drop", from: peer, to: "node-a3", bothWays: true });
    const r = await check();
    const { kinds, found, failing } = errors(r.doc);
    expect(kinds).toEqual([`node-isolated {"cluster":"netdoctor-a","node":"node-a3"}`]);
    expect(found[0].evidence.pairs).toBe(failing);
    expect(failing).toBe(12);
    // The table output leads with it.
    const table = await runPlugin(["check", "--kubeconfig", kubeconfig, "--no-progress", "--results", join(dir, "table.json")], { env: { COLUMNS: "200" } });
    expect(table.stdout.split("\n").slice(0, 2)).toEqual(["1 finding:", "  error: node node-a3 is isolated: it neither answers its peers nor reaches them (12 failing pairs) (explains 12 of 12 pairs)"]);
  });

  test("listener down: one finding, tcp to that node", async () => {
    await injectFault({ kind: "listener-down", node: "node-a4" });
    const { kinds, found, failing } = errors((await check()).doc);
    expect(kinds).toEqual([`protocol-to-node {"cluster":"netdoctor-a","node":"node-a4","protocols":["tcp/ipv4"]}`]);
    expect(found[0].evidence.pairs).toBe(failing);
  });

  test("an EKS-style context name (with '/' and ':'): the finding names the node alone; results saved and found again", async () => {
    const eks = "arn:aws:eks:us-east-1:123456789012:cluster/prod-1";
    const own = mkdtempSync(join(tmpdir(), "nd-eks-"));
    const file = join(own, "kubeconfig");
    writeFileSync(file, readFileSync(kubeconfig, "utf8").replaceAll("netdoctor-a", eks));
    await injectFault({ kind: "listener-down", node: "node-a4" });
    const r = await runPlugin(["check", "--kubeconfig", file, "--context", eks, "-o", "json", "--no-progress"]);
    expect(r.code).toBe(1);
    const { kinds, found } = errors(json(r));
    expect(kinds).toEqual([`protocol-to-node {"cluster":"${eks}","node":"node-a4","protocols":["tcp/ipv4"]}`]);
    expect(found[0].explanation).toStartWith("tcp/ipv4 to node node-a4 fails from");
    expect(r.stderr).toContain(`results saved to ${join(own, "netdoctor", "arn_aws_eks_us-east-1_123456789012_cluster_prod-1@10.200.0.1_6443.json")}`);
    const report = await runPlugin(["report", "--kubeconfig", file, "--context", eks]);
    expect(report.code).toBe(1);
    expect(report.stdout).toContain("to node node-a4 fails from");
  });

  test("replies dropped: one link finding explaining every failing pair", async () => {
    await injectFault({ kind: "reply-drop", from: "node-a1", to: "node-a3" });
    const { found, failing } = errors((await check()).doc);
    expect(found.map((f: any) => `${f.kind} ${f.subject.from} ${f.subject.to}`)).toEqual(["link node-a1 node-a3"]);
    expect(found[0].evidence.pairs).toBe(failing);
    expect(failing).toBeGreaterThanOrEqual(2);
  });

  test("IPv6 only, in a dual-stack run: one link finding naming the IPv6 layers", async () => {
    await injectFault({ kind: "drop", from: "node-a4", to: "node-a1", family: "ipv6" });
    const { kinds, found, failing } = errors((await check("--ip-family", "dual")).doc);
    expect(kinds).toEqual([`link {"from":"node-a4","to":"node-a1","bothWays":false,"protocols":["icmp/ipv6","tcp/ipv6"]}`]);
    expect(found[0].evidence.pairs).toBe(failing);
  });

  test("a node whose floater never becomes ready: one finding with its reason", async () => {
    await injectFault({ kind: "link-down", node: "node-a4" });
    const r = await check("--pod-wait-timeout", "5", "-p", "icmp");
    const { found } = errors(r.doc);
    expect(found.map((f: any) => `${f.kind} ${f.subject.node}`)).toEqual(["node-not-ready node-a4"]);
    expect(found[0].explanation).toContain("Pending");
  });

  test("the DNS server down: one dns-server finding", async () => {
    await injectFault({ kind: "dns-down" });
    const r = await check("-p", "dns", "--timeout", "2");
    const { kinds, found, failing } = errors(r.doc);
    expect(kinds).toEqual([`dns-server {"dnsServer":""}`]);
    expect(found[0].evidence.pairs).toBe(failing);
    expect(failing).toBe(4);
  });
});
