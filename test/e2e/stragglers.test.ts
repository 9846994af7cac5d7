// Stragglers never hold the run: a node whose floater shows no sign of life is given up on within
// seconds once the others are ready, not after the whole --pod-wait-timeout; one that is slow to
// start (its kubelet pulling the image) does not hold the start of probing: it is probed when it
// comes, and named as late.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { injectFault } from "../../scripts/cluster/faults.ts";
import { adminApi } from "../../scripts/cluster/harness.ts";
import { LEASE_STALE_MS } from "../../src/floater/wait.ts";
import { ensureCluster, heal } from "../helpers/cluster.ts";
import { json, runPlugin } from "../helpers/plugin.ts";
import { until } from "../helpers/until.ts";

let kubeconfig = "";
const dir = mkdtempSync(join(tmpdir(), "nd-straggler-"));

beforeAll(async () => {
  kubeconfig = await ensureCluster();
});
afterEach(async () => {
  await heal();
});

const check = (name: string, ...extra: string[]) => runPlugin(["check", "--kubeconfig", kubeconfig, "-o", "json", "--no-progress", "-p", "icmp", "--results", join(dir, name), ...extra]);
// Each run starts as the first of the day: the last run's namespace finishes terminating on its
// own, and a run in it waits for that (not a straggler's cost).
const namespaceGone = () =>
  until("namespace netdoctor to be gone", async () => (await adminApi("a").request("GET", "/api/v1/namespaces/netdoctor")).status === 404, 120_000, 250);
/** Its kubelet has missed a lease renewal, as netdoctor judges it (LEASE_STALE_MS; no lease: stale). */
const leaseStale = (node: string) =>
  until(`the lease of ${node} to go stale`, async () => {
    const lease = await adminApi("a").request("GET", `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${node}`);
    return lease.status === 404 || Date.now() - new Date(lease.json.spec?.renewTime ?? 0).getTime() > LEASE_STALE_MS;
  }, 60_000, 250);

describe("stragglers", () => {
  test("a node whose link is down costs seconds, not the 120 s wait: skipped with its reason", async () => {
    await namespaceGone();
    const healthy = await check("healthy.json");
    expect(healthy.code).toBe(0);
    await namespaceGone();
    await injectFault({ kind: "link-down", node: "node-a4" });
    // A node that is down, not one going down this second: its kubelet has missed a lease renewal.
    await leaseStale("node-a4");
    const r = await check("down.json");
    expect(r.code).toBe(1);
    expect(json(r).skipped).toEqual([{ cluster: "netdoctor-a", node: "node-a4", reason: expect.stringContaining("never acknowledged the pod") }]);
    expect(json(r).summary).toMatchObject({ pairs: 6, succeeded: 6, skippedNodes: 1 });
    expect(r.ms - healthy.ms).toBeLessThan(10_000);
  });

  test("a node slow to start its floater: probing begins without it, it is probed when it comes and named as late", async () => {
    await namespaceGone();
    await injectFault({ kind: "slow-start", node: "node-a4", seconds: 15 });
    // With progress (plain lines on a pipe), to see when probing began.
    const r = await check("slow.json", "--progress");
    expect(r.code).toBe(0);
    const doc = json(r);
    expect(doc.summary).toMatchObject({ nodesChecked: 4, pairs: 12, succeeded: 12, skippedNodes: 0, lateNodes: 1 });
    expect(doc.late).toEqual([{ cluster: "netdoctor-a", node: "node-a4", reason: "ContainerCreating", readyAfterMs: expect.any(Number) }]);
    expect(doc.late[0].readyAfterMs).toBeGreaterThanOrEqual(14_000);
    // Probing began with the three others, before node-a4 came.
    const began = r.stderr.indexOf("probing 6 pairs from 3 floaters");
    expect(began).toBeGreaterThanOrEqual(0);
    expect(r.stderr.indexOf("1 floater came late: node-a4")).toBeGreaterThan(began);
    // Its pairs both ways, in the same matrices as the others'.
    const pairs = (await runPlugin(["report", join(dir, "slow.json"), "-o", "json"])).stdout;
    const records = JSON.parse(pairs).results as { source: { node: string }; target: { node: string } }[];
    expect(records.filter((p) => p.source.node === "node-a4").length).toBe(3);
    expect(records.filter((p) => p.target.node === "node-a4").length).toBe(3);
  });

  test("a node whose floater is still starting at --pod-wait-timeout: the others are probed, it is skipped with what held it", async () => {
    await namespaceGone();
    await injectFault({ kind: "slow-start", node: "node-a2", seconds: 300 });
    const r = await check("never.json", "--pod-wait-timeout", "15");
    expect(r.code).toBe(1);
    const doc = json(r);
    expect(doc.skipped).toEqual([{ cluster: "netdoctor-a", node: "node-a2", reason: "ContainerCreating" }]);
    expect(doc.summary).toMatchObject({ pairs: 6, succeeded: 6, skippedNodes: 1, lateNodes: 0 });
    expect(r.ms).toBeLessThan(30_000);
  });
});
