// Stragglers never hold the run: a node whose floater shows no sign of life is given up on within
// seconds once the others are ready, not after the whole --pod-wait-timeout.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { injectFault } from "../../scripts/cluster/faults.ts";
import { adminApi } from "../../scripts/cluster/harness.ts";
import { ensureCluster, heal } from "../helpers/cluster.ts";
import { json, runPlugin } from "../helpers/plugin.ts";

let kubeconfig = "";
const dir = mkdtempSync(join(tmpdir(), "nd-straggler-"));

beforeAll(async () => {
  kubeconfig = await ensureCluster();
});
afterEach(async () => {
  await heal();
});

describe("stragglers", () => {
  test("a node whose link is down costs seconds, not the 120 s wait: skipped with its reason", async () => {
    const check = (name: string) => runPlugin(["check", "--kubeconfig", kubeconfig, "-o", "json", "--no-progress", "-p", "icmp", "--results", join(dir, name)]);
    // Each run starts as the first of the day: the last run's namespace finishes terminating on
    // its own, and a run in it waits for that (not a straggler's cost).
    const namespaceGone = async () => {
      while ((await adminApi("a").request("GET", "/api/v1/namespaces/netdoctor")).status !== 404) await Bun.sleep(250);
    };
    await namespaceGone();
    const healthy = await check("healthy.json");
    expect(healthy.code).toBe(0);
    await namespaceGone();
    await injectFault({ kind: "link-down", node: "node-a4" });
    // A node that is down, not one going down this second: its kubelet has missed a lease renewal.
    await Bun.sleep(16_000);
    const r = await check("down.json");
    expect(r.code).toBe(1);
    expect(json(r).skipped).toEqual([{ cluster: "netdoctor-a", node: "node-a4", reason: expect.stringContaining("never acknowledged the pod") }]);
    expect(json(r).summary).toMatchObject({ pairs: 6, succeeded: 6, skippedNodes: 1 });
    expect(r.ms - healthy.ms).toBeLessThan(10_000);
  });
});
