// What a run would do in every cluster, found without changing anything: the permissions it needs
// and lacks, the namespace's state, the nodes to check (and those already down), and the objects
// it would create. --dry-run stops here.
import type { V1Node } from "@kubernetes/client-node";
import { ClusterError, UsageError } from "../errors.ts";
import type { AccessCheck } from "../kube/client.ts";
import type { NodeRef } from "../results/set.ts";
import type { SkippedNode } from "../probe/types.ts";
import { floaterNetworks, networksOf } from "../probe/plan.ts";
import { namespaceUsable, otherRunsIn } from "../floater/deploy.ts";
import { imageWithRepository, podSecurityProblem, type FloaterSpec } from "../floater/manifests.ts";
import { describeCheck, grantCommand, requiredPermissions } from "../floater/permissions.ts";
import { selectNodes } from "../floater/select.ts";
import { serviceKinds } from "../floater/services.ts";
import type { RunCluster } from "./clusters.ts";
import type { RunConfig } from "./config.ts";

export const ZONE_LABEL = "topology.kubernetes.io/zone";

export interface NodeChoice {
  all: string[];
  /** The nodes to check, those already down included (they count as skipped). */
  selected: string[];
  /** Selected nodes that are NotReady at the start: skipped at once, with the node's reason. */
  down: SkippedNode[];
  /** Each node's zone (topology.kubernetes.io/zone), where labelled. */
  zones: Record<string, string>;
}

/** What a run may do in one cluster, and the namespace's state. */
export interface Access {
  namespaceExists: boolean;
  /** Permissions the run needs and the user lacks (all of them, not the first). */
  missing: AccessCheck[];
  /** The user name the API server sees, for the grant hint. */
  user?: string;
}

/** What a run would do in one cluster. */
export interface ClusterPlan extends Access {
  cluster: RunCluster;
  nodes: NodeChoice;
  /** False when the nodes could not be listed (that permission is missing). */
  nodesKnown: boolean;
}

export interface PlanScope {
  /** Exactly these nodes, where a cluster has them (resume); the others are left out. */
  only?: NodeRef[];
  /** A --keep run being resumed: its floaters are reused, so they are not in the way. */
  reusedRun?: string;
}

export async function planRun(clusters: RunCluster[], config: RunConfig, scope: PlanScope = {}): Promise<ClusterPlan[]> {
  // Permissions first: without them even listing the nodes fails, and all that is missing in
  // every cluster is to be said at once.
  const access = await Promise.all(clusters.map((c) => accessIn(c, config, scope.reusedRun)));
  const nodesKnown = access.every((a) => !a.missing.some((c) => c.resource === "nodes"));
  const choices = nodesKnown ? await chooseNodes(clusters, config, scope.only) : clusters.map(() => ({ all: [], selected: [], down: [], zones: {} }));
  return clusters.map((cluster, k) => ({ cluster, ...access[k]!, nodes: choices[k]!, nodesKnown }));
}

/** Stop before anything is created when a permission is missing in any cluster: every one missing
 * in every cluster, in one message with the RBAC that grants it. */
export function assertPermitted(plans: ClusterPlan[]): void {
  const lacking = plans.filter((p) => p.missing.length);
  if (!lacking.length) return;
  const parts = lacking.map((p) => {
    const t = p.cluster.api.target;
    return `missing permissions in context '${t.contextName}' (${t.server})${p.user ? ` for user '${p.user}'` : ""}: ${p.missing.map(describeCheck).join(", ")}\n` +
      `a cluster admin can grant exactly these with:\n${grantCommand(p.missing, p.user, p.namespaceExists)}`;
  });
  throw new ClusterError(`${parts.join("\n")}\nnothing was created`);
}

/** The nodes to check in each cluster. A name given to --nodes/--exclude-nodes must exist in one
 * of the clusters; each cluster applies the names it has (another cluster's names do not narrow it). */
async function chooseNodes(clusters: RunCluster[], config: RunConfig, only?: NodeRef[]): Promise<NodeChoice[]> {
  const listed = await Promise.all(clusters.map(async (cluster) => {
    const nodes = await cluster.api.listNodes();
    const all = nodes.map((n) => n.metadata!.name!);
    const matching = config.nodeSelector && !only ? (await cluster.api.listNodes(config.nodeSelector)).map((n) => n.metadata!.name!) : all;
    const down = nodes.filter((n) => !nodeReady(n)).map((n) => ({ cluster: cluster.name, node: n.metadata!.name!, reason: nodeDownReason(n) }));
    const zones = Object.fromEntries(nodes.flatMap((n) => {
      const zone = n.metadata?.labels?.[ZONE_LABEL];
      return zone ? [[n.metadata!.name!, zone]] : [];
    }));
    return { cluster, all, matching, zones, down };
  }));
  const choice = (all: string[], selected: string[], zones: Record<string, string>, down: SkippedNode[]): NodeChoice =>
    ({ all, selected, zones, down: down.filter((d) => selected.includes(d.node)) });
  if (only) {
    return listed.map(({ cluster, all, zones, down }) => {
      const wanted = new Set(only.filter((n) => n.cluster === cluster.name).map((n) => n.node));
      return choice(all, all.filter((n) => wanted.has(n)), zones, down);
    });
  }
  const label = (c: RunCluster) => c.api.target.contextName;
  if (listed.length === 1) {
    const [{ cluster, all, matching, zones, down }] = listed as [(typeof listed)[0]];
    return [choice(all, selectNodes(matching, config, label(cluster)), zones, down)];
  }
  const everywhere = new Set(listed.flatMap((l) => l.all));
  const unknown = [...config.nodes, ...config.excludeNodes].filter((n) => !everywhere.has(n));
  if (unknown.length) selectNodes([...everywhere], { nodes: unknown, excludeNodes: [] }, listed.map((l) => label(l.cluster)).join("' or '"));
  return listed.map(({ cluster, all, matching, zones, down }) => {
    const own = (names: string[]) => names.filter((n) => all.includes(n));
    return choice(all, selectNodes(matching, { nodes: own(config.nodes), excludeNodes: own(config.excludeNodes) }, label(cluster)), zones, down);
  });
}

/** The selected nodes not already down: those already down are skipped at once, their floaters
 * would only be waited for in vain. */
export function upNodes(choice: NodeChoice): string[] {
  const down = new Set(choice.down.map((d) => d.node));
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

/** Read-only, asked first: the permissions a run needs, the namespace's state, and no other run
 * in the way (`reusedRun`: the --keep run a resume reuses). */
async function accessIn(cluster: RunCluster, config: RunConfig, reusedRun?: string): Promise<Access> {
  const { api } = cluster;
  const namespace = config.namespace;
  const context = api.target.contextName;
  // Whether the namespace exists decides what is needed; without "get namespaces" it cannot be
  // known, so everything a new namespace needs is asked for.
  const services = serviceKinds(config).length > 0;
  const all = await api.missingPermissions(requiredPermissions(namespace, false, services));
  const canRead = !all.some((c) => c.resource === "namespaces" && c.verb === "get");
  const existing = canRead ? await namespaceUsable(api, namespace) : undefined;
  const namespaceExists = existing !== undefined;
  const missing = namespaceExists ? await api.missingPermissions(requiredPermissions(namespace, true, services)) : all;
  if (missing.length) return { namespaceExists, missing, user: await api.whoAmI() };
  if (namespaceExists) {
    const refused = podSecurityProblem(existing?.metadata?.labels, floaterNetworks(config.mode));
    if (refused) {
      throw new UsageError(
        `namespace '${namespace}' in context '${context}' would refuse the floaters: ${refused}; ` +
          `use another --namespace (netdoctor labels one it creates as needed) or change the label. nothing was created`,
      );
    }
    const others = (await otherRunsIn(api, namespace)).filter((id) => id !== reusedRun);
    if (others.length) {
      throw new UsageError(
        `namespace '${namespace}' in context '${context}' is in use by another netdoctor run (${others.join(", ")}): ` +
          `wait for it, use another --namespace, or run 'kubectl netdoctor clean -n ${namespace}' if it is stale`,
      );
    }
  }
  return { namespaceExists, missing };
}

/** The image repository of the k-th cluster of a run (the destination may use its own mirror). */
function imageRepositoryOf(config: RunConfig, k: number): string {
  return k === 0 ? config.imageRepository : config.dstImageRepository || config.imageRepository;
}

/** The objects a run creates in the k-th cluster (what --dry-run shows). */
export function floaterSpec(plan: ClusterPlan, k: number, config: RunConfig, runId: string): FloaterSpec {
  const nodes = upNodes(plan.nodes);
  return {
    namespace: config.namespace,
    runId,
    image: imageWithRepository(config.image, imageRepositoryOf(config, k)),
    port: config.port,
    networks: floaterNetworks(config.mode),
    nodeNames: nodes.length === plan.nodes.all.length ? undefined : nodes,
    imagePullSecret: config.imagePullSecret || undefined,
    services: { network: networksOf(config.mode).target, kinds: serviceKinds(config) },
  };
}
