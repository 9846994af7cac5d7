// Finding and removing everything netdoctor created in a cluster, by label (never by name): any
// run, kept or left behind by a crash. The namespace goes only if netdoctor created it.
import type { KubeApi } from "../kube/client.ts";
import { forceStuckPods } from "./deploy.ts";
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

export function describeFound(f: Found, context: string): string[] {
  return [
    ...f.namespaces.map((n) => `namespace ${n}`),
    ...f.daemonSets.map((d) => `daemonset ${d.namespace}/${d.name}`),
    ...f.serviceAccounts.map((s) => `serviceaccount ${s.namespace}/${s.name}`),
    ...f.services.map((s) => `service ${s.namespace}/${s.name}`),
  ].map((line) => `${context}: ${line}`);
}

export async function removeOurs(api: KubeApi, f: Found): Promise<void> {
  const inOurNamespace = (ns: string) => f.namespaces.includes(ns);
  await Promise.all([
    ...f.namespaces.map((n) => api.deleteNamespace(n)),
    ...f.daemonSets.filter((d) => !inOurNamespace(d.namespace)).map((d) => api.deleteDaemonSet(d.namespace, d.name)),
    ...f.serviceAccounts.filter((s) => !inOurNamespace(s.namespace)).map((s) => api.deleteServiceAccount(s.namespace, s.name)),
    ...f.services.filter((s) => !inOurNamespace(s.namespace)).map((s) => api.deleteService(s.namespace, s.name)),
  ]);
}

/** Remaining objects: ours, plus floater pods still terminating (forced out when stuck). */
export async function remaining(api: KubeApi, namespace: string | undefined): Promise<number> {
  const [found, pods] = await Promise.all([findOurs(api, namespace), forceStuckPods(api, namespace, managedSelector)]);
  return found.namespaces.length + found.daemonSets.length + found.serviceAccounts.length + found.services.length + pods;
}
