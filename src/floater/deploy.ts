// Creating a run's floaters, and removing them (by label, never by fixed names, so one run's
// cleanup cannot touch another's).
import type { V1Namespace, V1Pod } from "@kubernetes/client-node";
import { poll, within } from "../runtime/poll.ts";
import type { KubeApi } from "../kube/client.ts";
import { CREATED_NS, floaterObjects, managedSelector, RUN_ID, runSelector, type FloaterSpec } from "./manifests.ts";
import { LEASE_STALE_MS } from "./wait.ts";
import { leftBehind, Leftovers, objectName, REMOVAL_DEADLINE_MS } from "./leftovers.ts";

export interface Deployment {
  api: KubeApi;
  namespace: string;
  runId: string;
  /** netdoctor created the namespace, so removing the run removes it too. */
  createdNamespace: boolean;
  /** The run has Services to remove (only then may it need to list them). */
  services: boolean;
  /** What it creates, by kind (objectName): named as left if a removal runs out of time before
   * it has listed them. */
  objects: Record<Kind, string[]>;
}

type Kind = "daemonset" | "service" | "serviceaccount" | "namespace";
type Named = { metadata?: { name?: string } };
const nameOf = (kind: Kind, namespace: string | undefined, o: Named) => objectName(kind, namespace, o.metadata!.name!);

export function newRunId(): string {
  return Math.random().toString(36).slice(2, 8).padEnd(6, "0");
}

/** Another run's floaters in the namespace: two runs must not share one. */
export async function otherRunsIn(api: KubeApi, namespace: string): Promise<string[]> {
  const sets = await api.listDaemonSets(namespace, managedSelector);
  return [...new Set(sets.map((d) => d.metadata?.labels?.[RUN_ID]).filter((r): r is string => !!r))];
}

/** Create namespace (if missing), service account, daemonsets and services. `onCreated` fires before the
 * first create, so a cleanup is registered even if a later create fails. */
export async function deployFloaters(api: KubeApi, spec: FloaterSpec, namespaceExists: boolean, onCreated: (d: Deployment) => void): Promise<Deployment> {
  const objects = floaterObjects(spec);
  const names = (kind: Kind, list: Named[]) => list.map((o) => nameOf(kind, spec.namespace, o));
  const deployment: Deployment = {
    api, namespace: spec.namespace, runId: spec.runId, createdNamespace: !namespaceExists, services: objects.services.length > 0,
    objects: {
      daemonset: names("daemonset", objects.daemonSets),
      service: names("service", objects.services),
      serviceaccount: names("serviceaccount", [objects.serviceAccount]),
      namespace: namespaceExists ? [] : [nameOf("namespace", undefined, objects.namespace)],
    },
  };
  onCreated(deployment);
  if (!namespaceExists) await api.createNamespace(objects.namespace);
  await api.createServiceAccount(spec.namespace, objects.serviceAccount);
  for (const ds of objects.daemonSets) await api.createDaemonSet(spec.namespace, ds);
  for (const svc of objects.services) await api.createService(spec.namespace, svc);
  return deployment;
}

/** Delete what a run created (its daemonsets and service account, and the namespace if it made
 * it), within `deadlineMs` (every request and wait included): past it, a ClusterError names what
 * is left and the `clean` command that finishes. The pods go with their DaemonSet (the garbage
 * collector) or the namespace: not deleted here as a collection, which the API server does one
 * pod after another (18 s for 500 pods at 500 simulated nodes). Pods that nothing would ever
 * finish are removed at once (grace period 0): those no kubelet acknowledged, and those on a node
 * whose kubelet has stopped renewing its lease. The rest are their kubelets' to end (a 1 s grace
 * period): a check does not wait for them, the next run in the namespace does (namespaceUsable),
 * and `clean` waits for everything. Without leave to read the leases, it waits until the pods are
 * gone, forcing those still terminating after 10 s. */
export async function removeDeployment(d: Deployment, deadlineMs = REMOVAL_DEADLINE_MS): Promise<void> {
  const left = new Leftovers();
  for (const [kind, names] of Object.entries(d.objects)) left.are(kind, names);
  const finished = await within(removeRun(d, left, Date.now() + deadlineMs), deadlineMs);
  if (!finished || left.names().length) throw leftBehind(`the removal of run ${d.runId}`, d.api.target, d.namespace, left.names(), deadlineMs);
}

/** removeDeployment's steps, each striking from `left` what it has seen go; the pods' wait ends at `deadline`. */
async function removeRun(d: Deployment, left: Leftovers, deadline: number): Promise<void> {
  const { api, namespace } = d;
  const selector = runSelector(d.runId);
  const remove = async (kind: Exclude<Kind, "namespace">, listed: Named[], del: (name: string) => Promise<void>) => {
    left.are(kind, listed.map((o) => nameOf(kind, namespace, o)));
    for (const o of listed) {
      await del(o.metadata!.name!);
      left.gone(kind, nameOf(kind, namespace, o));
    }
  };
  const ns = d.createdNamespace ? await api.readNamespace(namespace) : undefined;
  const ownsNamespace = ns?.metadata?.labels?.[CREATED_NS] === "true" && ns.metadata.labels[RUN_ID] === d.runId;
  // Not ours after all (another run made it, or it is gone): it stays, and is not left by us.
  if (!ownsNamespace) left.are("namespace", []);
  await remove("daemonset", await api.listDaemonSets(namespace, selector), (n) => api.deleteDaemonSet(namespace, n));
  if (d.services) await remove("service", await api.listServices(namespace, selector), (n) => api.deleteService(namespace, n));
  if (ownsNamespace) {
    await api.deleteNamespace(namespace);
    // It takes the service account with it.
    left.are("namespace", []);
    left.are("serviceaccount", []);
  } else await remove("serviceaccount", await api.listServiceAccounts(namespace, selector), (n) => api.deleteServiceAccount(namespace, n));
  left.are("pod", [`the floater pods of run ${d.runId} in namespace ${namespace} that nothing would end`]);
  const leases = await api.nodeLeases();
  if (leases) await forceUnending(api, namespace, selector, leases);
  else {
    const gone = await poll({
      look: () => forceStuckPods(api, namespace, selector),
      done: (pods) => pods.length === 0,
      onLook: (pods) => left.are("pod", pods),
      timeoutMs: Math.max(0, deadline - Date.now()),
    });
    if (!gone.met) return;
  }
  left.are("pod", []);
}

const neverStarted = (p: V1Pod) => !p.status?.containerStatuses?.length;
const forceDelete = (api: KubeApi, pods: V1Pod[]) => Promise.all(pods.map((p) => api.forceDeletePod(p.metadata!.namespace!, p.metadata!.name!)));

/** A run's pods whose DaemonSet is gone and that nothing would end, removed with grace period 0:
 * those no kubelet acknowledged, and those on a node whose kubelet stopped renewing its lease. */
export async function forceUnending(api: KubeApi, namespace: string, selector: string, leases: Map<string, number>): Promise<void> {
  const now = Date.now();
  const kubeletGone = (p: V1Pod) => now - (leases.get(p.spec?.nodeName ?? "") ?? 0) > LEASE_STALE_MS;
  await forceDelete(api, (await api.listPods(namespace, selector)).filter((p) => neverStarted(p) || kubeletGone(p)));
}

/** Floater pods still terminating after `afterMs` sit on a node whose kubelet is gone: they would
 * stay forever (and hold the namespace), so they are removed with grace period 0. So, at once,
 * are those no kubelet ever acknowledged: nothing runs on any node to wait for. Returns the
 * floater pods that are left ("pod ns/name"). */
export async function forceStuckPods(api: KubeApi, namespace: string | undefined, selector: string, afterMs = 10_000): Promise<string[]> {
  const pods = await api.listPods(namespace, selector);
  await forceDelete(api, pods.filter((p) => p.metadata?.deletionTimestamp && (neverStarted(p) || Date.now() - new Date(p.metadata.deletionTimestamp).getTime() > afterMs)));
  return pods.map((p) => objectName("pod", p.metadata!.namespace, p.metadata!.name!));
}

/** A namespace being deleted cannot take new objects: wait for it to go. Returns it if it exists. */
export async function namespaceUsable(api: KubeApi, namespace: string, timeoutMs = 90_000): Promise<V1Namespace | undefined> {
  const ns = await api.readNamespace(namespace);
  if (!ns?.metadata?.deletionTimestamp) return ns;
  const gone = await poll({ look: () => api.readNamespace(namespace), done: (ns) => ns === undefined, timeoutMs });
  if (!gone.met) throw leftBehind(`namespace ${namespace} to finish terminating`, api.target, namespace, [`namespace ${namespace} (${gone.state ? `phase ${gone.state.status?.phase ?? "unknown"}` : "no answer"})`], timeoutMs);
  return undefined;
}
