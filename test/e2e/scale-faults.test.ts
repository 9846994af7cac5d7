// Faults in scale mode: ten scale nodes share a shard's network namespace, yet a fault singles out
// one node, because each node's probes leave from its own node IP (its execs run with its own
// group, which its shard SNATs to that IP). Each injected fault yields exactly the finding that
// names it, across shards and inside one.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { injectFault } from "../../scripts/cluster/faults.ts";
import { leftovers } from "../../scripts/cluster/network.ts";
import { inNetns } from "../../scripts/cluster/sh.ts";
import { topology } from "../../scripts/cluster/topology.ts";
import { ensureCluster, heal, teardown } from "../helpers/cluster.ts";
import { json, runPlugin } from "../helpers/plugin.ts";

const SHAPE = { clusters: 1 as const, nodes: 4, scale: 20 };
const layout = topology(SHAPE).scale!;
const shardOf = (name: string) => layout.nodes.find((n) => n.name === name)!.shard;

let kubeconfig = "";
const dir = mkdtempSync(join(tmpdir(), "nd-scale-faults-"));
let n = 0;

async function check() {
  const r = await runPlugin(["check", "--kubeconfig", kubeconfig, "-o", "json", "--no-progress", "-p", "icmp,tcp", "--results", join(dir, `s${++n}.json`)]);
  const doc = json(r);
  const failing = (doc.results as any[]).filter((x) => x.status !== "Succeeded");
  const errors = (doc.findings as any[]).filter((f) => f.severity === "error");
  return { code: r.code, doc, failing, errors, kinds: errors.map((f) => `${f.kind} ${JSON.stringify(f.subject)}`) };
}

/** Packets each scale node's group sent from its own address (its SNAT rule's counter). */
function snatPackets(): Map<number, number> {
  const counts = new Map<number, number>();
  for (const shard of layout.shards) {
    for (const line of inNetns(shard.netns, ["iptables", "-t", "nat", "-L", "POSTROUTING", "-v", "-n", "-x"]).split("\n")) {
      const m = /^\s*(\d+)\s+\d+\s+SNAT\b.*owner GID match (\d+)/.exec(line);
      if (m) counts.set(Number(m[2]), Number(m[1]));
    }
  }
  return counts;
}

beforeAll(async () => {
  kubeconfig = await ensureCluster(SHAPE);
}, 240_000);
afterEach(async () => {
  await heal();
});
afterAll(async () => {
  // Not the other suites' shape: nothing of it stays up.
  await teardown();
  expect(leftovers()).toEqual([]);
}, 120_000);

describe("faults in scale mode", () => {
  test("healthy: every pair passes, and every scale node sent from its own address", async () => {
    const before = snatPackets();
    const r = await check();
    expect(r.code).toBe(0);
    expect(r.kinds).toEqual([]);
    expect(r.doc.summary).toMatchObject({ pairs: 20 * 19 * 2, succeeded: 20 * 19 * 2 });
    const after = snatPackets();
    // One new connection per peer and protocol at least (a lost ping's second burst adds none).
    for (const node of layout.nodes) expect((after.get(node.gid) ?? 0) - (before.get(node.gid) ?? 0)).toBeGreaterThanOrEqual(19 * 2);
  }, 120_000);

  test("one-way drop between two shards: one link finding, one way, exactly its two pairs", async () => {
    expect(shardOf("scale-001")).not.toBe(shardOf("scale-012"));
    await injectFault({ kind: "drop", from: "scale-001", to: "scale-012" });
    const r = await check();
    expect(r.code).toBe(1);
    expect(r.kinds).toEqual([`link {"from":"scale-001","to":"scale-012","bothWays":false,"protocols":["icmp/ipv4","tcp/ipv4"]}`]);
    expect(r.failing.map((x) => `${x.source.node}->${x.target.node} ${x.protocol}`).sort()).toEqual(["scale-001->scale-012 icmp", "scale-001->scale-012 tcp"]);
    expect(r.errors[0].evidence.pairs).toBe(2);
  }, 120_000);

  test("two-way drop between neighbours in one shard: one link finding, both ways", async () => {
    expect(shardOf("scale-001")).toBe(shardOf("scale-003"));
    await injectFault({ kind: "drop", from: "scale-001", to: "scale-003", bothWays: true });
    const r = await check();
    expect(r.kinds).toEqual([`link {"from":"scale-001","to":"scale-003","bothWays":true,"protocols":["icmp/ipv4","tcp/ipv4"]}`]);
    expect(r.failing.length).toBe(4);
    expect(r.errors[0].evidence.pairs).toBe(4);
  }, 120_000);

  test("a scale node cut off from every peer: one isolated-node finding", async () => {
    for (const peer of layout.nodes.filter((x) => x.name !== "scale-007")) await injectFault({ kind: "drop", from: peer.name, to: "scale-007", bothWays: true });
    const r = await check();
    expect(r.kinds).toEqual([`node-isolated {"cluster":"netdoctor-a","node":"scale-007"}`]);
    expect(r.failing.length).toBe(19 * 2 * 2);
    expect(r.errors[0].evidence.pairs).toBe(r.failing.length);
  }, 180_000);

  test("an outage of every node's listener: one cluster-wide finding (not a finding per node), exit 1, every tcp pair failed", async () => {
    // Every scale node's floater port refuses.
    for (const node of layout.nodes) await injectFault({ kind: "listener-down", node: node.name });
    const r = await check();
    expect(r.code).toBe(1);
    expect(r.kinds).toEqual([`cluster-wide {"protocols":["tcp/ipv4"]}`]);
    expect(r.errors[0].explanation).toStartWith("tcp/ipv4 fails between (nearly) every pair of nodes: 380 of 380 pairs, connection refused on port 8889");
    expect(r.errors[0].explanation).toContain("; icmp/ipv4 works, so every node refuses or filters tcp/ipv4");
    const tcp = r.doc.summary.pairs / 2;
    expect(r.errors[0].evidence).toMatchObject({ pairs: tcp, of: tcp });
    expect(r.failing.every((x: any) => x.protocol === "tcp" && x.reasonCode === "refused")).toBe(true);
    expect(r.failing.length).toBe(tcp);
    // The report leads with it, in one line, under a screenful of examples.
    const table = await runPlugin(["check", "--kubeconfig", kubeconfig, "--no-progress", "-p", "icmp,tcp", "--results", join(dir, "outage-table.json")], { env: { COLUMNS: "200" } });
    // One error line (a loaded machine may add a warning of a slow link); the head compared, so
    // that a failure shows what was found instead.
    const head = table.stdout.split("\n").slice(0, 8).join("\n");
    expect(head).toMatch(/^\d+ findings?:\n  error: tcp\/ipv4 fails between \(nearly\) every pair of nodes/);
    expect(table.stdout.split("\n").filter((line) => line.startsWith("  error:"))).toHaveLength(1);
    expect(table.stdout).toContain(`... and ${tcp - 30} more failed or untested pairs`);
  }, 180_000);

  test("faults that act on a whole namespace refuse a scale node; scale nodes are IPv4 only", async () => {
    await expect(injectFault({ kind: "mtu", node: "scale-001", mtu: 1000 })).rejects.toThrow("scale node scale-001 shares");
    await expect(injectFault({ kind: "drop", from: "scale-001", to: "scale-002", family: "ipv6" })).rejects.toThrow("IPv4 only");
  });
});
