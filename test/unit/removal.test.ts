// Removing a run's floaters: pods that nothing would ever finish are forced out at once; the
// others are left to their kubelets (src/floater/deploy.ts). Removal and clean end at their
// deadline even when the API server stops answering, naming what is left.
import { describe, expect, test } from "bun:test";
import type { V1Pod } from "@kubernetes/client-node";
import { ClusterError, ExitCode } from "../../src/errors.ts";
import { cleanUp } from "../../src/floater/clean.ts";
import { deployFloaters, forceStuckPods, forceUnending, namespaceUsable, removeDeployment } from "../../src/floater/deploy.ts";
import { REMOVAL_DEADLINE_MS } from "../../src/floater/leftovers.ts";
import type { FloaterSpec } from "../../src/floater/manifests.ts";
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
    expect(await forceStuckPods(api, "ns", "x")).toEqual(pods.map((p) => `pod ns/${p.metadata!.name}`));
    expect(forced.sort()).toEqual(["long-terminating", "never-started"]);
  });
  test("with leases, once the DaemonSet is gone: those never started and those on a node whose kubelet stopped renewing its lease, deleted yet or not", async () => {
    const { api, forced } = fakeApi(pods);
    const leases = new Map([["n1", Date.now()], ["n2", Date.now()], ["n3", Date.now() - LEASE_STALE_MS - 1_000]]);
    await forceUnending(api, "ns", "x", leases);
    expect(forced.sort()).toEqual(["kubelet-gone", "never-started", "not-deleted"]);
  });
});

/** A cluster in memory whose calls named in `hang` never answer (a stalled API server). */
function fakeCluster(o: { hang?: string[]; leases?: boolean; stuckPods?: string[] } = {}) {
  const store = new Map<string, { metadata?: { name?: string; namespace?: string; labels?: Record<string, string> } }>();
  const put = (kind: string) => async (nsOrObj: unknown, obj?: unknown) => {
    const o2 = (obj ?? nsOrObj) as { metadata: { name: string; namespace?: string } };
    store.set(`${kind} ${o2.metadata.name}`, o2);
  };
  const list = (kind: string) => async () => [...store.entries()].filter(([k]) => k.startsWith(`${kind} `)).map(([, v]) => v);
  const del = (kind: string) => async (nsOrName: string, name?: string) => void store.delete(`${kind} ${name ?? nsOrName}`);
  const pods = (o.stuckPods ?? []).map((name) => ({ metadata: { name, namespace: "ns" }, spec: { nodeName: "n1", containers: [] }, status: {} }));
  const calls: Record<string, (...a: never[]) => Promise<unknown>> = {
    createNamespace: put("namespace"), readNamespace: async (name: string) => store.get(`namespace ${name}`),
    // Everything is in the one namespace: it goes with it.
    deleteNamespace: async () => store.clear(), createServiceAccount: put("serviceaccount"), listServiceAccounts: list("serviceaccount"),
    deleteServiceAccount: del("serviceaccount"), createDaemonSet: put("daemonset"), listDaemonSets: list("daemonset"),
    deleteDaemonSet: del("daemonset"), createService: put("service"), listServices: list("service"), deleteService: del("service"),
    listNamespaces: list("namespace"), listPods: async () => pods, forceDeletePod: async () => {},
    nodeLeases: async () => (o.leases === false ? undefined : new Map()),
  };
  for (const name of o.hang ?? []) calls[name] = () => new Promise(() => {});
  const api = { target: { contextName: "prod", server: "https://prod:6443", files: ["/home/u/.kube/config"] }, ...calls } as unknown as KubeApi;
  return { api, store };
}

const spec: FloaterSpec = { namespace: "ns", runId: "r1", image: "busybox", port: 8889, networks: ["pod", "host"], services: { network: "pod", kinds: ["cluster"] } };
const deployed = async (api: KubeApi, namespaceExists = false) => deployFloaters(api, spec, namespaceExists, () => {});
const timed = async (p: Promise<unknown>): Promise<[unknown, number]> => {
  const t0 = performance.now();
  const r = await p.catch((e) => e);
  return [r, performance.now() - t0];
};

describe("removal within its deadline", () => {
  test("the default budget the run engine passes", () => {
    expect(REMOVAL_DEADLINE_MS).toBe(30_000);
  });
  test("an API server that answers: everything the run created is removed", async () => {
    const { api, store } = fakeCluster();
    await removeDeployment(await deployed(api), 1_000);
    expect([...store.keys()]).toEqual([]);
  });
  test("the first list hangs: the error comes at the deadline and names everything the run created, with the command that finishes", async () => {
    const { api } = fakeCluster({ hang: ["listDaemonSets"] });
    const [err, ms] = await timed(removeDeployment(await deployed(api), 200));
    expect(ms).toBeLessThan(400);
    expect(err).toBeInstanceOf(ClusterError);
    expect((err as ClusterError).exitCode).toBe(ExitCode.Cluster);
    expect((err as ClusterError).message).toBe(
      "timed out after 0.2s waiting for the removal of run r1 in context 'prod' (https://prod:6443); " +
        "left: daemonset ns/netdoctor-r1-pod, daemonset ns/netdoctor-r1-host, service ns/netdoctor-r1, serviceaccount ns/netdoctor-r1, namespace ns; " +
        "finish with: kubectl netdoctor clean -n ns --context prod",
    );
  });
  test("deleting the namespace hangs: it is left, with the service account it would have taken (the rest was seen to go)", async () => {
    const { api } = fakeCluster({ hang: ["deleteNamespace"] });
    const [err, ms] = await timed(removeDeployment(await deployed(api), 200));
    expect(ms).toBeLessThan(400);
    expect((err as Error).message).toContain("; left: serviceaccount ns/netdoctor-r1, namespace ns; finish with: kubectl netdoctor clean -n ns --context prod");
  });
  test("in a namespace the run did not create, reading the leases hangs: the pods nothing would end are named", async () => {
    const { api } = fakeCluster({ hang: ["nodeLeases"] });
    const [err] = await timed(removeDeployment(await deployed(api, true), 200));
    expect((err as Error).message).toContain("; left: the floater pods of run r1 in namespace ns that nothing would end; finish with");
  });
  test("without leases, pods that never go: named one by one at the deadline", async () => {
    const { api } = fakeCluster({ leases: false, stuckPods: ["f-a", "f-b"] });
    const [err, ms] = await timed(removeDeployment(await deployed(api), 200));
    expect(ms).toBeLessThan(400);
    expect((err as Error).message).toContain("; left: pod ns/f-a, pod ns/f-b; finish with");
  });
  test("a namespace that never finishes terminating, read by an API server that stops answering", async () => {
    let reads = 0;
    const terminating = { metadata: { name: "ns", deletionTimestamp: new Date() }, status: { phase: "Terminating" } };
    const api = { target: { contextName: "prod", server: "https://prod:6443", files: [] }, readNamespace: () => (++reads <= 2 ? Promise.resolve(terminating) : new Promise(() => {})) } as unknown as KubeApi;
    const [err, ms] = await timed(namespaceUsable(api, "ns", 200));
    expect(ms).toBeLessThan(400);
    expect((err as ClusterError).message).toBe(
      "timed out after 0.2s waiting for namespace ns to finish terminating in context 'prod' (https://prod:6443); left: namespace ns (phase Terminating); finish with: kubectl netdoctor clean -n ns --context prod",
    );
  });
});

describe("clean within its deadline", () => {
  const ours = { namespaces: ["ns"], daemonSets: [{ namespace: "ns", name: "netdoctor-r1-pod", runId: "r1" }], serviceAccounts: [], services: [] };
  test("deletes that hang: every cluster's leftovers named with its own command", async () => {
    const a = fakeCluster({ hang: ["deleteNamespace"] }).api;
    const b = { ...fakeCluster({ hang: ["deleteNamespace"] }).api, target: { contextName: "dst", server: "https://dst:6443", files: ["/tmp/dst.yaml"] } } as KubeApi;
    const [err, ms] = await timed(cleanUp([{ api: a, found: ours }, { api: b, found: ours }], "ns", { deadlineMs: 200 }));
    expect(ms).toBeLessThan(400);
    expect((err as ClusterError).message.split("\n")).toEqual([
      "timed out after 0.2s waiting for the objects to be deleted in context 'prod' (https://prod:6443); left: namespace ns, daemonset ns/netdoctor-r1-pod; finish with: kubectl netdoctor clean -n ns --context prod",
      "timed out after 0.2s waiting for the objects to be deleted in context 'dst' (https://dst:6443); left: namespace ns, daemonset ns/netdoctor-r1-pod; finish with: kubectl netdoctor clean -n ns --context dst --kubeconfig /tmp/dst.yaml",
    ]);
  });
  test("pods stuck after the deletes, in every namespace (-A): the last look's leftovers are named", async () => {
    const { api } = fakeCluster({ stuckPods: ["f-a"] });
    const [err] = await timed(cleanUp([{ api, found: { ...ours, namespaces: [] } }], undefined, { deadlineMs: 200 }));
    expect((err as Error).message).toContain("; left: pod ns/f-a; finish with: kubectl netdoctor clean -A --context prod");
  });
  test("an API server that answers: done, nothing left", async () => {
    const { api } = fakeCluster();
    const seen: number[] = [];
    await cleanUp([{ api, found: ours }], "ns", { deadlineMs: 1_000, onLeft: (n) => seen.push(n) });
    expect(seen.at(-1)).toBe(0);
  });
});
