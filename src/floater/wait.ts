// Waiting for a run's floaters: every pod of the run is looked at on each pass (one LIST, not one
// pod after another), bounded by a deadline. A node whose floater is not ready in time is a finding
// with its reason; the check goes on with the others. Probing need not wait for stragglers: once
// readiness stalls, the ready floaters are handed over and the rest are watched beside the probing.
import type { V1Pod } from "@kubernetes/client-node";
import type { KubeApi } from "../kube/client.ts";
import type { Floater, LateNode, SkippedNode } from "../probe/types.ts";
import { NETWORK, runSelector, type FloaterNetwork } from "./manifests.ts";
import { ClusterError } from "../errors.ts";
import { poll, timeoutMessage } from "../runtime/poll.ts";

export interface WaitOptions {
  /** The run's name of the cluster (engine/clusters.ts): its floaters and nodes carry it. */
  cluster: string;
  namespace: string;
  runId: string;
  nodes: string[];
  networks: FloaterNetwork[];
  timeoutMs: number;
  pollMs?: number;
  signal?: AbortSignal;
  onProgress?: (ready: number, total: number) => void;
  /** Hand the ready floaters over once no other became ready for this long (at least two ready:
   * a probe needs two nodes; at most STRAGGLERS_SHARE still to come), and watch the rest beside
   * the probing. Unset: wait for all. */
  handOverAfterMs?: number;
}

export interface WaitResult {
  ready: Floater[];
  notReady: SkippedNode[];
  /** Floaters that became ready after probing began, with what held them. */
  late?: LateNode[];
}

/** The floaters of a run as they come: those ready when probing may start, then the stragglers. */
export interface FloaterWatch {
  /** Ready when handed over. */
  ready: Floater[];
  /** Still awaited then, each with what held it at that moment. */
  awaited: SkippedNode[];
  /** The floaters that became ready since the last call, waiting for one; [] once none will come
   * (all came, those left show no sign of life, the deadline passed, or the run was cancelled). */
  arrivals(): Promise<Floater[]>;
  /** Once arrivals() gave []: every floater that came (`ready`), those that never did, and why. */
  outcome(): WaitResult;
}

/** Readiness stalled this long: probing starts with the floaters that are ready. At 500 simulated
 * nodes floaters become ready one after another for 20 s; a pause of 5 s is a straggler. */
export const HAND_OVER_AFTER_MS = 5_000;
/** Stragglers are a few: with more than a tenth still to come (one, in a small cluster) the
 * cluster is slow, not a few of its nodes, and is waited for. Measured on 500 simulated nodes just
 * started: readiness paused 20 s at 64; handed over, the other 436 came in 4 groups, each wave
 * costing an exec per floater already there (1,451 execs instead of 500), and the run was no
 * faster for it (105 s; 113 s for one that waited, on another just-started cluster). */
export const STRAGGLERS_SHARE = 0.1;
/** Up to this many stragglers are looked at one node each (a field selector); more, in one LIST. */
const PER_NODE_LOOKS = 20;

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

/** Those not ready are all given up on: each shows no sign of life (unacknowledged, and its
 * kubelet's lease is stale). The leases are read only when every one is unacknowledged. */
async function givenUp(api: KubeApi, waiting: V1Pod[], now: number): Promise<boolean> {
  if (!waiting.length || !waiting.every((p) => unacknowledged(p, now))) return false;
  const leases = await api.nodeLeases();
  return waiting.every((p) => silent(p, now, leases));
}

const keyOf = (node: string, network: string) => `${node}/${network}`;

/** The run's pods by node and network, on the wanted nodes (a ready one where a node has two: a
 * replacement in progress). */
function byNodeAndNetwork(pods: V1Pod[], wanted: Set<string>, into = new Map<string, V1Pod>()): Map<string, V1Pod> {
  for (const pod of pods) {
    const node = pod.spec?.nodeName ?? "";
    if (!wanted.has(node)) continue;
    const k = keyOf(node, pod.metadata?.labels?.[NETWORK] ?? "");
    if (!into.has(k) || isReady(pod) || !isReady(into.get(k)!)) into.set(k, pod);
  }
  return into;
}

/** Wait for a run's floaters: until all are ready, those left show no sign of life, or the
 * deadline; with `handOverAfterMs`, the ready ones are handed over once readiness stalls and the
 * rest are watched beside the probing until the same deadline. */
export async function watchFloaters(api: KubeApi, o: WaitOptions): Promise<FloaterWatch> {
  const cluster = o.cluster;
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  const expected = o.nodes.length * o.networks.length;
  const wanted = new Set(o.nodes);
  const slots = o.nodes.flatMap((node) => o.networks.map((network) => ({ node, network, key: keyOf(node, network) })));
  const reasonOf = (network: string, pod: V1Pod | undefined) => `${o.networks.length > 1 ? `${network}-network floater: ` : ""}${notReadyReason(pod)}`;
  let readyCount = 0;
  let grewAt = started;
  const first = await poll({
    look: async () => {
      const byKey = byNodeAndNetwork(await api.listPods(o.namespace, runSelector(o.runId)), wanted);
      const now = Date.now();
      const ready = [...byKey.values()].filter(isReady).length;
      if (ready > readyCount) [readyCount, grewAt] = [ready, now];
      const waiting = [...byKey.values()].filter((p) => !isReady(p));
      const settled = byKey.size >= expected && (waiting.length === 0 || (await givenUp(api, waiting, now)));
      const few = expected - ready <= Math.max(1, Math.floor(expected * STRAGGLERS_SHARE));
      const stalled = o.handOverAfterMs !== undefined && ready >= 2 && few && now - grewAt >= o.handOverAfterMs;
      return { byKey, settled, done: settled || stalled };
    },
    done: (s) => s.done,
    onLook: () => o.onProgress?.(readyCount, expected),
    timeoutMs: o.timeoutMs,
    intervalMs: o.pollMs ?? 1000,
    signal: o.signal,
  });
  if (!first.state) {
    // Not one list of the pods answered: nothing is known of any floater.
    if (!o.signal?.aborted) throw new ClusterError(`${timeoutMessage(`the floaters of run ${o.runId}`, o.timeoutMs, "no answer to listing its pods")} in context '${api.target.contextName}' (${api.target.server})`);
    return ended([], o.nodes.map((node) => ({ cluster, node, reason: "not seen: the run was cancelled before the API server answered" })));
  }
  const byKey = first.state.byKey;
  const ready = slots.flatMap((s) => (byKey.get(s.key) && isReady(byKey.get(s.key)!) ? [floaterOf(byKey.get(s.key)!, cluster)] : []));
  const awaitedSlots = slots.filter((s) => !byKey.get(s.key) || !isReady(byKey.get(s.key)!));
  const awaited = awaitedSlots.map((s) => ({ cluster, node: s.node, reason: reasonOf(s.network, byKey.get(s.key)) }));
  const came: Floater[] = [...ready];
  const late: LateNode[] = [];
  if (!first.met || first.state.settled || !awaitedSlots.length) {
    // Nothing more will come: what is not ready now never came.
    return ended(ready, awaited);
  }

  // The stragglers, watched beside the probing: a group of them as they become ready.
  let queue: Floater[] = [];
  let over = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const left = new Map(awaitedSlots.map((s, k) => [s.key, { ...s, heldBy: awaited[k]!.reason }]));
  const lookAtStragglers = async () => {
    const nodes = [...new Set([...left.values()].map((s) => s.node))];
    const pods = nodes.length <= PER_NODE_LOOKS
      ? (await Promise.all(nodes.map((node) => api.listPods(o.namespace, runSelector(o.runId), `spec.nodeName=${node}`)))).flat()
      : await api.listPods(o.namespace, runSelector(o.runId));
    const seen = byNodeAndNetwork(pods, new Set(nodes), byKey);
    const now = Date.now();
    for (const [key, slot] of left) {
      const pod = seen.get(key);
      if (!pod || !isReady(pod)) continue;
      left.delete(key);
      const floater = floaterOf(pod, cluster);
      queue.push(floater);
      came.push(floater);
      late.push({ cluster, node: slot.node, readyAfterMs: now - started, reason: slot.heldBy });
    }
    if (queue.length) wake?.();
    const waiting = [...left.keys()].map((k) => seen.get(k));
    return { done: left.size === 0 || (waiting.every((p) => p !== undefined) && (await givenUp(api, waiting as V1Pod[], now))) };
  };
  void poll({ look: lookAtStragglers, done: (s) => s.done, timeoutMs: Math.max(0, deadline - Date.now()), intervalMs: o.pollMs ?? 1000, signal: o.signal })
    .catch((e) => (failure = e))
    .finally(() => {
      over = true;
      wake?.();
    });
  return {
    ready,
    awaited,
    async arrivals() {
      while (!queue.length && !over) await new Promise<void>((resolve) => (wake = resolve));
      if (failure) throw failure;
      const group = queue;
      queue = [];
      return group;
    },
    outcome: () => ({
      ready: came,
      notReady: [...left.values()].map((s) => ({ cluster, node: s.node, reason: reasonOf(s.network, byKey.get(s.key)) })),
      late,
    }),
  };
}

/** A watch with no stragglers: these came, and the others never will. */
function ended(ready: Floater[], notReady: SkippedNode[]): FloaterWatch {
  return { ready, awaited: [], arrivals: async () => [], outcome: () => ({ ready, notReady }) };
}

/** Wait for every floater (no hand-over): those ready, and those that never came with why. */
export async function waitForFloaters(api: KubeApi, o: Omit<WaitOptions, "handOverAfterMs">): Promise<WaitResult> {
  return (await watchFloaters(api, o)).outcome();
}
