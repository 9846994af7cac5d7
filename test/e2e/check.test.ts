// kubectl netdoctor check against the local test cluster: real API server, real packets, real faults.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { injectFault } from "../../scripts/cluster/faults.ts";
import { ensureCluster, heal } from "../helpers/cluster.ts";
import { netdoctorObjects } from "../helpers/leftovers.ts";
import { BINARY, json, runPlugin } from "../helpers/plugin.ts";

let kubeconfig = "";
const results = mkdtempSync(join(tmpdir(), "nd-results-"));
let n = 0;

/** check with JSON output; every run gets its own results file. */
async function check(...args: string[]) {
  const file = join(results, `r${++n}.json`);
  const r = await runPlugin(["check", "--kubeconfig", kubeconfig, "-o", "json", "--no-progress", "--results", file, ...args]);
  return { ...r, file, doc: r.stdout.trim() ? json(r) : undefined };
}
const pairs = (doc: any, status?: string) => (doc.results as any[]).filter((r) => !status || r.status === status).map((r) => `${r.source.node}->${r.target.node} ${r.protocol}`).sort();

beforeAll(async () => {
  kubeconfig = await ensureCluster();
});
afterEach(async () => {
  await heal();
});

describe("check", () => {
  test("4 healthy nodes: every pair Succeeded, exit 0, nothing left behind", async () => {
    const r = await check();
    expect(r.code).toBe(0);
    expect(r.doc.summary).toMatchObject({ nodesTotal: 4, nodesChecked: 4, pairs: 24, succeeded: 24, failed: 0, errors: 0, execs: 4 });
    expect(await netdoctorObjects()).toEqual([]);
    expect(JSON.parse(readFileSync(r.file, "utf8")).summary.succeeded).toBe(24);
  });

  test("a one-way drop: exactly those pairs Failed with a timeout, exit 1", async () => {
    await injectFault({ kind: "drop", from: "node-a1", to: "node-a2" });
    const r = await check();
    expect(r.code).toBe(1);
    expect(pairs(r.doc, "Failed")).toEqual(["node-a1->node-a2 icmp", "node-a1->node-a2 tcp"]);
    expect(pairs(r.doc, "Succeeded")).toHaveLength(22);
    for (const f of r.doc.results.filter((x: any) => x.status === "Failed")) expect(f.reason).toMatch(/^timeout/);
  });

  test("a fast reject: Failed as refused, well before the timeout", async () => {
    await injectFault({ kind: "reject", from: "node-a1", to: "node-a3", proto: "tcp" });
    const r = await check("--protocols", "tcp", "--timeout", "10");
    expect(r.code).toBe(1);
    expect(pairs(r.doc, "Failed")).toEqual(["node-a1->node-a3 tcp"]);
    expect(r.doc.results.find((x: any) => x.status === "Failed").reason).toMatch(/connection refused/);
    expect(r.doc.summary.durationMs).toBeLessThan(10_000);
  });

  test("listener down: tcp to it Failed, icmp to it Succeeded", async () => {
    await injectFault({ kind: "listener-down", node: "node-a4" });
    const r = await check();
    expect(pairs(r.doc, "Failed")).toEqual(["node-a1->node-a4 tcp", "node-a2->node-a4 tcp", "node-a3->node-a4 tcp"]);
    expect(r.doc.results.filter((x: any) => x.target.node === "node-a4" && x.protocol === "icmp").map((x: any) => x.status)).toEqual(["Succeeded", "Succeeded", "Succeeded"]);
  });

  test("kubelet down: that node's source rows are Error (not Failed), the rest are tested", async () => {
    await injectFault({ kind: "kubelet-down", node: "node-a2" });
    const r = await check();
    expect(r.code).toBe(1);
    const fromA2 = r.doc.results.filter((x: any) => x.source.node === "node-a2");
    expect(fromA2).toHaveLength(6);
    expect(fromA2.filter((x: any) => !(x.status === "Error" && /could not test: exec/.test(x.reason)))).toEqual([]);
    expect(r.doc.summary).toMatchObject({ failed: 0, errors: 6, succeeded: 18 });
  });

  test("node selection: --nodes, --exclude-nodes, -l; unknown node is a usage error", async () => {
    const two = await check("--nodes", "node-a1,node-a2");
    expect(two.doc.summary).toMatchObject({ nodesTotal: 4, nodesChecked: 2, pairs: 4 });
    const three = await check("--exclude-nodes", "node-a4", "-p", "icmp");
    expect(three.doc.summary).toMatchObject({ nodesChecked: 3, pairs: 6 });
    const sel = await check("-l", "kubernetes.io/hostname in (node-a1,node-a3)", "-p", "icmp");
    expect(pairs(sel.doc)).toEqual(["node-a1->node-a3 icmp", "node-a3->node-a1 icmp"]);
    const bad = await check("--nodes", "node-x");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("node 'node-x' not found in context 'netdoctor-a'");
  });

  test("modes: node, node-to-pod, pod-to-node aim at the right addresses", async () => {
    const node = await check("--mode", "node", "-p", "icmp,tcp");
    expect(node.code).toBe(0);
    expect(node.doc.results).toHaveLength(24);
    expect(node.doc.results.filter((x: any) => !(x.target.ip.startsWith("10.200.0.") && x.source.ip.startsWith("10.200.0.")))).toEqual([]);
    const n2p = await check("--mode", "node-to-pod", "-p", "icmp");
    expect(n2p.code).toBe(0);
    expect(n2p.doc.results).toHaveLength(12);
    expect(n2p.doc.results.filter((x: any) => !(x.source.ip.startsWith("10.200.0.") && x.target.ip.startsWith("10.244.")))).toEqual([]);
    const p2n = await check("--mode", "pod-to-node", "-p", "tcp");
    expect(p2n.code).toBe(0);
    expect(p2n.doc.results).toHaveLength(12);
    expect(p2n.doc.results.filter((x: any) => !(x.source.ip.startsWith("10.244.") && x.target.ip.startsWith("10.200.0.")))).toEqual([]);
  });

  test("dns: the pod's resolver and a named server; a missing name is NXDOMAIN", async () => {
    const ok = await check("-p", "dns");
    expect(ok.code).toBe(0);
    expect(ok.doc.summary).toMatchObject({ pairs: 4, succeeded: 4 });
    const named = await check("-p", "dns", "--dns-server", "10.200.0.2", "--dns-name", "nope.default.svc.cluster.local");
    expect(named.code).toBe(1);
    expect(named.doc.results).toHaveLength(4);
    expect(named.doc.results.filter((x: any) => !(x.status === "Failed" && x.reason.startsWith("NXDOMAIN")))).toEqual([]);
  });

  test("several protocols and custom targets in one run", async () => {
    const r = await check("-p", "icmp,tcp,dns", "--target", "10.200.0.11:8889,10.200.0.12:9999");
    expect(r.doc.summary.pairs).toBe(24 + 4 + 8);
    const custom = r.doc.results.filter((x: any) => x.custom);
    expect(custom.filter((x: any) => x.target.port === 8889).map((x: any) => x.status)).toEqual(Array(4).fill("Succeeded"));
    const refused = custom.filter((x: any) => x.target.port === 9999);
    expect(refused).toHaveLength(4);
    expect(refused.filter((x: any) => !(x.status === "Failed" && /refused/.test(x.reason)))).toEqual([]);
  });

  test("ip families: ipv6 alone, and dual with a fault seen on both", async () => {
    const v6 = await check("--ip-family", "ipv6");
    expect(v6.code).toBe(0);
    expect(v6.doc.results).toHaveLength(24);
    expect(v6.doc.results.filter((x: any) => !(x.family === "ipv6" && x.target.ip.includes(":")))).toEqual([]);
    await injectFault({ kind: "drop", from: "node-a2", to: "node-a3" });
    const dual = await check("--ip-family", "dual", "--mode", "node");
    expect(dual.doc.summary).toMatchObject({ pairs: 48, failed: 4 });
    expect(dual.doc.results.filter((x: any) => x.status === "Failed").map((x: any) => `${x.protocol}/${x.family}`).sort()).toEqual(["icmp/ipv4", "icmp/ipv6", "tcp/ipv4", "tcp/ipv6"]);
  });

  test("a node whose floater never becomes ready: skipped with its reason, the others are checked", async () => {
    await injectFault({ kind: "link-down", node: "node-a4" });
    const r = await check("--pod-wait-timeout", "5", "-p", "icmp");
    expect(r.code).toBe(1);
    expect(r.doc.summary).toMatchObject({ nodesTotal: 4, nodesChecked: 3, skippedNodes: 1, pairs: 6, succeeded: 6 });
    expect(r.doc.skipped).toEqual([{ cluster: "netdoctor-a", node: "node-a4", reason: expect.stringMatching(/Pending/) }]);
    const table = await runPlugin(["resume", "--kubeconfig", kubeconfig, "--results", r.file, "--no-progress", "--pod-wait-timeout", "5", "-o", "json"]);
    // node-a4 is still down: its 6 pairs are re-checked in vain, it is skipped again.
    expect(table.code).toBe(1);
    expect(json(table).skipped).toEqual([{ cluster: "netdoctor-a", node: "node-a4", reason: expect.stringMatching(/Pending/) }]);
    expect(json(table).resume).toMatchObject({ fixed: [], stillFailing: [], newlyFailing: [] });
  });

  test("-o json schema", async () => {
    const r = await check("-p", "icmp");
    const doc = r.doc;
    expect(doc).toMatchObject({ apiVersion: "netdoctor.io/v1", kind: "CheckResults", partial: false });
    for (const k of ["nodesTotal", "nodesChecked", "pairs", "succeeded", "failed", "errors"]) expect(typeof doc.summary[k]).toBe("number");
    const one = doc.results[0];
    expect(Object.keys(one)).toEqual(expect.arrayContaining(["source", "target", "protocol", "status", "reason", "rttMs"]));
    expect(typeof one.source.node).toBe("string");
    expect(typeof one.source.ip).toBe("string");
    expect(typeof one.target.node).toBe("string");
    expect(typeof one.target.ip).toBe("string");
    expect(one.rttMs).toBeGreaterThan(0);
  });

  test("the default report: summary and a table of what failed", async () => {
    await injectFault({ kind: "drop", from: "node-a3", to: "node-a1", proto: "icmp" });
    const r = await runPlugin(["check", "--kubeconfig", kubeconfig, "--no-progress", "--results", join(results, "table.json")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("checked 4 of 4 nodes: 24 pairs, 23 succeeded, 1 failed");
    expect(r.stdout).toMatch(/SRC NODE NAME.*DST NODE NAME.*TARGET IP.*PROTOCOL.*RESULT.*REASON/);
    expect(r.stdout).toMatch(/node-a3 .*node-a1 .*icmp .*Failed/);
    expect(r.stderr).toContain(`results saved to ${join(results, "table.json")}`);
  });

  test("results are saved next to the kubeconfig by default", async () => {
    const r = await runPlugin(["check", "--kubeconfig", kubeconfig, "--no-progress", "-p", "icmp"]);
    expect(r.code).toBe(0);
    const path = join(kubeconfig, "..", "netdoctor", "netdoctor-a@10.200.0.1_6443.json");
    expect(existsSync(path)).toBe(true);
    expect(JSON.parse(readFileSync(path, "utf8")).settings.protocols).toEqual(["icmp"]);
  });
});

describe("check: bad input and interruptions", () => {
  test("unknown context: exit 2 naming the context and the file", async () => {
    const r = await runPlugin(["check", "--kubeconfig", kubeconfig, "--context", "nope"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`error: context 'nope' not found in ${kubeconfig} (contexts: netdoctor-a, netdoctor-a-limited)\n`);
  });
  test("unreachable server: exit 3 naming the context and the server", async () => {
    const r = await runPlugin(["check", "--kubeconfig", kubeconfig, "--server", "https://127.0.0.1:1"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("cannot reach the API server of context 'netdoctor-a' (https://127.0.0.1:1)");
    expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
  });
  test("forbidden (an RBAC-limited user): exit 3 with a clear message, nothing created", async () => {
    const r = await runPlugin(["check", "--kubeconfig", kubeconfig, "--context", "netdoctor-a-limited"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/forbidden|missing permissions/);
    expect(r.stderr).toContain("netdoctor-a-limited");
    expect(await netdoctorObjects()).toEqual([]);
  });
  test("SIGINT mid-check: partial results saved, nothing left behind, exit 130", async () => {
    await injectFault({ kind: "drop", from: "node-a1", to: "node-a2" });
    await injectFault({ kind: "drop", from: "node-a3", to: "node-a4" });
    const file = join(results, "interrupted.json");
    const proc = Bun.spawn([BINARY, "check", "--kubeconfig", kubeconfig, "--results", file, "--timeout", "20", "--concurrency", "2", "--probe-concurrency", "1"], {
      stdout: "pipe", stderr: "pipe", env: { ...process.env, NO_COLOR: "1" },
    });
    const reader = proc.stderr.getReader();
    let seen = "";
    while (!seen.includes("probing")) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += new TextDecoder().decode(value);
    }
    await Bun.sleep(1500);
    proc.kill("SIGINT");
    expect(await proc.exited).toBe(130);
    const doc = JSON.parse(readFileSync(file, "utf8"));
    expect(doc.partial).toBe(true);
    expect(doc.summary.pairs).toBeLessThan(24);
    expect(await netdoctorObjects()).toEqual([]);
  });
  test("a .env or bunfig.toml in the working directory has no effect", async () => {
    const dir = mkdtempSync(join(tmpdir(), "nd-dotenv-"));
    // A kubeconfig without the CA: the server must not be trusted, whatever .env says.
    const text = readFileSync(kubeconfig, "utf8").replace(/certificate-authority: .*/g, "");
    writeFileSync(join(dir, "kubeconfig"), text);
    writeFileSync(join(dir, ".env"), "NODE_TLS_REJECT_UNAUTHORIZED=0\n");
    writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./evil.ts"]\n');
    writeFileSync(join(dir, "evil.ts"), `require("fs").writeFileSync(${JSON.stringify(join(dir, "pwned"))}, "x");\n`);
    const r = await runPlugin(["check", "--kubeconfig", join(dir, "kubeconfig")], { cwd: dir });
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/certificate|TLS|self.signed/i);
    expect(existsSync(join(dir, "pwned"))).toBe(false);
  });
});
