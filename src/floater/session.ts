// Floaters up: choose the nodes, plan (namespace, permissions: nothing changed yet), deploy,
// register their removal, wait.
import type { Settings } from "../config/settings.ts";
import { ClusterError, UsageError } from "../errors.ts";
import type { V1Node } from "@kubernetes/client-node";
import type { AccessCheck, KubeApi } from "../kube/client.ts";
import type { SkippedNode } from "../probe/types.ts";
import type { Lifecycle } from "../runtime/lifecycle.ts";
import { floaterNetworks, networksOf, type RunServices } from "../probe/plan.ts";
import { runServices, serviceKinds } from "./services.ts";
import type { Progress } from "../report/progress.ts";
import { deployFloaters, namespaceUsable, otherRunsIn, removeDeployment } from "./deploy.ts";
import { imageWithRepository, podSecurityProblem, runSelector, type FloaterNetwork, type FloaterSpec } from "./manifests.ts";
import { describeCheck, grantCommand, requiredPermissions } from "./permissions.ts";
import { selectNodes } from "./select.ts";
import { HAND_OVER_AFTER_MS, waitForFloaters, watchFloaters, type FloaterWatch, type WaitResult } from "./wait.ts";

export interface FloatersUp extends WaitResult {
  runId: string;
  nodesTotal: number;
  nodesSelected: string[];
  /** The run's Services in this cluster (svc and nodeport probes). */
  services?: RunServices;
  /** Selected nodes already NotReady at the start (among `notReady`). */
  down?: SkippedNode[];
  /** Floaters still coming when probing began: watched beside it (probeAll). */
  stragglers?: FloaterWatch;
}

/** A cluster's floaters once no straggler is awaited any more: those that came late are among the
 * ready (and listed as late), those that never came are with the nodes that were down. */
export function settled(u: FloatersUp): FloatersUp {
  if (!u.stragglers) return u;
  const { stragglers, ...rest } = u;
  const o = stragglers.outcome();
  return { ...rest, notReady: [...(u.down ?? []), ...o.notReady], late: o.late ?? [] };
}

export interface NodeChoice {
  all: string[];
  /** The nodes to check, those already down included (they count as skipped). */
  selected: string[];
  /** Selected nodes that are NotReady at the start: skipped at once, with the node's reason. */
  down?: SkippedNode[];
  /** Each node's zone (topology.kubernetes.io/zone), where labelled. */
  zones?: Record<string, string>;
}

export const ZONE_LABEL = "topology.kubernetes.io/zone";

/** The nodes to check in each cluster. A name given to --nodes/--exclude-nodes must exist in one
 * of the clusters; each cluster applies the names it has (another cluster's names do not narrow it).
 * `only` (resume): exactly these names, where a cluster has them; the others are left out. */
export async function chooseNodes(apis: KubeApi[], settings: Settings, only?: string[]): Promise<NodeChoice[]> {
  const listed = await Promise.all(apis.map(async (api) => {
    const nodes = await api.listNodes();
    const all = nodes.map((n) => n.metadata!.name!);
    const matching = settings.nodeSelector && !only ? (await api.listNodes(settings.nodeSelector)).map((n) => n.metadata!.name!) : all;
    const down = nodes.filter((n) => !nodeReady(n)).map((n) => ({ cluster: api.target.contextName, node: n.metadata!.name!, reason: nodeDownReason(n) }));
    const zones = Object.fromEntries(nodes.flatMap((n) => {
      const zone = n.metadata?.labels?.[ZONE_LABEL];
      return zone ? [[n.metadata!.name!, zone]] : [];
    }));
    return { api, all, matching, zones, down };
  }));
  const choice = (all: string[], selected: string[], zones: Record<string, string>, down: SkippedNode[]): NodeChoice =>
    ({ all, selected, zones, down: down.filter((d) => selected.includes(d.node)) });
  if (only) return listed.map(({ all, zones, down }) => choice(all, all.filter((n) => only.includes(n)), zones, down));
  if (listed.length === 1) {
    const [{ api, all, matching, zones, down }] = listed as [(typeof listed)[0]];
    return [choice(all, selectNodes(matching, settings, api.target.contextName), zones, down)];
  }
  const everywhere = new Set(listed.flatMap((l) => l.all));
  const unknown = [...settings.nodes, ...settings.excludeNodes].filter((n) => !everywhere.has(n));
  if (unknown.length) selectNodes([...everywhere], { nodes: unknown, excludeNodes: [] }, listed.map((l) => l.api.target.contextName).join("' or '"));
  return listed.map(({ api, all, matching, zones, down }) => {
    const own = (names: string[]) => names.filter((n) => all.includes(n));
    return choice(all, selectNodes(matching, { nodes: own(settings.nodes), excludeNodes: own(settings.excludeNodes) }, api.target.contextName), zones, down);
  });
}

/** The selected nodes not already down: those already down are skipped at once, their floaters
 * would only be waited for in vain. */
function upNodes(choice: NodeChoice): string[] {
  const down = new Set((choice.down ?? []).map((d) => d.node));
  return choice.selected.filter((n) => !down.has(n));
}

function nodeReady(n: V1Node): boolean {
  return n.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
}

/** Why a node is down, as `kubectl describe node` would say. */
function nodeDownReason(n: V1Node): string {
  const ready = n.status?.conditions?.find((c) => c.type === "Ready");
  if (!ready) return "node has no Ready condition: its kubelet never reported";
  const since = ready.lastTransitionTime ? ` since ${new Date(ready.lastTransitionTime).toISOString()}` : "";
  return `node NotReady${since}: ${ready.reason ?? ready.status}${ready.message ? ` (${ready.message})` : ""}`;
}

/** What a run may do in one cluster, and the namespace's state. */
export interface Access {
  namespaceExists: boolean;
  /** Permissions the run needs and the user lacks (all of them, not the first). */
  missing: AccessCheck[];
  /** The user name the API server sees, for the grant hint. */
  user?: string;
}

/** What a run would do in one cluster, found out without changing anything. */
export interface FloaterPlan extends Access {
  api: KubeApi;
  nodes: NodeChoice;
  /** False when the nodes could not be listed (that permission is missing). */
  nodesKnown: boolean;
}

/** Read-only, asked first: the permissions a run needs, the namespace's state, and no other run
 * in the way (`keptRun`: the --keep run a resume reuses). */
export async function accessIn(api: KubeApi, settings: Settings, keptRun?: string): Promise<Access> {
  const namespace = settings.namespace;
  // Whether the namespace exists decides what is needed; without "get namespaces" it cannot be
  // known, so everything a new namespace needs is asked for.
  const services = serviceKinds(settings).length > 0;
  const all = await api.missingPermissions(requiredPermissions(namespace, false, services));
  const canRead = !all.some((c) => c.resource === "namespaces" && c.verb === "get");
  const existing = canRead ? await namespaceUsable(api, namespace) : undefined;
  const namespaceExists = existing !== undefined;
  const missing = namespaceExists ? await api.missingPermissions(requiredPermissions(namespace, true, services)) : all;
  if (missing.length) return { namespaceExists, missing, user: await api.whoAmI() };
  if (namespaceExists) {
    const refused = podSecurityProblem(existing?.metadata?.labels, floaterNetworks(settings.mode));
    if (refused) {
      throw new UsageError(
        `namespace '${namespace}' in context '${api.target.contextName}' would refuse the floaters: ${refused}; ` +
          `use another --namespace (netdoctor labels one it creates as needed) or change the label. nothing was created`,
      );
    }
    // A resumed --keep run's own floaters are not in the way: they are reused.
    const others = (await otherRunsIn(api, namespace)).filter((id) => id !== keptRun);
    if (others.length) {
      throw new UsageError(
        `namespace '${namespace}' in context '${api.target.contextName}' is in use by another netdoctor run (${others.join(", ")}): ` +
          `wait for it, use another --namespace, or run 'kubectl netdoctor clean -n ${namespace}' if it is stale`,
      );
    }
  }
  return { namespaceExists, missing };
}

/** Every permission missing in every cluster, in one message with the RBAC that grants it. */
export function permissionsProblem(plans: FloaterPlan[]): ClusterError | undefined {
  const lacking = plans.filter((p) => p.missing.length);
  if (!lacking.length) return undefined;
  const parts = lacking.map((p) => {
    const t = p.api.target;
    return `missing permissions in context '${t.contextName}' (${t.server})${p.user ? ` for user '${p.user}'` : ""}: ${p.missing.map(describeCheck).join(", ")}
` +
      `a cluster admin can grant exactly these with:
${grantCommand(p.missing, p.user, p.namespaceExists)}`;
  });
  return new ClusterError(`${parts.join("\n")}\nnothing was created`);
}

/** Deploy the planned floaters, register their removal, and wait for them. A cluster with no node
 * to check (a resume whose nodes are gone) gets nothing. */
export async function bringUpFloaters(
  plan: FloaterPlan,
  settings: Settings,
  life: Lifecycle,
  progress: Progress,
  o: { runId: string; imageRepository: string },
): Promise<FloatersUp> {
  const { api, namespaceExists } = plan;
  const context = api.target.contextName;
  const down = plan.nodes.down ?? [];
  const nodes = upNodes(plan.nodes);
  const runId = o.runId;
  if (nodes.length === 0) return { ready: [], notReady: down, runId, nodesTotal: plan.nodes.all.length, nodesSelected: plan.nodes.selected };
  const networks = floaterNetworks(settings.mode);

  progress.phase(`deploying floaters on ${nodes.length} node${nodes.length === 1 ? "" : "s"} (context '${context}', namespace '${settings.namespace}')`);
  await deployFloaters(api, floaterSpec(plan, settings, o), namespaceExists, (d) => {
    if (!settings.keep) {
      life.defer(`removing the floaters of run ${runId} in context '${context}'`, async () => {
        progress.phase(`removing the floaters (context '${context}')`);
        await removeDeployment(d);
        progress.done(`removed the floaters (context '${context}')`);
      });
    }
  });

  progress.phase(`waiting for ${nodes.length * networks.length} floaters to be ready (up to ${settings.podWaitTimeout}s)`);
  const watch = await watchFloaters(api, {
    namespace: settings.namespace,
    runId,
    nodes,
    networks,
    timeoutMs: settings.podWaitTimeout * 1000,
    signal: life.signal,
    onProgress: (ready, total) => progress.update(`waiting for floaters: ${ready}/${total} ready`),
    handOverAfterMs: HAND_OVER_AFTER_MS,
  });
  const coming = watch.awaited.length;
  // With stragglers, who never came is known only once they are done with (settled).
  const came = coming ? { ready: watch.ready, notReady: [] } : watch.outcome();
  progress.done(`${came.ready.length} floaters ready${came.notReady.length ? `, ${came.notReady.length} not ready` : ""}${coming ? `; probing begins without the ${coming} still coming (probed as they come)` : ""}`);
  const waited = { ready: came.ready, notReady: [...down, ...came.notReady] };
  const services = await servicesOf(api, settings, runId, waited, progress, life.signal);
  return {
    ...waited, runId, nodesTotal: plan.nodes.all.length, nodesSelected: plan.nodes.selected, down,
    ...(services ? { services } : {}), ...(coming ? { stragglers: watch } : {}),
  };
}

/** The run's Services, once their endpoints are its ready floaters (svc and nodeport probes). */
export async function servicesOf(api: KubeApi, settings: Settings, runId: string, waited: WaitResult, progress: Progress, signal?: AbortSignal): Promise<RunServices | undefined> {
  const kinds = serviceKinds(settings);
  if (!kinds.length) return undefined;
  const target = networksOf(settings.mode).target;
  progress.phase("waiting for the run's Services to list the floaters as endpoints");
  const services = await runServices(api, {
    namespace: settings.namespace, runId, kinds, port: settings.port, signal,
    ready: waited.ready.filter((f) => f.network === target).length,
    timeoutMs: Math.min(60, settings.podWaitTimeout) * 1000,
  });
  progress.done();
  return services;
}

/** The objects a run creates in one cluster (what --dry-run shows). */
export function floaterSpec(plan: FloaterPlan, settings: Settings, o: { runId: string; imageRepository: string }): FloaterSpec {
  const nodes = upNodes(plan.nodes);
  return {
    namespace: settings.namespace,
    runId: o.runId,
    image: imageWithRepository(settings.image, o.imageRepository),
    port: settings.port,
    networks: floaterNetworks(settings.mode),
    nodeNames: nodes.length === plan.nodes.all.length ? undefined : nodes,
    imagePullSecret: settings.imagePullSecret || undefined,
    services: { network: networksOf(settings.mode).target, kinds: serviceKinds(settings) },
  };
}

/** Floaters a previous run left with --keep, if its DaemonSets are still there: waited for as any
 * run's (pods deleted since are being re-created by them). */
export async function keptFloaters(api: KubeApi, o: { namespace: string; runId: string; nodes: string[]; networks: FloaterNetwork[]; timeoutMs: number; signal?: AbortSignal; onProgress?: (ready: number, total: number) => void }): Promise<WaitResult | undefined> {
  if (!(await api.readNamespace(o.namespace))) return undefined;
  if ((await api.listDaemonSets(o.namespace, runSelector(o.runId))).length === 0) return undefined;
  return waitForFloaters(api, o);
}
