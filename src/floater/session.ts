// Floaters up: choose the nodes, check permissions, deploy, register their removal, wait.
import type { Settings } from "../config/settings.ts";
import { UsageError } from "../errors.ts";
import type { KubeApi } from "../kube/client.ts";
import type { Lifecycle } from "../cli/lifecycle.ts";
import { networksOf } from "../probe/plan.ts";
import type { Progress } from "../report/progress.ts";
import { checkPermissions, deployFloaters, namespaceUsable, otherRunsIn, removeDeployment } from "./deploy.ts";
import { imageWithRepository, type FloaterNetwork } from "./manifests.ts";
import { selectNodes } from "./select.ts";
import { waitForFloaters, type WaitResult } from "./wait.ts";

export interface FloatersUp extends WaitResult {
  runId: string;
  nodesTotal: number;
  nodesSelected: string[];
}

export interface NodeChoice {
  all: string[];
  selected: string[];
}

/** The nodes to check in each cluster. A name given to --nodes/--exclude-nodes must exist in one
 * of the clusters; each cluster applies the names it has (another cluster's names do not narrow it). */
export async function chooseNodes(apis: KubeApi[], settings: Settings): Promise<NodeChoice[]> {
  const listed = await Promise.all(apis.map(async (api) => {
    const all = (await api.listNodes()).map((n) => n.metadata!.name!);
    const matching = settings.nodeSelector ? (await api.listNodes(settings.nodeSelector)).map((n) => n.metadata!.name!) : all;
    return { api, all, matching };
  }));
  if (listed.length === 1) {
    const [{ api, all, matching }] = listed as [(typeof listed)[0]];
    return [{ all, selected: selectNodes(matching, settings, api.target.contextName) }];
  }
  const everywhere = new Set(listed.flatMap((l) => l.all));
  const unknown = [...settings.nodes, ...settings.excludeNodes].filter((n) => !everywhere.has(n));
  if (unknown.length) selectNodes([...everywhere], { nodes: unknown, excludeNodes: [] }, listed.map((l) => l.api.target.contextName).join("' or '"));
  return listed.map(({ api, all, matching }) => {
    const own = (names: string[]) => names.filter((n) => all.includes(n));
    return { all, selected: selectNodes(matching, { nodes: own(settings.nodes), excludeNodes: own(settings.excludeNodes) }, api.target.contextName) };
  });
}

export async function bringUpFloaters(
  api: KubeApi,
  settings: Settings,
  life: Lifecycle,
  progress: Progress,
  o: { runId: string; imageRepository: string; nodes: NodeChoice },
): Promise<FloatersUp> {
  const context = api.target.contextName;
  const nodes = o.nodes.selected;
  const { source, target } = networksOf(settings.mode);
  const networks = [...new Set<FloaterNetwork>([source, target])];

  const namespaceExists = await namespaceUsable(api, settings.namespace);
  if (namespaceExists) {
    const others = await otherRunsIn(api, settings.namespace);
    if (others.length) {
      throw new UsageError(
        `namespace '${settings.namespace}' in context '${context}' is in use by another netdoctor run (${others.join(", ")}): ` +
          `wait for it, use another --namespace, or run 'kubectl netdoctor clean -n ${settings.namespace}' if it is stale`,
      );
    }
  }
  await checkPermissions(api, settings.namespace, namespaceExists);

  const runId = o.runId;
  progress.phase(`deploying floaters on ${nodes.length} node${nodes.length === 1 ? "" : "s"} (context '${context}', namespace '${settings.namespace}')`);
  await deployFloaters(api, {
    namespace: settings.namespace,
    runId,
    image: imageWithRepository(settings.image, o.imageRepository),
    port: settings.port,
    networks,
    nodeNames: nodes.length === o.nodes.all.length ? undefined : nodes,
    imagePullSecret: settings.imagePullSecret || undefined,
  }, namespaceExists, (d) => {
    if (!settings.keep) {
      life.defer(`removing the floaters of run ${runId} in context '${context}'`, async () => {
        progress.phase(`removing the floaters (context '${context}')`);
        await removeDeployment(d);
        progress.done(`removed the floaters (context '${context}')`);
      });
    }
  });

  progress.phase(`waiting for ${nodes.length * networks.length} floaters to be ready (up to ${settings.podWaitTimeout}s)`);
  const waited = await waitForFloaters(api, {
    namespace: settings.namespace,
    runId,
    nodes,
    networks,
    timeoutMs: settings.podWaitTimeout * 1000,
    signal: life.signal,
    onProgress: (ready, total) => progress.update(`waiting for floaters: ${ready}/${total} ready`),
  });
  progress.done(`${waited.ready.length} floaters ready${waited.notReady.length ? `, ${waited.notReady.length} not ready` : ""}`);
  return { ...waited, runId, nodesTotal: o.nodes.all.length, nodesSelected: nodes };
}

/** Floaters a previous run left with --keep, if every one needed is still there and ready. */
export async function keptFloaters(api: KubeApi, o: { namespace: string; runId: string; nodes: string[]; networks: FloaterNetwork[] }): Promise<WaitResult | undefined> {
  if (!(await api.readNamespace(o.namespace))) return undefined;
  const found = await waitForFloaters(api, { ...o, timeoutMs: 0 });
  return found.notReady.length === 0 ? found : undefined;
}
