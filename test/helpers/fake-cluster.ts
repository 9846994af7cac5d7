// A scripted cluster for the engine's unit tests: an API that keeps the objects a run creates,
// nodes whose floaters become ready when the script says, and an exec that answers the probe
// script's calls with recorded busybox output (the pairs `fails` names fail as a silent drop).
// No network, no processes: a run against it takes milliseconds.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { V1DaemonSet, V1Namespace, V1Pod, V1Service, V1ServiceAccount } from "@kubernetes/client-node";
import type { RunCluster } from "../../src/engine/clusters.ts";
import { NETWORK, RUN_ID } from "../../src/floater/manifests.ts";
import type { KubeApi } from "../../src/kube/client.ts";
import type { ExecFn } from "../../src/kube/exec.ts";

export type PodState = "ready" | "creating" | "unacknowledged" | "absent";

export interface FakeOptions {
  /** The run's name for it (as clusterNames gives). */
  name: string;
  context?: string;
  server?: string;
  nodes: string[];
  /** Each node's floater, by the time since its DaemonSet was created (default: ready). */
  pods?: (node: string, elapsedMs: number) => PodState;
  /** Whether a probe from a node's pod to an address fails (silently dropped). */
  fails?: (sourceNode: string, targetIp: string, kind: "i" | "t") => boolean;
  /** Second octet of the pod addresses (10.<k>.<node>.1): clusters apart. */
  subnet?: number;
  /** Replaces an API method: a failure or a hang injected into the cluster. */
  override?: Partial<Record<keyof KubeApi, (...args: never[]) => Promise<unknown>>>;
}

export interface FakeCluster {
  cluster: RunCluster;
  /** Objects that exist now: "namespace/x", "daemonset/ns/x", ... */
  objects: Set<string>;
  /** The pods each exec ran in, in order. */
  execs: string[];
  /** Every API call, by method name. */
  calls: string[];
}

const recorded = JSON.parse(readFileSync(join(import.meta.dir, "..", "fixtures", "busybox-1.37.0", "probes.json"), "utf8")).outcomes;
const answerOf = (key: string) => (recorded[key].line as string).replace(/^@@ \d+ /, "");
const ANSWERS = {
  i: { ok: answerOf("ping success"), fail: answerOf("ping loss (silent drop)") },
  t: { ok: answerOf("tcp success"), fail: answerOf("tcp silent drop") },
};

export function fakeCluster(o: FakeOptions): FakeCluster {
  const objects = new Set<string>();
  const namespaces = new Map<string, V1Namespace>();
  const execs: string[] = [];
  const calls: string[] = [];
  const subnet = o.subnet ?? 0;
  let deployedAt = 0;
  const podIp = (k: number) => `10.${subnet}.${k + 1}.1`;
  const nodeOfIp = new Map(o.nodes.map((n, k) => [podIp(k), n]));
  const podName = (node: string) => `floater-${node}`;
  const pod = (node: string, k: number, runId: string): V1Pod | undefined => {
    const state = (o.pods ?? (() => "ready"))(node, Date.now() - deployedAt);
    if (state === "absent") return undefined;
    return {
      metadata: { name: podName(node), namespace: "netdoctor", labels: { [NETWORK]: "pod", [RUN_ID]: runId }, creationTimestamp: new Date(deployedAt) },
      spec: { nodeName: node, containers: [] },
      status: state === "ready"
        ? { podIP: podIp(k), podIPs: [{ ip: podIp(k) }], hostIPs: [{ ip: `192.168.${subnet}.${k + 1}` }], conditions: [{ type: "Ready", status: "True" }], containerStatuses: [{ name: "floater", image: "", imageID: "", ready: true, restartCount: 0 }] }
        : state === "creating"
          ? { phase: "Pending", containerStatuses: [{ name: "floater", image: "", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } }] }
          : { phase: "Pending" },
    };
  };
  let runId = "";
  const runOf = (selector: string) => /run-id=([a-z0-9]+)/.exec(selector)?.[1] ?? runId;
  const api: Record<string, unknown> = {
    target: { contextName: o.context ?? o.name, server: o.server ?? `https://${o.name}:6443`, files: ["/tmp/kubeconfig"], requestTimeoutMs: 0, impersonateGroups: [] },
    serverVersion: async () => "v1.36.3",
    missingPermissions: async () => [],
    whoAmI: async () => "admin",
    listNodes: async () => o.nodes.map((name) => ({ metadata: { name, labels: {} }, status: { conditions: [{ type: "Ready", status: "True" }] } })),
    readNamespace: async (name: string): Promise<V1Namespace | undefined> => (objects.has(`namespace/${name}`) ? namespaces.get(name) : undefined),
    listNamespaces: async () => [],
    createNamespace: async (ns: V1Namespace) => {
      objects.add(`namespace/${ns.metadata!.name}`);
      namespaces.set(ns.metadata!.name!, ns);
    },
    // What was in it goes with it.
    deleteNamespace: async (name: string) => {
      for (const x of objects) if (x === `namespace/${name}` || x.split("/")[1] === name) objects.delete(x);
    },
    createServiceAccount: async (ns: string, sa: V1ServiceAccount) => void objects.add(`serviceaccount/${ns}/${sa.metadata!.name}`),
    listServiceAccounts: async (ns: string) => [...objects].filter((x) => x.startsWith(`serviceaccount/${ns}/`)).map((x) => ({ metadata: { namespace: ns, name: x.split("/")[2] } })),
    deleteServiceAccount: async (ns: string, name: string) => void objects.delete(`serviceaccount/${ns}/${name}`),
    createDaemonSet: async (ns: string, ds: V1DaemonSet) => {
      objects.add(`daemonset/${ns}/${ds.metadata!.name}`);
      runId = ds.metadata?.labels?.[RUN_ID] ?? "";
      deployedAt = Date.now();
    },
    listDaemonSets: async (ns: string) => [...objects].filter((x) => x.startsWith(`daemonset/${ns}/`)).map((x) => ({ metadata: { namespace: ns, name: x.split("/")[2], labels: { [RUN_ID]: runId } } })),
    deleteDaemonSet: async (ns: string, name: string) => void objects.delete(`daemonset/${ns}/${name}`),
    listPods: async (_ns: string, selector: string, fields?: string) => {
      if (!deployedAt || ![...objects].some((x) => x.startsWith("daemonset/"))) return [];
      const only = fields?.replace("spec.nodeName=", "");
      return o.nodes.flatMap((node, k) => (only && only !== node ? [] : [pod(node, k, runOf(selector))].filter((p): p is V1Pod => !!p)));
    },
    createService: async (ns: string, svc: V1Service) => (objects.add(`service/${ns}/${svc.metadata!.name}`), svc),
    listServices: async () => [],
    deleteService: async (ns: string, name: string) => void objects.delete(`service/${ns}/${name}`),
    nodeLeases: async () => new Map(o.nodes.map((n) => [n, Date.now()])),
    listEndpointSlices: async () => [],
    forceDeletePod: async () => {},
  };
  for (const [method, fn] of Object.entries(api)) {
    if (typeof fn !== "function") continue;
    api[method] = (...args: never[]) => {
      calls.push(method);
      const replaced = o.override?.[method as keyof KubeApi];
      return replaced ? replaced(...args) : (fn as (...a: never[]) => unknown)(...args);
    };
  }
  // The probe script's calls are "(i 12 '10.0.0.5'" or ";t 13 '10.0.0.5' 8889": answered in turn.
  const exec: ExecFn = async (target, command) => {
    execs.push(target.name);
    const source = target.name.replace(/^floater-/, "");
    const script = command[2]!;
    let stdout = "";
    for (const m of script.slice(script.indexOf("\n(")).matchAll(/[(;]([it]) (\d+) '?([0-9a-f.:]+)/g)) {
      const kind = m[1] as "i" | "t";
      const failing = !nodeOfIp.has(m[3]!) ? false : !!o.fails?.(source, m[3]!, kind);
      stdout += `@@ ${m[2]} ${failing ? ANSWERS[kind].fail : ANSWERS[kind].ok}\n`;
    }
    await Bun.sleep(1);
    return { exitCode: 0, stdout, stderr: "" };
  };
  return { cluster: { name: o.name, api: api as unknown as KubeApi, exec }, objects, execs, calls };
}
