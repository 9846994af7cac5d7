// A run's floaters in each cluster: deployed (their removal registered before the first create),
// waited for until readiness stalls, the run's Services listing them; or, for a resume, those a
// --keep run left. One shape, RunFloaters, carries a cluster's floaters from then to the end.
import { deployFloaters, removeDeployment } from "../floater/deploy.ts";
import { runSelector } from "../floater/manifests.ts";
import { runServices, serviceKinds } from "../floater/services.ts";
import { HAND_OVER_AFTER_MS, watchFloaters, type FloaterWatch } from "../floater/wait.ts";
import { cleanCommand } from "../floater/leftovers.ts";
import { floaterNetworks, networksOf, type RunServices } from "../probe/plan.ts";
import type { Floater, LateNode, SkippedNode } from "../probe/types.ts";
import { plural } from "../words.ts";
import type { RunCluster } from "./clusters.ts";
import type { RunConfig } from "./config.ts";
import type { RunEvents } from "./events.ts";
import { floaterSpec, upNodes, type ClusterPlan } from "./plan.ts";
import type { Teardown } from "./teardown.ts";
import type { MemoryPolicy } from "../runtime/memory.ts";

/** A cluster's floaters in a run. */
export interface RunFloaters {
  cluster: RunCluster;
  runId: string;
  nodesTotal: number;
  nodesSelected: string[];
  /** Ready: probed (those that came late among them, once settled). */
  ready: Floater[];
  /** Nodes that could not take part: down at the start, or whose floater never came. */
  notReady: SkippedNode[];
  /** Floaters that came after probing began. */
  late: LateNode[];
  /** The run's Services in this cluster (svc and nodeport probes). */
  services?: RunServices;
  /** Floaters still coming when probing began, watched beside it; gone once settled. */
  stragglers?: FloaterWatch;
}

/** How often the floaters are looked at, and how long a pause in their coming marks the rest as
 * stragglers (wait.ts's defaults; shorter in tests). */
export interface Waits {
  handOverAfterMs: number;
  pollMs: number;
}

export const WAITS: Waits = { handOverAfterMs: HAND_OVER_AFTER_MS, pollMs: 1000 };

export interface Context {
  config: RunConfig;
  events: RunEvents;
  signal: AbortSignal;
  teardown: Teardown;
  waits: Waits;
  memory?: MemoryPolicy;
}

/** Deploy the planned floaters of the k-th cluster, register their removal, and wait for them
 * (handing over once readiness stalls). A cluster with no node to check gets nothing. */
export async function bringUp(plan: ClusterPlan, k: number, runId: string, c: Context): Promise<RunFloaters> {
  const { cluster } = plan;
  const { config, events } = c;
  const context = cluster.api.target.contextName;
  const down = plan.nodes.down;
  const nodes = upNodes(plan.nodes);
  const base = { cluster, runId, nodesTotal: plan.nodes.all.length, nodesSelected: plan.nodes.selected, late: [] };
  if (nodes.length === 0) return { ...base, ready: [], notReady: down };
  const networks = floaterNetworks(config.mode);

  events.phase(`deploying floaters on ${plural(nodes.length, "node")} (context '${context}', namespace '${config.namespace}')`);
  await deployFloaters(cluster.api, floaterSpec(plan, k, config, runId), plan.namespaceExists, (d) => {
    if (config.keep) return;
    c.teardown.add({
      what: `the floaters of run ${runId} in context '${context}' (namespace ${config.namespace})`,
      finish: cleanCommand(cluster.api.target, config.namespace),
      remove: async (deadlineMs) => {
        events.phase(`removing the floaters (context '${context}')`);
        await removeDeployment(d, deadlineMs);
        events.done(`removed the floaters (context '${context}')`);
      },
    });
  });

  events.phase(`waiting for ${nodes.length * networks.length} floaters to be ready (up to ${config.podWaitTimeout}s)`);
  const watch = await watchFloaters(cluster.api, {
    cluster: cluster.name,
    namespace: config.namespace,
    runId,
    nodes,
    networks,
    timeoutMs: config.podWaitTimeout * 1000,
    signal: c.signal,
    onProgress: (ready, total) => events.update(`waiting for floaters: ${ready}/${total} ready`),
    ...c.waits,
  });
  const coming = watch.awaited.length;
  // With stragglers, who never came is known only once they are done with (settle).
  const came = coming ? { ready: watch.ready, notReady: [] } : watch.outcome();
  events.done(`${came.ready.length} floaters ready${came.notReady.length ? `, ${came.notReady.length} not ready` : ""}${coming ? `; probing begins without the ${coming} still coming (probed as they come)` : ""}`);
  const up: RunFloaters = { ...base, ready: came.ready, notReady: [...down, ...came.notReady] };
  const services = await servicesOf(up, c);
  return { ...up, ...(services ? { services } : {}), ...(coming ? { stragglers: watch } : {}) };
}

/** The floaters a --keep run left, in every cluster, if its DaemonSets are all still there
 * (waited for as any run's: pods deleted since are being re-created by them). */
export async function reuseKept(plans: ClusterPlan[], runId: string, c: Context): Promise<RunFloaters[] | undefined> {
  const { config, events } = c;
  events.phase(`waiting for the kept floaters of run ${runId} (up to ${config.podWaitTimeout}s)`);
  const found = await Promise.all(plans.map(async ({ cluster, nodes }) => {
    if (!(await cluster.api.readNamespace(config.namespace))) return undefined;
    if ((await cluster.api.listDaemonSets(config.namespace, runSelector(runId))).length === 0) return undefined;
    const watch = await watchFloaters(cluster.api, {
      cluster: cluster.name, namespace: config.namespace, runId, nodes: nodes.selected, networks: floaterNetworks(config.mode),
      timeoutMs: config.podWaitTimeout * 1000, signal: c.signal, pollMs: c.waits.pollMs, onProgress: (ready, total) => events.update(`waiting for the kept floaters: ${ready}/${total} ready`),
    });
    const { ready, notReady } = watch.outcome();
    return { cluster, runId, nodesTotal: nodes.all.length, nodesSelected: nodes.selected, ready, notReady, late: [] } satisfies RunFloaters;
  }));
  events.done();
  if (!found.every((f) => f !== undefined)) return undefined;
  // The kept run's Services (svc, nodeport) are kept with it.
  return Promise.all(found.map(async (up) => {
    const services = await servicesOf(up!, c);
    return { ...up!, ...(services ? { services } : {}) };
  }));
}

/** The run's Services, once their endpoints are the cluster's ready floaters (svc and nodeport). */
export async function servicesOf(up: Pick<RunFloaters, "cluster" | "runId" | "ready">, c: Context): Promise<RunServices | undefined> {
  const kinds = serviceKinds(c.config);
  if (!kinds.length) return undefined;
  const target = networksOf(c.config.mode).target;
  c.events.phase("waiting for the run's Services to list the floaters as endpoints");
  const services = await runServices(up.cluster.api, {
    namespace: c.config.namespace, runId: up.runId, kinds, port: c.config.port, signal: c.signal,
    ready: up.ready.filter((f) => f.network === target).length,
    timeoutMs: Math.min(60, c.config.podWaitTimeout) * 1000,
  });
  c.events.done();
  return services;
}

/** A cluster's floaters once no straggler is awaited any more: those that came late are among the
 * ready (and listed as late), those that never came are with the nodes that were down. */
export function settle(u: RunFloaters): RunFloaters {
  if (!u.stragglers) return u;
  const { stragglers, ...rest } = u;
  const o = stragglers.outcome();
  const down = u.notReady;
  return { ...rest, ready: o.ready, notReady: [...down, ...o.notReady], late: o.late ?? [] };
}
