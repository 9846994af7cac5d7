// Creating a run's floaters, and removing them (by label, never by fixed names, so one run's
// cleanup cannot touch another's).
import type { V1Namespace, V1Pod } from "@kubernetes/client-node";
import { ClusterError } from "../errors.ts";
import { poll, timeoutMessage } from "../runtime/poll.ts";
import type { KubeApi } from "../kube/client.ts";
import { CREATED_NS, floaterObjects, managedSelector, RUN_ID, runSelector, type FloaterSpec } from "./manifests.ts";
import { LEASE_STALE_MS } from "./wait.ts";

export interface Deployment {
  api: KubeApi;
  namespace: string;
  runId: string;
  /** netdoctor created the namespace, so removing the run removes it too. */
  createdNamespace: boolean;
  /** The run has Services to remove (only then may it need to list them). */
  services: boolean;
}

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
  const deployment: Deployment = { api, namespace: spec.namespace, runId: spec.runId, createdNamespace: !namespaceExists, services: objects.services.length > 0 };
  onCreated(deployment);
  if (!namespaceExists) await api.createNamespace(objects.namespace);
  await api.createServiceAccount(spec.namespace, objects.serviceAccount);
  for (const ds of objects.daemonSets) await api.createDaemonSet(spec.namespace, ds);
  for (const svc of objects.services) await api.createService(spec.namespace, svc);
  return deployment;
}

/** Delete what a run created (its daemonsets and service account, and the namespace if it made
 * it). The pods go with their DaemonSet (the garbage collector) or the namespace: not deleted here
 * as a collection, which the API server does one pod after another (18 s for 500 pods at 500
 * simulated nodes). Pods that nothing would ever finish are removed at once (grace period 0):
 * those no kubelet acknowledged, and those on a node whose kubelet has stopped renewing its
 * lease. The rest are their kubelets' to end (a 1 s grace period): a check does not wait for
 * them, the next run in the namespace does (namespaceUsable), and `clean` waits for everything.
 * Without leave to read the leases, it waits until the pods are gone, forcing those still
 * terminating after 10 s. */
export async function removeDeployment(d: Deployment, timeoutMs = 90_000): Promise<void> {
  const selector = runSelector(d.runId);
  const ns = d.createdNamespace ? await d.api.readNamespace(d.namespace) : undefined;
  const ownsNamespace = ns?.metadata?.labels?.[CREATED_NS] === "true" && ns.metadata.labels[RUN_ID] === d.runId;
  for (const ds of await d.api.listDaemonSets(d.namespace, selector)) await d.api.deleteDaemonSet(d.namespace, ds.metadata!.name!);
  if (d.services) for (const svc of await d.api.listServices(d.namespace, selector)) await d.api.deleteService(d.namespace, svc.metadata!.name!);
  if (ownsNamespace) await d.api.deleteNamespace(d.namespace);
  else for (const sa of await d.api.listServiceAccounts(d.namespace, selector)) await d.api.deleteServiceAccount(d.namespace, sa.metadata!.name!);
  const leases = await d.api.nodeLeases();
  if (leases) return void (await forceUnending(d.api, d.namespace, selector, leases));
  const gone = await poll({ look: () => forceStuckPods(d.api, d.namespace, selector), done: (left) => left === 0, timeoutMs });
  if (!gone.met) throw new ClusterError(`${timeoutMessage(`the floater pods of run ${d.runId} to be deleted`, timeoutMs, `${gone.state} pods left`)} in context '${d.api.target.contextName}'`);
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
 * are those no kubelet ever acknowledged: nothing runs on any node to wait for. Returns how many
 * floater pods are left. */
export async function forceStuckPods(api: KubeApi, namespace: string | undefined, selector: string, afterMs = 10_000): Promise<number> {
  const pods = await api.listPods(namespace, selector);
  await forceDelete(api, pods.filter((p) => p.metadata?.deletionTimestamp && (neverStarted(p) || Date.now() - new Date(p.metadata.deletionTimestamp).getTime() > afterMs)));
  return pods.length;
}

/** A namespace being deleted cannot take new objects: wait for it to go. Returns it if it exists. */
export async function namespaceUsable(api: KubeApi, namespace: string, timeoutMs = 90_000): Promise<V1Namespace | undefined> {
  const ns = await api.readNamespace(namespace);
  if (!ns?.metadata?.deletionTimestamp) return ns;
  const gone = await poll({ look: () => api.readNamespace(namespace), done: (ns) => ns === undefined, timeoutMs });
  if (!gone.met) throw new ClusterError(`${timeoutMessage(`namespace ${namespace} to finish terminating`, timeoutMs, `phase ${gone.state?.status?.phase ?? "unknown"}`)} in context '${api.target.contextName}'`);
  return undefined;
}
