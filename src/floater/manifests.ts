// The objects a run deploys, built from the embedded YAML and the run's settings. Pure.
import type { V1DaemonSet, V1Namespace, V1Service, V1ServiceAccount } from "@kubernetes/client-node";
import { load } from "js-yaml";
import { MANIFESTS } from "./embedded.ts";

export const MANAGED_BY = "app.kubernetes.io/managed-by";
export const MANAGER = "kubectl-netdoctor";
export const RUN_ID = "netdoctor.io/run-id";
export const NETWORK = "netdoctor.io/network";
/** On a namespace netdoctor created (and so may delete). */
export const CREATED_NS = "netdoctor.io/created-namespace";

export type FloaterNetwork = "pod" | "host";

export interface FloaterSpec {
  namespace: string;
  runId: string;
  image: string;
  port: number;
  networks: FloaterNetwork[];
  /** Restrict to these nodes; undefined means every node. */
  nodeNames?: string[];
  imagePullSecret?: string;
  /** Services in front of the floaters of one network (the probes' targets), by kind. */
  services?: { network: FloaterNetwork; kinds: ServiceKind[] };
}

/** cluster: a plain ClusterIP; local: internalTrafficPolicy Local (a node's request is answered
 * by its own floater only); nodeport: a NodePort (externalTrafficPolicy Cluster: each node's own
 * rules take the request to any floater and masquerade it. With Local, kube-proxy sends requests
 * from pod addresses cluster-wide without masquerading them, and the answer of a floater on a
 * third node never finds its way back: found on a real node). */
export type ServiceKind = "cluster" | "local" | "nodeport";

export interface FloaterObjects {
  namespace: V1Namespace;
  serviceAccount: V1ServiceAccount;
  daemonSets: V1DaemonSet[];
  services: V1Service[];
}

export const serviceName = (runId: string, kind: ServiceKind) => `netdoctor-${runId}${kind === "cluster" ? "" : `-${kind}`}`;

export const managedSelector = `${MANAGED_BY}=${MANAGER}`;
export const runSelector = (runId: string) => `${managedSelector},${RUN_ID}=${runId}`;

export function floaterObjects(spec: FloaterSpec): FloaterObjects {
  const runLabels = { [MANAGED_BY]: MANAGER, [RUN_ID]: spec.runId };
  const hostNetwork = spec.networks.includes("host");
  const namespace = load(MANIFESTS.namespace) as V1Namespace;
  namespace.metadata!.name = spec.namespace;
  namespace.metadata!.labels = {
    ...namespace.metadata!.labels,
    ...runLabels,
    [CREATED_NS]: "true",
    // Pod network floaters fit "baseline" (they add no capability); host network is only
    // admitted by "privileged".
    [POD_SECURITY_ENFORCE]: hostNetwork ? "privileged" : "baseline",
  };

  const serviceAccount = load(MANIFESTS.serviceAccount) as V1ServiceAccount;
  serviceAccount.metadata!.name = `netdoctor-${spec.runId}`;
  serviceAccount.metadata!.namespace = spec.namespace;
  serviceAccount.metadata!.labels = { ...serviceAccount.metadata!.labels, ...runLabels };

  const daemonSets = spec.networks.map((network) => daemonSet(spec, network, serviceAccount.metadata!.name!, runLabels));
  const services = (spec.services?.kinds ?? []).map((kind) => service(spec, spec.services!.network, kind, runLabels));
  return { namespace, serviceAccount, daemonSets, services };
}

function service(spec: FloaterSpec, network: FloaterNetwork, kind: ServiceKind, runLabels: Record<string, string>): V1Service {
  const svc = load(MANIFESTS.service) as V1Service;
  svc.metadata = { ...svc.metadata, name: serviceName(spec.runId, kind), namespace: spec.namespace, labels: { ...svc.metadata!.labels, ...runLabels } };
  const s = svc.spec!;
  s.selector = { [RUN_ID]: spec.runId, [NETWORK]: network };
  s.ports = [{ ...s.ports![0]!, port: spec.port }];
  if (kind === "local") s.internalTrafficPolicy = "Local";
  if (kind === "nodeport") s.type = "NodePort";
  return svc;
}

function daemonSet(spec: FloaterSpec, network: FloaterNetwork, serviceAccount: string, runLabels: Record<string, string>): V1DaemonSet {
  const ds = load(MANIFESTS.daemonSet) as V1DaemonSet;
  const name = `netdoctor-${spec.runId}-${network}`;
  const labels = { ...runLabels, [NETWORK]: network, "app.kubernetes.io/name": "netdoctor-floater", "app.kubernetes.io/instance": name };
  ds.metadata = { ...ds.metadata, name, namespace: spec.namespace, labels: { ...ds.metadata!.labels, ...labels } };
  ds.spec!.selector = { matchLabels: { [RUN_ID]: spec.runId, [NETWORK]: network } };
  const pod = ds.spec!.template;
  pod.metadata!.labels = { ...pod.metadata!.labels, ...labels };
  const podSpec = pod.spec!;
  podSpec.serviceAccountName = serviceAccount;
  if (network === "host") {
    podSpec.hostNetwork = true;
    podSpec.dnsPolicy = "ClusterFirstWithHostNet";
  }
  if (spec.imagePullSecret) podSpec.imagePullSecrets = [{ name: spec.imagePullSecret }];
  if (spec.nodeNames) {
    podSpec.affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          // A metadata.name field selector takes one value per term; terms are ORed.
          nodeSelectorTerms: spec.nodeNames.map((name) => ({ matchFields: [{ key: "metadata.name", operator: "In", values: [name] }] })),
        },
      },
    };
  }
  const container = podSpec.containers[0]!;
  container.image = spec.image;
  container.env = [{ name: "FLOATER_PORT", value: String(spec.port) }];
  container.ports = [{ name: "floater", containerPort: spec.port, ...(network === "host" ? { hostPort: spec.port } : {}) }];
  container.readinessProbe = { ...container.readinessProbe, tcpSocket: { port: spec.port } };
  return ds;
}

export const POD_SECURITY_ENFORCE = "pod-security.kubernetes.io/enforce";
const POD_SECURITY_LEVELS = ["restricted", "baseline", "privileged"];

/** Why an existing namespace's Pod Security level refuses the run's floaters, if it does: pod
 * network floaters need "baseline" (they run as root with NET_RAW kept from the runtime's
 * defaults), host network ones "privileged". Without the label the cluster's default applies,
 * which netdoctor cannot read: not refused. Caught before anything is created, since the
 * DaemonSet controller would only record its refused pods as events. */
export function podSecurityProblem(labels: Record<string, string> | undefined, networks: FloaterNetwork[]): string | undefined {
  const level = labels?.[POD_SECURITY_ENFORCE];
  if (!level || !POD_SECURITY_LEVELS.includes(level)) return undefined;
  const needed = networks.includes("host") ? "privileged" : "baseline";
  if (POD_SECURITY_LEVELS.indexOf(level) >= POD_SECURITY_LEVELS.indexOf(needed)) return undefined;
  const why = needed === "privileged" ? "host-network floaters (--mode node, node-to-pod, pod-to-node) are admitted only by" : "the floater is admitted only by";
  return `its Pod Security level is "${level}" (label ${POD_SECURITY_ENFORCE}), and ${why} "${needed}" or above`;
}

/** The image with its registry/repository prefix replaced (mirrors, air-gapped registries). */
export function imageWithRepository(image: string, repository: string): string {
  if (!repository) return image;
  const lastSlash = image.lastIndexOf("/");
  const nameAndTag = lastSlash >= 0 ? image.slice(lastSlash + 1) : image;
  return `${repository.replace(/\/+$/, "")}/${nameAndTag}`;
}
