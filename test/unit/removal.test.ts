// Removing a run's floaters: pods that nothing would ever finish are forced out at once; the
// others are left to their kubelets (src/floater/deploy.ts).
import { describe, expect, test } from "bun:test";
import type { V1Pod } from "@kubernetes/client-node";
import { forceStuckPods, forceUnending } from "../../src/floater/deploy.ts";
import { LEASE_STALE_MS } from "../../src/floater/wait.ts";
import type { KubeApi } from "../../src/kube/client.ts";

const pod = (name: string, node: string, o: { started?: boolean; deletedAgoMs?: number } = {}): V1Pod => ({
  metadata: { name, namespace: "ns", ...(o.deletedAgoMs !== undefined ? { deletionTimestamp: new Date(Date.now() - o.deletedAgoMs) } : {}) },
  spec: { nodeName: node, containers: [] },
  status: o.started === false ? {} : { containerStatuses: [{ name: "floater", image: "", imageID: "", ready: true, restartCount: 0 }] },
});

function fakeApi(pods: V1Pod[]): { api: KubeApi; forced: string[] } {
  const forced: string[] = [];
  const api = { listPods: async () => pods, forceDeletePod: async (_ns: string, name: string) => void forced.push(name) } as unknown as KubeApi;
  return { api, forced };
}

describe("stuck floater pods", () => {
  const pods = [
    pod("alive", "n1", { deletedAgoMs: 0 }),
    pod("never-started", "n2", { started: false, deletedAgoMs: 0 }),
    pod("kubelet-gone", "n3", { deletedAgoMs: 0 }),
    pod("long-terminating", "n1", { deletedAgoMs: 11_000 }),
    pod("not-deleted", "n3"),
  ];
  test("without leases: never started ones at once, the others after 10 s of terminating", async () => {
    const { api, forced } = fakeApi(pods);
    expect(await forceStuckPods(api, "ns", "x")).toBe(5);
    expect(forced.sort()).toEqual(["long-terminating", "never-started"]);
  });
  test("with leases, once the DaemonSet is gone: those never started and those on a node whose kubelet stopped renewing its lease, deleted yet or not", async () => {
    const { api, forced } = fakeApi(pods);
    const leases = new Map([["n1", Date.now()], ["n2", Date.now()], ["n3", Date.now() - LEASE_STALE_MS - 1_000]]);
    await forceUnending(api, "ns", "x", leases);
    expect(forced.sort()).toEqual(["kubelet-gone", "never-started", "not-deleted"]);
  });
});
