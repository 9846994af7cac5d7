// The few API calls netdoctor makes, behind one narrow interface; the only module (with exec.ts)
// that talks to the API server.
import {
  AppsV1Api,
  AuthenticationV1Api,
  AuthorizationV1Api,
  CoordinationV1Api,
  CoreV1Api,
  createConfiguration,
  ServerConfiguration,
  VersionApi,
  type V1DaemonSet,
  type V1Namespace,
  type V1Node,
  DiscoveryV1Api,
  type V1EndpointSlice,
  type V1Pod,
  type V1Service,
  type V1ServiceAccount,
} from "@kubernetes/client-node";
import { ClusterError } from "../errors.ts";
import { apiFailure, clusterError, isBug } from "./errors.ts";
import type { ClusterTarget } from "./kubeconfig.ts";

export interface AccessCheck {
  verb: string;
  resource: string;
  subresource?: string;
  group?: string;
  namespace?: string;
}

export interface KubeApi {
  readonly target: ClusterTarget;
  serverVersion(): Promise<string>;
  /** The checks the current user may NOT do. */
  missingPermissions(checks: AccessCheck[]): Promise<AccessCheck[]>;
  /** The user name the API server sees (SelfSubjectReview), if it says. */
  whoAmI(): Promise<string | undefined>;
  listNodes(labelSelector?: string): Promise<V1Node[]>;
  readNamespace(name: string): Promise<V1Namespace | undefined>;
  listNamespaces(labelSelector: string): Promise<V1Namespace[]>;
  createNamespace(ns: V1Namespace): Promise<void>;
  deleteNamespace(name: string): Promise<void>;
  createServiceAccount(ns: string, sa: V1ServiceAccount): Promise<void>;
  listServiceAccounts(ns: string | undefined, labelSelector: string): Promise<V1ServiceAccount[]>;
  deleteServiceAccount(ns: string, name: string): Promise<void>;
  createDaemonSet(ns: string, ds: V1DaemonSet): Promise<void>;
  listDaemonSets(ns: string | undefined, labelSelector: string): Promise<V1DaemonSet[]>;
  deleteDaemonSet(ns: string, name: string): Promise<void>;
  listPods(ns: string | undefined, labelSelector: string, fieldSelector?: string): Promise<V1Pod[]>;
  createService(ns: string, svc: V1Service): Promise<V1Service>;
  listServices(ns: string | undefined, labelSelector: string): Promise<V1Service[]>;
  deleteService(ns: string, name: string): Promise<void>;
  /** When each node's kubelet last renewed its lease (ms since the epoch); undefined when the
   * user may not read leases (callers then assume every kubelet alive). */
  nodeLeases(): Promise<Map<string, number> | undefined>;
  /** The EndpointSlices of a Service. */
  listEndpointSlices(ns: string, service: string): Promise<V1EndpointSlice[]>;
  /** Remove the pod object at once (grace period 0): for floaters on a node that is gone. */
  forceDeletePod(ns: string, name: string): Promise<void>;
}

export function createKubeApi(target: ClusterTarget): KubeApi {
  const kc = target.kubeConfig;
  const cluster = kc.getCurrentCluster()!;
  const config = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: kc },
    promiseMiddleware: [
      {
        pre: async (ctx) => {
          // Each request on its own clock; exec streams do not pass here (exec.ts has their deadlines).
          if (target.requestTimeoutMs > 0) ctx.setSignal(AbortSignal.timeout(target.requestTimeoutMs));
          if (target.impersonateGroups[0]) ctx.setHeaderParam("Impersonate-Group", target.impersonateGroups[0]);
          return ctx;
        },
        post: async (ctx) => ctx,
      },
    ],
  });
  const core = new CoreV1Api(config);
  const apps = new AppsV1Api(config);
  const authz = new AuthorizationV1Api(config);
  const authn = new AuthenticationV1Api(config);
  const discovery = new DiscoveryV1Api(config);
  const coordination = new CoordinationV1Api(config);
  const version = new VersionApi(config);

  /** Run one API call. A failure with one of the `expected` HTTP statuses gives undefined; any
   * other answer or network failure becomes a ClusterError naming the context and the action;
   * a bug in our own code stays a bug. */
  const attempt = async <T>(doing: string, fn: () => Promise<T>, expected: number[]): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ClusterError || isBug(err)) throw err;
      if (expected.includes(apiFailure(err).status ?? -1)) return undefined;
      throw clusterError(err, target, doing);
    }
  };
  const call = async <T>(doing: string, fn: () => Promise<T>): Promise<T> => (await attempt(doing, fn, [])) as T;
  /** Deletes tolerate "already gone": clean must be safe to run twice. */
  const remove = async (doing: string, fn: () => Promise<unknown>): Promise<void> => void (await attempt(doing, fn, [404]));
  const bg = { propagationPolicy: "Background" };

  return {
    target,
    serverVersion: () => call("reading the server version", async () => (await version.getCode()).gitVersion),
    missingPermissions: (checks) =>
      call("checking permissions", async () => {
        const answers = await Promise.all(
          checks.map(async (c) => {
            const review = await authz.createSelfSubjectAccessReview({
              body: { spec: { resourceAttributes: { ...c } } },
            });
            return review.status?.allowed ? undefined : c;
          }),
        );
        return answers.filter((a): a is AccessCheck => a !== undefined);
      }),
    // Only words a hint: a server without the API (older than 1.28) or a refusal says nothing.
    whoAmI: async () => (await attempt("asking who the user is", () => authn.createSelfSubjectReview({ body: {} }), [403, 404]))?.status?.userInfo?.username,
    listNodes: (labelSelector) => call("listing nodes", async () => (await core.listNode({ labelSelector })).items),
    readNamespace: (name) => attempt(`reading namespace ${name}`, () => core.readNamespace({ name }), [404]),
    listNamespaces: (labelSelector) => call("listing namespaces", async () => (await core.listNamespace({ labelSelector })).items),
    createNamespace: (ns) => call(`creating namespace ${ns.metadata?.name}`, async () => void (await core.createNamespace({ body: ns }))),
    deleteNamespace: (name) => remove(`deleting namespace ${name}`, () => core.deleteNamespace({ name, ...bg })),
    createServiceAccount: (ns, sa) =>
      call(`creating service account ${ns}/${sa.metadata?.name}`, async () => void (await core.createNamespacedServiceAccount({ namespace: ns, body: sa }))),
    listServiceAccounts: (ns, labelSelector) =>
      call("listing service accounts", async () =>
        ns ? (await core.listNamespacedServiceAccount({ namespace: ns, labelSelector })).items : (await core.listServiceAccountForAllNamespaces({ labelSelector })).items,
      ),
    deleteServiceAccount: (ns, name) => remove(`deleting service account ${ns}/${name}`, () => core.deleteNamespacedServiceAccount({ namespace: ns, name })),
    createDaemonSet: (ns, ds) =>
      call(`creating daemonset ${ns}/${ds.metadata?.name}`, async () => void (await apps.createNamespacedDaemonSet({ namespace: ns, body: ds }))),
    listDaemonSets: (ns, labelSelector) =>
      call("listing daemonsets", async () =>
        ns ? (await apps.listNamespacedDaemonSet({ namespace: ns, labelSelector })).items : (await apps.listDaemonSetForAllNamespaces({ labelSelector })).items,
      ),
    deleteDaemonSet: (ns, name) => remove(`deleting daemonset ${ns}/${name}`, () => apps.deleteNamespacedDaemonSet({ namespace: ns, name, ...bg })),
    listPods: (ns, labelSelector, fieldSelector) =>
      call("listing pods", async () =>
        ns ? (await core.listNamespacedPod({ namespace: ns, labelSelector, fieldSelector })).items : (await core.listPodForAllNamespaces({ labelSelector, fieldSelector })).items,
      ),
    createService: (ns, svc) => call(`creating service ${ns}/${svc.metadata?.name}`, () => core.createNamespacedService({ namespace: ns, body: svc })),
    listServices: (ns, labelSelector) =>
      call("listing services", async () =>
        ns ? (await core.listNamespacedService({ namespace: ns, labelSelector })).items : (await core.listServiceForAllNamespaces({ labelSelector })).items,
      ),
    deleteService: (ns, name) => remove(`deleting service ${ns}/${name}`, () => core.deleteNamespacedService({ namespace: ns, name })),
    nodeLeases: async () => {
      const leases = await attempt("listing the nodes' leases", async () => (await coordination.listNamespacedLease({ namespace: "kube-node-lease" })).items, [403, 404]);
      if (!leases) return undefined;
      return new Map(leases.map((l) => [l.metadata!.name!, l.spec?.renewTime ? new Date(l.spec.renewTime).getTime() : 0]));
    },
    listEndpointSlices: (ns, service) =>
      call(`listing the endpoints of service ${ns}/${service}`, async () =>
        (await discovery.listNamespacedEndpointSlice({ namespace: ns, labelSelector: `kubernetes.io/service-name=${service}` })).items),
    forceDeletePod: (ns, name) => remove(`deleting pod ${ns}/${name}`, () => core.deleteNamespacedPod({ namespace: ns, name, gracePeriodSeconds: 0 })),
  };
}
