// Less than a full mesh on the test cluster: --sample, reproducible with --seed, every pair of
// zones with --sample-zones.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminApi } from "../../scripts/cluster/harness.ts";
import { ensureCluster } from "../helpers/cluster.ts";
import { json, runPlugin } from "../helpers/plugin.ts";

let kubeconfig = "";
const dir = mkdtempSync(join(tmpdir(), "nd-sample-"));
let n = 0;
const zones = { "node-a1": "z1", "node-a2": "z1", "node-a3": "z2", "node-a4": "z2" };
const label = (zone: string | null) => Promise.all(Object.entries(zones).map(([node, z]) =>
  adminApi("a").request("PATCH", `/api/v1/nodes/${node}`, { metadata: { labels: { "topology.kubernetes.io/zone": zone === null ? null : z } } })));

beforeAll(async () => {
  kubeconfig = await ensureCluster();
});
afterAll(async () => {
  await label(null);
});

async function check(...args: string[]) {
  const r = await runPlugin(["check", "--kubeconfig", kubeconfig, "-o", "json", "--no-progress", "--results", join(dir, `s${++n}.json`), ...args]);
  return { ...r, doc: json(r) };
}
const pairs = (doc: any) => (doc.results as any[]).map((r) => `${r.source.node}->${r.target.node} ${r.protocol}`).sort();

describe("--sample", () => {
  test("K targets per source, every node a target, said in the summary and the findings", async () => {
    const r = await check("--sample", "1", "-p", "icmp");
    expect(r.code).toBe(0);
    expect(r.doc.summary).toMatchObject({ pairs: 4, succeeded: 4, sampled: { targetsPerSource: 1, fullMesh: 12 } });
    expect(new Set(r.doc.results.map((x: any) => x.source.node)).size).toBe(4);
    expect(new Set(r.doc.results.map((x: any) => x.target.node)).size).toBe(4);
    expect(r.doc.findings.map((f: any) => `${f.severity} ${f.kind}`)).toEqual(["info sampled"]);
  });
  test("the same --seed, the same pairs; the run id seeds it otherwise", async () => {
    const a = await check("--sample", "1", "--seed", "s1", "-p", "icmp");
    const b = await check("--sample", "1", "--seed", "s1", "-p", "icmp");
    expect(pairs(b.doc)).toEqual(pairs(a.doc));
    expect(b.doc.summary.sampled.seed).toBe("s1");
  });
  test("--sample-zones: every ordered pair of zones is probed", async () => {
    await label("set");
    const r = await check("--sample", "1", "--sample-zones", "--seed", "s2", "-p", "icmp");
    const zonePairs = new Set((r.doc.results as any[]).map((x) => `${(zones as any)[x.source.node]}>${(zones as any)[x.target.node]}`));
    expect([...zonePairs].sort()).toEqual(["z1>z1", "z1>z2", "z2>z1", "z2>z2"]);
  });
  test("a bad value is a usage error", async () => {
    const r = await runPlugin(["check", "--kubeconfig", kubeconfig, "--sample", "-3"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("flag --sample");
  });
});
