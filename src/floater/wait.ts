// Waiting for a run's floaters: every pod of the run is looked at on each pass (one LIST, not one
// pod after another), bounded by a deadline. A node whose floater is not ready in time is a finding
// with its reason; the check goes on with the others.
import type { V1Pod } from "@kubernetes/client-node";
import type { KubeApi } from "../kube/client.ts";
import type { Floater, SkippedNode } from "../probe/types.ts";
import { NETWORK, runSelector, type FloaterNetwork } from "./manifests.ts";
import { poll } from "../runtime/poll.ts";

export interface WaitOptions {
  namespace: string;
  runId: string;
  nodes: string[];
  networks: FloaterNetwork[];
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  onProgress?: (ready: number, total: number) => void;
}

export interface WaitResult {
  ready: Floater[];
  notReady: SkippedNode[];
}

export function isReady(pod: V1Pod): boolean {
  return !!pod.status?.podIP && !!pod.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") && !pod.metadata?.deletionTimestamp;
}

/** Why a floater pod is not ready, in the words kubectl would show. */
export function notReadyReason(pod: V1Pod | undefined): string {
  if (!pod) return "no floater pod was created for this node (DaemonSet could not place or create it)";
  const waiting = pod.status?.containerStatuses?.find((c) => c.state?.waiting)?.state?.waiting;
  if (waiting?.reason) return `${waiting.reason}${waiting.message ? `: ${waiting.message.split("\n")[0]}` : ""}`;
  const terminated = pod.status?.containerStatuses?.find((c) => c.state?.terminated)?.state?.terminated;
  if (terminated) return `container exited (${terminated.reason ?? `exit ${terminated.exitCode}`})`;
  const unscheduled = pod.status?.conditions?.find((c) => c.type === "PodScheduled" && c.status === "False");
  if (unscheduled) return `${unscheduled.reason ?? "Unschedulable"}: ${unscheduled.message ?? ""}`.trim();
  if (pod.status?.phase === "Running") return "not Ready: the floater does not answer its readiness probe";
  if (pod.spec?.nodeName && !pod.status?.containerStatuses) return "Pending: the node's kubelet never acknowledged the pod (node down or unreachable?)";
  return `pod ${pod.status?.phase ?? "Pending"}`;
}

export function floaterOf(pod: V1Pod, cluster: string): Floater {
  const ips = pod.status?.podIPs?.map((p) => p.ip).filter((ip): ip is string => !!ip) ?? [];
  return {
    cluster,
    node: pod.spec?.nodeName ?? "",
    pod: pod.metadata!.name!,
    namespace: pod.metadata!.namespace!,
    network: (pod.metadata?.labels?.[NETWORK] as FloaterNetwork) ?? "pod",
    ips: ips.length ? ips : [pod.status!.podIP!],
    hostIps: pod.status?.hostIPs?.map((h) => h.ip).filter((ip): ip is string => !!ip) ?? (pod.status?.hostIP ? [pod.status.hostIP] : []),
  };
}

/** A floater shows no sign of life when its node's kubelet has not acknowledged it this long
 * after it was placed, and that kubelet's lease has not been renewed for LEASE_STALE_MS (a
 * kubelet renews it every 10 s by default: one that does is alive, just slow, as at scale). Once
 * every other floater is ready, such a floater is not waited for any longer. A floater making
 * progress (containers being created, its image pulled) may use the whole --pod-wait-timeout. */
export const SILENT_AFTER_MS = 6_000;
export const LEASE_STALE_MS = 15_000;

/** Placed on a node, but the node's kubelet never reported on it (no container status). */
export function unacknowledged(pod: V1Pod, now: number): boolean {
  if (!pod.spec?.nodeName || pod.status?.containerStatuses?.length) return false;
  const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp).getTime() : now;
  return now - created >= SILENT_AFTER_MS;
}

/** Unacknowledged, and its kubelet's lease is stale (or missing). No lease information at all: alive. */
export function silent(pod: V1Pod, now: number, leases: Map<string, number> | undefined): boolean {
  if (!unacknowledged(pod, now) || !leases) return false;
  return now - (leases.get(pod.spec!.nodeName!) ?? 0) > LEASE_STALE_MS;
}

export async function waitForFloaters(api: KubeApi, o: WaitOptions): Promise<WaitResult> {
  const cluster = api.target.contextName;
  const expected = o.nodes.length * o.networks.length;
  const key = (node: string, network: string) => `${node}/${network}`;
  const wanted = new Set(o.nodes);
  const { state: { byKey } } = await poll({
    look: async () => {
      const byKey = new Map<string, V1Pod>();
      for (const pod of await api.listPods(o.namespace, runSelector(o.runId))) {
        const k = key(pod.spec?.nodeName ?? "", pod.metadata?.labels?.[NETWORK] ?? "");
        // Prefer a ready pod if a node has two (a replacement in progress).
        if (!byKey.has(k) || isReady(pod)) byKey.set(k, pod);
      }
      // Done when all are ready, or when all that are not show no sign of life. The leases are
      // read only then: the rest are done, only stragglers are left.
      const now = Date.now();
      const pods = [...byKey.values()].filter((p) => wanted.has(p.spec?.nodeName ?? ""));
      const waiting = pods.filter((p) => !isReady(p));
      let done = pods.length >= expected && waiting.length === 0;
      if (!done && pods.length >= expected && waiting.every((p) => unacknowledged(p, now))) {
        const leases = await api.nodeLeases();
        done = waiting.every((p) => silent(p, now, leases));
      }
      return { byKey, done };
    },
    done: (s) => s.done,
    onLook: (s) => o.onProgress?.(readyCount(s.byKey), expected),
    timeoutMs: o.timeoutMs,
    intervalMs: o.pollMs ?? 1000,
    signal: o.signal,
  });
  function readyCount(byKey: Map<string, V1Pod>): number {
    return [...byKey.values()].filter((p) => isReady(p) && wanted.has(p.spec!.nodeName!)).length;
  }
  const result: WaitResult = { ready: [], notReady: [] };
  for (const node of o.nodes) {
    for (const network of o.networks) {
      const pod = byKey.get(key(node, network));
      if (pod && isReady(pod)) result.ready.push(floaterOf(pod, cluster));
      else result.notReady.push({ cluster, node, reason: `${o.networks.length > 1 ? `${network}-network floater: ` : ""}${notReadyReason(pod)}` });
    }
  }
  return result;
}
