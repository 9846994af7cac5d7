// Finding and removing everything netdoctor created in a cluster, by label (never by name): any
// run, kept or left behind by a crash. The namespace goes only if netdoctor created it.
import { ClusterError } from "../errors.ts";
import type { KubeApi } from "../kube/client.ts";
import { poll, within } from "../runtime/poll.ts";
import { forceStuckPods } from "./deploy.ts";
import { leftBehind, objectName } from "./leftovers.ts";
import { CREATED_NS, managedSelector, RUN_ID } from "./manifests.ts";

export interface Found {
  namespaces: string[];
  daemonSets: { namespace: string; name: string; runId: string }[];
  serviceAccounts: { namespace: string; name: string }[];
  services: { namespace: string; name: string }[];
}

/** namespace undefined: every namespace. */
export async function findOurs(api: KubeApi, namespace: string | undefined): Promise<Found> {
  const [namespaces, daemonSets, serviceAccounts, services] = await Promise.all([
    api.listNamespaces(`${managedSelector},${CREATED_NS}=true`),
    api.listDaemonSets(namespace, managedSelector),
    api.listServiceAccounts(namespace, managedSelector),
    api.listServices(namespace, managedSelector),
  ]);
  return {
    namespaces: namespaces.map((n) => n.metadata!.name!).filter((n) => namespace === undefined || n === namespace),
    daemonSets: daemonSets.map((d) => ({ namespace: d.metadata!.namespace!, name: d.metadata!.name!, runId: d.metadata?.labels?.[RUN_ID] ?? "" })),
    serviceAccounts: serviceAccounts.map((s) => ({ namespace: s.metadata!.namespace!, name: s.metadata!.name! })),
    services: services.map((s) => ({ namespace: s.metadata!.namespace!, name: s.metadata!.name! })),
  };
}

export function isNothing(f: Found): boolean {
  return f.namespaces.length + f.daemonSets.length + f.serviceAccounts.length + f.services.length === 0;
}

/** What was found, one object a line ("daemonset netdoctor/floater-x1-pod"). */
export function objectNames(f: Found): string[] {
  return [
    ...f.namespaces.map((n) => objectName("namespace", undefined, n)),
    ...f.daemonSets.map((d) => objectName("daemonset", d.namespace, d.name)),
    ...f.serviceAccounts.map((s) => objectName("serviceaccount", s.namespace, s.name)),
    ...f.services.map((s) => objectName("service", s.namespace, s.name)),
  ];
}

export function describeFound(f: Found, context: string): string[] {
  return objectNames(f).map((line) => `${context}: ${line}`);
}

async function removeOurs(api: KubeApi, f: Found): Promise<void> {
  const inOurNamespace = (ns: string) => f.namespaces.includes(ns);
  await Promise.all([
    ...f.namespaces.map((n) => api.deleteNamespace(n)),
    ...f.daemonSets.filter((d) => !inOurNamespace(d.namespace)).map((d) => api.deleteDaemonSet(d.namespace, d.name)),
    ...f.serviceAccounts.filter((s) => !inOurNamespace(s.namespace)).map((s) => api.deleteServiceAccount(s.namespace, s.name)),
    ...f.services.filter((s) => !inOurNamespace(s.namespace)).map((s) => api.deleteService(s.namespace, s.name)),
  ]);
}

/** Remaining objects: ours, plus floater pods still terminating (forced out when stuck). */
async function remaining(api: KubeApi, namespace: string | undefined): Promise<string[]> {
  const [found, pods] = await Promise.all([findOurs(api, namespace), forceStuckPods(api, namespace, managedSelector)]);
  return [...objectNames(found), ...pods];
}

/** How long `clean` may take in all, its deletes and its wait for them to be gone: a namespace
 * terminates in seconds, and a pod stuck terminating is forced out after 10 s. */
export const CLEAN_DEADLINE_MS = 120_000;

/** Remove what was found in each cluster and wait until it is gone, within `deadlineMs` even if
 * the API server stops answering; past it, a ClusterError naming what is left in each cluster.
 * `onLeft`: how many objects are left, at each look. */
export async function cleanUp(clusters: { api: KubeApi; found: Found }[], namespace: string | undefined, o: { deadlineMs?: number; onLeft?: (n: number) => void } = {}): Promise<void> {
  const deadlineMs = o.deadlineMs ?? CLEAN_DEADLINE_MS;
  const deadline = Date.now() + deadlineMs;
  const removed = await within(Promise.all(clusters.map((c) => removeOurs(c.api, c.found))), deadlineMs);
  const gone = removed && (await poll({
    look: () => Promise.all(clusters.map((c) => remaining(c.api, namespace))),
    done: (left) => left.every((l) => l.length === 0),
    onLook: (left) => o.onLeft?.(left.flat().length),
    timeoutMs: Math.max(0, deadline - Date.now()),
  }));
  if (gone && gone.met) return;
  // Not seen at all (the deletes or the first look hung): all of it is left, as far as is known.
  const left = gone?.state ?? clusters.map((c) => objectNames(c.found));
  throw new ClusterError(clusters.flatMap((c, k) => (left[k]!.length ? [leftBehind("the objects to be deleted", c.api.target, namespace, left[k]!, deadlineMs).message] : [])).join("\n"));
}
