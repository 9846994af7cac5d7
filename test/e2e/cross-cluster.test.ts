// Cross-cluster checks on the test cluster's two-cluster mode: both directions, each through its
// own cluster's API server.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { dump, load } from "js-yaml";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { injectFault } from "../../scripts/cluster/faults.ts";
import { ensureCluster, heal } from "../helpers/cluster.ts";
import { netdoctorObjects } from "../helpers/leftovers.ts";
import { json, runPlugin } from "../helpers/plugin.ts";

let kubeconfig = "";
const dir = mkdtempSync(join(tmpdir(), "nd-cross-"));
const both = () => ["--kubeconfig", kubeconfig, "--context", "netdoctor-a", "--dst-context", "netdoctor-b", "--no-progress"];
const pairs = (doc: any, status: string) => (doc.results as any[]).filter((r) => r.status === status).map((r) => `${r.source.cluster}/${r.source.node}->${r.target.cluster}/${r.target.node} ${r.protocol}`).sort();
const empty = async () => [...(await netdoctorObjects("a")), ...(await netdoctorObjects("b"))];

beforeAll(async () => {
  kubeconfig = await ensureCluster({ clusters: 2, nodes: 2 });
});
afterEach(async () => {
  await heal();
  await runPlugin(["clean", ...both()]);
});

describe("cross-cluster check", () => {
  test("every pair between the clusters passes, both ways; results name each endpoint's cluster", async () => {
    const r = await runPlugin(["check", ...both(), "-o", "json", "--results", join(dir, "ok.json")]);
    expect(r.code).toBe(0);
    const doc = json(r);
    expect(doc.clusters.destination.context).toBe("netdoctor-b");
    expect(doc.summary).toMatchObject({ nodesTotal: 4, nodesChecked: 4, pairs: 16, succeeded: 16 });
    expect(doc.summary.directions).toEqual([
      { from: "netdoctor-a", to: "netdoctor-b", pairs: 8, succeeded: 8, failed: 0, errors: 0 },
      { from: "netdoctor-b", to: "netdoctor-a", pairs: 8, succeeded: 8, failed: 0, errors: 0 },
    ]);
    expect(doc.results).toHaveLength(16);
    expect(doc.results.filter((x: any) => x.source.cluster === x.target.cluster)).toEqual([]);
    expect(await empty()).toEqual([]);
  });

  test("a drop A -> B for one node pair fails exactly those pairs, in that direction only; resume after heal fixes them", async () => {
    const file = join(dir, "drop.json");
    await injectFault({ kind: "drop", from: "node-a1", to: "node-b2" });
    const r = await runPlugin(["check", ...both(), "-o", "json", "--results", file]);
    expect(r.code).toBe(1);
    const doc = json(r);
    expect(pairs(doc, "Failed")).toEqual(["netdoctor-a/node-a1->netdoctor-b/node-b2 icmp", "netdoctor-a/node-a1->netdoctor-b/node-b2 tcp"]);
    expect(doc.summary.directions[1]).toMatchObject({ from: "netdoctor-b", failed: 0 });
    expect(doc.findings.map((f: any) => `${f.kind} ${f.subject.from} -> ${f.subject.to} ${f.evidence.pairs}`)).toEqual(["link netdoctor-a/node-a1 -> netdoctor-b/node-b2 2"]);
    const table = await runPlugin(["check", ...both(), "--results", join(dir, "drop-table.json")]);
    expect(table.stdout).toContain("netdoctor-a -> netdoctor-b: 8 pairs, 6 succeeded, 2 failed");
    expect(table.stdout).toMatch(/netdoctor-a\/node-a1 .*netdoctor-b\/node-b2/);
    await heal();
    const resumed = await runPlugin(["resume", ...both(), "-o", "json", "--results", file]);
    expect(resumed.code).toBe(0);
    expect(json(resumed).resume).toMatchObject({ pairs: 2 });
    expect(json(resumed).resume.fixed).toHaveLength(2);
  });

  test("everything between the clusters dropped: one interconnect finding, both ways", async () => {
    for (const a of ["node-a1", "node-a2"]) for (const b of ["node-b1", "node-b2"]) await injectFault({ kind: "drop", from: a, to: b, bothWays: true });
    const r = await runPlugin(["check", ...both(), "-o", "json", "--results", join(dir, "interconnect.json")]);
    expect(r.code).toBe(1);
    const doc = json(r);
    expect(doc.findings.map((f: any) => `${f.kind} ${JSON.stringify(f.subject)} ${f.evidence.pairs}/${f.evidence.of}`))
      .toEqual([`interconnect {"from":"netdoctor-a","to":"netdoctor-b","bothWays":true} 16/16`]);
  });

  test("--direction a-to-b probes one way; the default results name the two clusters by context and server", async () => {
    const r = await runPlugin(["check", ...both(), "--direction", "a-to-b", "-p", "icmp", "-o", "json"]);
    expect(r.code).toBe(0);
    expect(json(r).summary.pairs).toBe(4);
    expect(r.stderr).toContain(join(kubeconfig, "..", "netdoctor", "netdoctor-a@10.200.0.1_6443--netdoctor-b@10.200.0.1_6444.json"));
  });

  test("clean removes what netdoctor made in both clusters", async () => {
    expect((await runPlugin(["check", ...both(), "--keep", "-p", "icmp", "--results", join(dir, "kept.json")])).code).toBe(0);
    expect((await netdoctorObjects("a")).length).toBeGreaterThan(0);
    expect((await netdoctorObjects("b")).length).toBeGreaterThan(0);
    const r = await runPlugin(["clean", ...both()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("netdoctor-b: namespace netdoctor");
    expect(await empty()).toEqual([]);
  });

  test("--dst-context naming a missing context: exit 2", async () => {
    const r = await runPlugin(["check", "--kubeconfig", kubeconfig, "--dst-context", "netdoctor-c"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("context 'netdoctor-c' not found");
  });

  test("an unreachable destination: exit 3 naming it, nothing created in the source", async () => {
    const other = join(dir, "unreachable.kubeconfig");
    writeFileSync(other, "apiVersion: v1\nkind: Config\nclusters: [{name: far, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: far, context: {cluster: far, user: u}}]\ncurrent-context: far\n");
    const r = await runPlugin(["check", "--kubeconfig", kubeconfig, "--dst-kubeconfig", other]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("context 'far' (https://127.0.0.1:1)");
    expect(await empty()).toEqual([]);
  });

  test("a forbidden destination: exit 3 naming it, the source left clean", async () => {
    const r = await runPlugin(["check", "--kubeconfig", kubeconfig, "--dst-context", "netdoctor-b-limited", "--no-progress"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("netdoctor-b-limited");
    expect(await empty()).toEqual([]);
  });
});

describe("two kubeconfig files that name everything alike (one installer, two clusters)", () => {
  const twins = mkdtempSync(join(tmpdir(), "nd-twins-"));
  const [fileA, fileB] = [join(twins, "a.kubeconfig"), join(twins, "b.kubeconfig")];
  const args = () => ["--kubeconfig", fileA, "--dst-kubeconfig", fileB, "--no-progress"];
  const [nameA, nameB] = ["admin (10.200.0.1:6443)", "admin (10.200.0.1:6444)"];

  beforeAll(() => {
    // Each file: one context "admin", cluster "kubernetes", user "admin", as kubeadm writes them.
    const all = load(readFileSync(kubeconfig, "utf8")) as any;
    for (const [file, context] of [[fileA, "netdoctor-a"], [fileB, "netdoctor-b"]] as const) {
      const ctx = all.contexts.find((c: any) => c.name === context).context;
      const cluster = all.clusters.find((c: any) => c.name === ctx.cluster).cluster;
      const user = all.users.find((u: any) => u.name === ctx.user).user;
      writeFileSync(file, dump({
        apiVersion: "v1", kind: "Config", "current-context": "admin",
        clusters: [{ name: "kubernetes", cluster }], users: [{ name: "admin", user }],
        contexts: [{ name: "admin", context: { cluster: "kubernetes", user: "admin" } }],
      }));
    }
  });
  afterEach(async () => {
    await runPlugin(["clean", ...args()]);
  });

  test("check, report, resume and clean each reach both clusters; a one-way fault is found exactly", async () => {
    const healthy = await runPlugin(["check", ...args(), "-o", "json"]);
    expect(healthy.code).toBe(0);
    const doc = json(healthy);
    expect(doc.summary).toMatchObject({ pairs: 16, succeeded: 16, errors: 0 });
    expect(doc.summary.directions.map((d: any) => `${d.from} -> ${d.to}: ${d.succeeded}/${d.pairs}`)).toEqual([`${nameA} -> ${nameB}: 8/8`, `${nameB} -> ${nameA}: 8/8`]);
    // The default results file names both clusters by context and server: predictable, distinct.
    const file = join(twins, "netdoctor", "admin@10.200.0.1_6443--admin@10.200.0.1_6444.json");
    expect(healthy.stderr).toContain(`results saved to ${file}`);

    await injectFault({ kind: "drop", from: "node-a1", to: "node-b2" });
    const broken = await runPlugin(["check", ...args(), "-o", "json"]);
    expect(broken.code).toBe(1);
    const found = json(broken);
    expect(pairs(found, "Failed")).toEqual([`${nameA}/node-a1->${nameB}/node-b2 icmp`, `${nameA}/node-a1->${nameB}/node-b2 tcp`]);
    expect(pairs(found, "Error")).toEqual([]);
    expect(found.findings.map((f: any) => `${f.kind} ${f.subject.from} -> ${f.subject.to}`)).toEqual([`link ${nameA}/node-a1 -> ${nameB}/node-b2`]);

    // report finds the same file without being told.
    const report = await runPlugin(["report", "--kubeconfig", fileA, "--dst-kubeconfig", fileB]);
    expect(report.code).toBe(1);
    expect(report.stdout).toContain(`${nameA}/node-a1`);

    await heal();
    const resumed = await runPlugin(["resume", ...args(), "-o", "json"]);
    expect(resumed.code).toBe(0);
    expect(json(resumed).resume).toMatchObject({ pairs: 2, stillFailing: [], newlyFailing: [] });
    expect(json(resumed).resume.fixed).toHaveLength(2);

    expect((await runPlugin(["check", ...args(), "--keep", "-p", "icmp", "--results", join(twins, "kept.json")])).code).toBe(0);
    const clean = await runPlugin(["clean", ...args()]);
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("namespace netdoctor");
    expect(await empty()).toEqual([]);
  });

  test("the same API server on both sides is refused, whatever the contexts are called", async () => {
    const r = await runPlugin(["check", "--kubeconfig", fileA, "--dst-kubeconfig", fileA]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("error: the destination is the source cluster (context 'admin', both https://10.200.0.1:6443): name another --dst-context or --dst-kubeconfig\n");
  });
});
