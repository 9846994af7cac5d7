// Brings the local test cluster up and down: etcd, one API server + controller-manager + scheduler
// per cluster, a DNS server, and per simulated node a network namespace with its own kwok (the
// kubelet, serving exec) and an HTTP listener on the floater port (the floater container's
// stand-in); real nodes (--real-nodes) run a real kubelet and containerd instead (realnode.ts).
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { dump, load } from "js-yaml";
import { AdminApi } from "./api.ts";
import { createNetwork, leftovers, pidsInOurNetns, removeNetwork } from "./network.ts";
import { ensurePki, type Pki } from "./pki.ts";
import { realNodeContainerPids, realNodeLeftovers, removeRealNodeCgroups, setPodCIDRs, startRealNode } from "./realnode.ts";
import { createDnsService, startKubeProxy, waitServiceRules } from "./services.ts";
import { alive, daemon, run, stop, waitFor } from "./sh.ts";
import {
  BRIDGE_IP, ETCD_CLIENT_PORT, ETCD_PEER_PORT, FLOATER_PORT, KUBELET_PORT,
  allNodes, topology, type ClusterLayout, type NodeLayout, type ScaleShard, type Topology,
} from "./topology.ts";

export const K8S_VERSION = process.env.K8S_VERSION ?? "v1.36.3";
export const ETCD_VERSION = process.env.ETCD_VERSION ?? "v3.6.14";
export const KWOK_VERSION = process.env.KWOK_VERSION ?? "v0.8.0";
/** The floater image's busybox (docker.io/library/busybox:1.37.0), built by build-cluster-binaries. */
export const BUSYBOX_VERSION = process.env.BUSYBOX_VERSION ?? "1.37.0";
export const CONTAINERD_VERSION = process.env.CONTAINERD_VERSION ?? "v2.2.9";
export const CNI_PLUGINS_VERSION = process.env.CNI_PLUGINS_VERSION ?? "v1.9.1";
export const CACHE = process.env.NETDOCTOR_CACHE ?? join(homedir(), ".cache", "netdoctor");
export const STATE_DIR = process.env.NETDOCTOR_TESTCLUSTER_DIR ?? "/tmp/netdoctor-testcluster";
const ROOT = join(import.meta.dir, "..", "..");

export interface UpOptions {
  clusters: 1 | 2;
  nodes: number;
  scale?: number;
  /** Real nodes (kubelet, containerd, runc, CNI) in cluster a beside the simulated ones. */
  realNodes?: number;
}

export interface Fault {
  id: number;
  description: string;
  /** Commands that undo it, run in reverse order by heal. */
  undo: string[][];
  /** Processes to restart on heal (listener-down, kubelet-down). */
  restart?: { node: string; what: "listener" | "kube-proxy" | "kwok" } | { shard: number; what: "shard-kwok" } | { cluster: "a" | "b"; what: "apiserver" } | { what: "dns" };
  /** A node whose link to bring back up, with its routes (link-down). */
  relink?: string;
}

export interface State {
  options: UpOptions;
  kubeconfig: string;
  /** Root-namespace daemons by role. */
  daemons: Record<string, number>;
  /** Per node: its kwok, listener and kube-proxy PIDs; a real node's holder (of its mount
   * namespace), containerd and kubelet instead of kwok and listener. */
  nodes: Record<string, { kwok?: number; listener?: number; proxy?: number; holder?: number; containerd?: number; kubelet?: number }>;
  faults: Fault[];
  startedAt: string;
}

const statePath = () => join(STATE_DIR, "state.json");

export function readState(): State | undefined {
  if (!existsSync(statePath())) return undefined;
  return JSON.parse(readFileSync(statePath(), "utf8")) as State;
}

export function writeState(s: State): void {
  writeFileSync(statePath(), JSON.stringify(s, null, 2));
}

const log = (msg: string) => process.stderr.write(`[testcluster ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

export function binaries() {
  return {
    etcd: join(CACHE, `etcd-${ETCD_VERSION}`, "etcd"),
    apiserver: join(CACHE, `kubernetes-${K8S_VERSION}`, "kube-apiserver"),
    controllerManager: join(CACHE, `kubernetes-${K8S_VERSION}`, "kube-controller-manager"),
    scheduler: join(CACHE, `kubernetes-${K8S_VERSION}`, "kube-scheduler"),
    kubeProxy: join(CACHE, `kubernetes-${K8S_VERSION}`, "kube-proxy"),
    kwok: join(CACHE, `kwok-${KWOK_VERSION}`, "kwok"),
    stages: join(CACHE, `kwok-${KWOK_VERSION}`, "stages"),
    busybox: join(CACHE, `busybox-${BUSYBOX_VERSION}`, "busybox"),
    kubelet: join(CACHE, `kubernetes-${K8S_VERSION}`, "kubelet"),
    containerd: join(CACHE, `containerd-${CONTAINERD_VERSION}`, "containerd"),
    ctr: join(CACHE, `containerd-${CONTAINERD_VERSION}`, "ctr"),
    cniDir: join(CACHE, `cni-plugins-${CNI_PLUGINS_VERSION}`),
    /** The floater's image and containerd's sandbox image, as OCI tarballs (build-cluster-binaries). */
    images: [join(CACHE, "images", `busybox-${BUSYBOX_VERSION}.oci.tar`), join(CACHE, "images", "pause-3.10.1.oci.tar")],
    /** Debian's (it needs cgo and libseccomp to build): scripts/setup installs it. */
    runc: "/usr/sbin/runc",
  };
}

/** Build whatever binary is missing (the script skips what is cached). */
export function ensureBinaries(realNodes: boolean): void {
  const b = binaries();
  if (realNodes && !existsSync(b.runc)) throw new Error(`real nodes need runc at ${b.runc} (scripts/setup installs it: apt-get install runc)`);
  const real = realNodes ? [b.kubelet, b.containerd, b.ctr, `${b.containerd}-shim-runc-v2`, join(b.cniDir, "bridge"), join(b.cniDir, "host-local"), ...b.images] : [];
  if ([b.etcd, b.apiserver, b.controllerManager, b.scheduler, b.kubeProxy, b.kwok, b.busybox, ...real].every(existsSync)) return;
  log("building the cluster binaries from Go modules and busybox's source (first run on this machine; cached afterwards)");
  const r = Bun.spawnSync([join(ROOT, "scripts", "build-cluster-binaries")], { stdout: "inherit", stderr: "inherit" });
  if (r.exitCode !== 0) throw new Error("building the test cluster binaries failed (see the output above)");
}

export async function up(options: UpOptions): Promise<State> {
  const started = Date.now();
  await down({ quiet: true });
  ensureBinaries((options.realNodes ?? 0) > 0);
  mkdirSync(join(STATE_DIR, "logs"), { recursive: true });
  const t = topology(options);
  const pki = ensurePki(join(STATE_DIR, "pki"), [BRIDGE_IP, "127.0.0.1", ...t.clusters.map((c) => c.kubernetesServiceIP)]);
  const state: State = { options, kubeconfig: join(STATE_DIR, "kubeconfig"), daemons: {}, nodes: {}, faults: [], startedAt: new Date().toISOString() };
  writeState(state);

  log(`network: ${allNodes(t).length + (t.scale?.shards.length ?? 0)} node namespaces on a bridge`);
  createNetwork(t);
  writeKubeconfigs(t, pki);
  prepareNodeFiles(t);
  state.daemons.dns = startDns(t);

  const b = binaries();
  state.daemons.etcd = daemon(
    [b.etcd, "--data-dir", join(STATE_DIR, "etcd"), "--listen-client-urls", `http://127.0.0.1:${ETCD_CLIENT_PORT}`,
      "--advertise-client-urls", `http://127.0.0.1:${ETCD_CLIENT_PORT}`, "--listen-peer-urls", `http://127.0.0.1:${ETCD_PEER_PORT}`,
      "--initial-advertise-peer-urls", `http://127.0.0.1:${ETCD_PEER_PORT}`, "--initial-cluster", `default=http://127.0.0.1:${ETCD_PEER_PORT}`,
      "--unsafe-no-fsync", "--quota-backend-bytes", String(4 * 1024 ** 3)],
    join(STATE_DIR, "logs", "etcd.log"),
  );
  writeState(state);
  await waitFor("etcd", 30_000, async () => (await fetch(`http://127.0.0.1:${ETCD_CLIENT_PORT}/health`)).ok || undefined);

  for (const c of t.clusters) state.daemons[`apiserver-${c.id}`] = startApiserver(c, pki, options);
  writeState(state);
  await Promise.all(t.clusters.map((c) => waitApiserverReady(c, pki)));
  log(`API server${t.clusters.length > 1 ? "s" : ""} ready`);
  for (const c of t.clusters) {
    Object.assign(state.daemons, startControllers(c, pki, t.clusters.indexOf(c)));
  }
  writeState(state);

  for (const c of t.clusters) await registerNodes(c, pki, t);
  for (const node of allNodes(t).filter((n) => !n.real)) state.nodes[node.name] = { kwok: startKwok(node), listener: startListener(node) };
  for (const node of allNodes(t).filter((n) => n.real)) {
    const c = t.clusters.find((x) => x.id === node.cluster)!;
    state.nodes[node.name] = await startRealNode(node, c, pki);
    writeState(state);
    await setPodCIDRs(node, new AdminApi(c.server, pki));
    log(`real node ${node.name}: kubelet registered`);
  }
  if (t.scale) {
    await createExecCRD(new AdminApi(t.clusters[0]!.server, pki));
    state.daemons["scale-exec"] = daemon([process.execPath, join(import.meta.dir, "scale-exec.ts")], join(STATE_DIR, "logs", "scale-exec.log"));
  }
  for (const shard of t.scale?.shards ?? []) {
    state.daemons[`kwok-s${shard.index}`] = startShardKwok(shard);
    state.daemons[`listener-s${shard.index}`] = startListener({ netns: shard.netns, name: `s${shard.index}` });
  }
  writeState(state);

  await Promise.all(t.clusters.map((c) => waitNodesReady(c, pki, t)));
  // Scale mode leaves Services out: hundreds of kube-proxies would starve the probes of CPU.
  if (!t.scale) {
    for (const c of t.clusters) await createDnsService(c, pki);
    for (const c of t.clusters) for (const node of c.nodes) state.nodes[node.name]!.proxy = startKubeProxy(node, c);
    writeState(state);
    await Promise.all(t.clusters.flatMap((c) => c.nodes.map((node) => waitServiceRules(node, c))));
  }
  log(`up: ${t.clusters.length} cluster(s), ${allNodes(t).length + (t.scale?.nodes.length ?? 0)} nodes ready in ${((Date.now() - started) / 1000).toFixed(1)}s; kubeconfig ${state.kubeconfig}`);
  return state;
}

export async function down(opts: { quiet?: boolean } = {}): Promise<void> {
  const state = readState();
  const pids = [
    ...Object.values(state?.daemons ?? {}),
    ...Object.values(state?.nodes ?? {}).flatMap((n) => [n.kwok, n.listener, n.proxy, n.kubelet, n.containerd, n.holder]),
  ].filter((p): p is number => typeof p === "number");
  // Anything still running inside our namespaces belongs to the harness too: a real node's
  // containerd shims are in its network namespace, its containers in its cgroups.
  await stop([...pids, ...pidsInOurNetns(), ...realNodeContainerPids()]);
  // A container started while the first round stopped the kubelet and containerd.
  await stop(realNodeContainerPids());
  removeRealNodeCgroups();
  removeNetwork();
  for (const entry of existsSync(STATE_DIR) ? readdirSync(STATE_DIR) : []) {
    if (entry !== "pki") rmSync(join(STATE_DIR, entry), { recursive: true, force: true });
  }
  const left = [...leftovers(), ...realNodeLeftovers()];
  if (left.length) throw new Error(`down left these behind: ${left.join("; ")}`);
  if (!opts.quiet) log("down: no process, namespace, link or route of the test cluster is left");
}

function writeKubeconfigs(t: Topology, pki: Pki): void {
  const user = (name: string, cert: string, key: string) => ({ name, user: { "client-certificate": cert, "client-key": key } });
  const clusters = t.clusters.map((c) => ({ name: c.context, cluster: { server: c.server, "certificate-authority": pki.ca } }));
  const contexts = t.clusters.flatMap((c) => [
    { name: c.context, context: { cluster: c.context, user: "netdoctor-admin" } },
    { name: `${c.context}-limited`, context: { cluster: c.context, user: "netdoctor-limited" } },
  ]);
  const users = [user("netdoctor-admin", pki.adminCert, pki.adminKey), user("netdoctor-limited", pki.limitedCert, pki.limitedKey)];
  const doc = { apiVersion: "v1", kind: "Config", clusters, users, contexts, "current-context": t.clusters[0]!.context };
  writeFileSync(join(STATE_DIR, "kubeconfig"), dump(doc));
  // One single-context file per cluster for the components.
  for (const c of t.clusters) {
    writeFileSync(componentKubeconfig(c), dump({ ...doc, "current-context": c.context }));
  }
}

export const componentKubeconfig = (c: ClusterLayout) => join(STATE_DIR, `admin-${c.id}.kubeconfig`);

/** Tool directory (busybox applets, as in the floater image), resolv.conf and kwok config. */
function prepareNodeFiles(t: Topology): void {
  const tools = join(STATE_DIR, "tools");
  mkdirSync(tools, { recursive: true });
  run([binaries().busybox, "--install", "-s", tools]);
  mkdirSync(join(STATE_DIR, "www"), { recursive: true });
  writeFileSync(join(STATE_DIR, "www", "index.html"), "OK\n");
  const stages = binaries().stages;
  const stageFiles = [
    join(stages, "node", "fast", "node-initialize.yaml"),
    join(stages, "node", "heartbeat-with-lease", "node-heartbeat-with-lease.yaml"),
    join(stages, "pod", "fast", "pod-ready.yaml"),
    join(stages, "pod", "fast", "pod-complete.yaml"),
    join(stages, "pod", "fast", "pod-delete.yaml"),
  ].map((f) => readFileSync(f, "utf8"));
  const exec = dump({ apiVersion: "kwok.x-k8s.io/v1alpha1", kind: "ClusterExec", metadata: { name: "local" }, spec: execSpec() });
  writeFileSync(join(STATE_DIR, "kwok.yaml"), [...stageFiles, exec].join("\n---\n"));
  if (t.scale) {
    // A shard's kwok finds each pod's Exec (its node's group) among the API server's objects
    // (scale-exec.ts), and marks a pod Ready only once it has one: no ClusterExec to fall back
    // on, so an exec that would leave from the shard's address fails instead.
    const gated = stageFiles.map((f) => {
      const stage = load(f) as any;
      return stage.metadata.name === "pod-ready" ? dump(waitForExecGroup(stage)) : f;
    });
    writeFileSync(join(STATE_DIR, "kwok-scale.yaml"), gated.join("\n---\n"));
  }
  for (const c of t.clusters) {
    // The kube-dns Service, as a kubelet writes it (scale mode has no kube-proxy: the server itself).
    writeFileSync(join(STATE_DIR, `resolv-${c.id}.conf`), `nameserver ${t.scale ? c.dnsIP : c.dnsServiceIP}\nsearch default.svc.cluster.local svc.cluster.local cluster.local\noptions ndots:5\n`);
    writeFileSync(join(STATE_DIR, `dns-${c.id}.json`), JSON.stringify({
      suffix: "cluster.local",
      records: { "kubernetes.default.svc.cluster.local": c.kubernetesServiceIP },
    }));
  }
}

/** A node whose pods take `seconds` to start, as when its kubelet pulls the image: kwok's
 * general pod stages (the pod is acknowledged at once, ContainerCreating, its IP assigned) with
 * no jitter and the given delay before Ready. Written as its own kwok config; gives the name.
 * `scale`: a shard's kwok (Ready once the pod's Exec exists, no ClusterExec). */
export function slowKwokConfig(node: string, seconds: number, scale = false): string {
  const stages = binaries().stages;
  const general = (name: string, delayMs: number) => {
    const stage = load(readFileSync(join(stages, "pod", "general", `${name}.yaml`), "utf8")) as any;
    stage.spec.delay = { durationMilliseconds: delayMs };
    return dump(scale && name === "pod-ready" ? waitForExecGroup(stage) : stage);
  };
  const fast = (name: string) => readFileSync(join(stages, "pod", "fast", `${name}.yaml`), "utf8");
  const node_ = (dir: string, name: string) => readFileSync(join(stages, "node", dir, `${name}.yaml`), "utf8");
  const exec = dump({ apiVersion: "kwok.x-k8s.io/v1alpha1", kind: "ClusterExec", metadata: { name: "local" }, spec: execSpec() });
  const name = `kwok-slow-${node}.yaml`;
  writeFileSync(join(STATE_DIR, name), [
    node_("fast", "node-initialize"), node_("heartbeat-with-lease", "node-heartbeat-with-lease"),
    general("pod-create", 0), general("pod-ready", seconds * 1000), fast("pod-complete"), fast("pod-delete"), ...(scale ? [] : [exec]),
  ].join("\n---\n"));
  return name;
}

/** How kwok runs an exec (a ClusterExec's or a scale pod's Exec spec): as a child of kwok, PATH
 * starting at the busybox applets, with the given group (a scale node's; see network.ts). */
export function execSpec(gid?: number) {
  const envs = [{ name: "PATH", value: `${join(STATE_DIR, "tools")}:/usr/sbin:/usr/bin:/sbin:/bin` }];
  return { execs: [{ local: { workDir: "/", envs, ...(gid ? { securityContext: { runAsGroup: gid } } : {}) } }] };
}

/** The annotation scale-exec.ts sets on a scale pod once its Exec exists (value: the group). */
export const EXEC_GROUP_ANNOTATION = "netdoctor.test/exec-group";

function waitForExecGroup(stage: any): any {
  stage.spec.selector.matchExpressions.push({ key: `.metadata.annotations["${EXEC_GROUP_ANNOTATION}"]`, operator: "Exists" });
  return stage;
}

/** kwok's Exec resource, served by the API server for the shards' kwok (--enable-crds=Exec). Its
 * schema is left open: kwok alone reads it. */
async function createExecCRD(api: AdminApi): Promise<void> {
  await api.ok("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: "execs.kwok.x-k8s.io" },
    spec: {
      group: "kwok.x-k8s.io",
      names: { kind: "Exec", listKind: "ExecList", plural: "execs", singular: "exec" },
      scope: "Namespaced",
      versions: [{ name: "v1alpha1", served: true, storage: true, schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } } }],
    },
  });
  await waitFor("kwok's Exec resource", 30_000, async () => {
    const crd = await api.ok("GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/execs.kwok.x-k8s.io");
    return (crd.status?.conditions ?? []).some((k: any) => k.type === "Established" && k.status === "True") || undefined;
  });
}

export function startDns(t: Topology): number {
  const args = t.clusters.map((c) => `${c.dnsIP}=${join(STATE_DIR, `dns-${c.id}.json`)}`);
  return daemon([process.execPath, join(import.meta.dir, "dns-server.ts"), ...args], join(STATE_DIR, "logs", "dns.log"));
}

function waitApiserverReady(c: ClusterLayout, pki: Pki): Promise<true> {
  return waitFor(`kube-apiserver ${c.id}`, 90_000, async () => {
    const r = await new AdminApi(c.server, pki).request("GET", "/readyz");
    return r.status === 200 || undefined;
  });
}

/** Start a cluster's API server again (after the apiserver-down fault) and wait until it serves. */
export async function restartApiserver(clusterId: "a" | "b"): Promise<number> {
  const state = readState()!;
  const c = topologyFromState(state).clusters.find((x) => x.id === clusterId)!;
  const pki = ensurePki(join(STATE_DIR, "pki"), []);
  const pid = startApiserver(c, pki, state.options);
  await waitApiserverReady(c, pki);
  return pid;
}

function startApiserver(c: ClusterLayout, pki: Pki, options: UpOptions): number {
  const big = (options.scale ?? 0) > 0;
  return daemon([
    binaries().apiserver,
    `--etcd-servers=http://127.0.0.1:${ETCD_CLIENT_PORT}`, `--etcd-prefix=${c.etcdPrefix}`,
    `--bind-address=${BRIDGE_IP}`, `--advertise-address=${BRIDGE_IP}`, `--secure-port=${c.apiPort}`,
    `--tls-cert-file=${pki.apiserverCert}`, `--tls-private-key-file=${pki.apiserverKey}`, `--client-ca-file=${pki.ca}`,
    `--service-account-issuer=https://kubernetes.default.svc.cluster.local`,
    `--service-account-key-file=${pki.saPub}`, `--service-account-signing-key-file=${pki.saKey}`,
    `--service-cluster-ip-range=${c.serviceCIDR}`, "--authorization-mode=Node,RBAC", "--allow-privileged=true",
    "--kubelet-preferred-address-types=InternalIP",
    `--kubelet-client-certificate=${pki.adminCert}`, `--kubelet-client-key=${pki.adminKey}`,
    ...(big ? ["--max-requests-inflight=2000", "--max-mutating-requests-inflight=1000"] : []),
    "--profiling=false", "--v=0",
  ], join(STATE_DIR, "logs", `apiserver-${c.id}.log`));
}

function startControllers(c: ClusterLayout, pki: Pki, index: number): Record<string, number> {
  const kubeconfig = componentKubeconfig(c);
  const cm = daemon([
    binaries().controllerManager, `--kubeconfig=${kubeconfig}`, "--leader-elect=false",
    `--service-account-private-key-file=${pki.saKey}`, `--root-ca-file=${pki.ca}`,
    "--bind-address=127.0.0.1", `--secure-port=${10357 + index * 2}`, "--controllers=*", "--v=0",
    "--concurrent-daemonset-syncs=4", "--kube-api-qps=200", "--kube-api-burst=400",
  ], join(STATE_DIR, "logs", `controller-manager-${c.id}.log`));
  const scheduler = daemon([
    binaries().scheduler, `--kubeconfig=${kubeconfig}`, "--leader-elect=false",
    "--bind-address=127.0.0.1", `--secure-port=${10358 + index * 2}`, "--v=0",
    `--authentication-kubeconfig=${kubeconfig}`, `--authorization-kubeconfig=${kubeconfig}`,
  ], join(STATE_DIR, "logs", `scheduler-${c.id}.log`));
  return { [`controller-manager-${c.id}`]: cm, [`scheduler-${c.id}`]: scheduler };
}

function nodeObject(name: string, ips: string[], podCIDRs: string[], labels: Record<string, string>) {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64", type: "kwok", ...labels },
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
    },
    spec: { podCIDR: podCIDRs[0], podCIDRs },
    // Node status may be set on create, as a kubelet registers; kwok keeps these addresses.
    status: { addresses: [...ips.map((address) => ({ type: "InternalIP", address })), { type: "Hostname", address: name }] },
  };
}

async function registerNodes(c: ClusterLayout, pki: Pki, t: Topology): Promise<void> {
  const api = new AdminApi(c.server, pki);
  // A real node's kubelet registers its Node itself.
  const objects = c.nodes.filter((n) => !n.real).map((n) => nodeObject(n.name, [n.ip, n.ip6], [n.podCIDR, n.podCIDR6], { "netdoctor.test/cluster": c.id }));
  if (t.scale && c.id === "a") {
    objects.push(...t.scale.nodes.map((n) => nodeObject(n.name, [n.ip], [n.podCIDR], { "netdoctor.test/cluster": c.id, "netdoctor.test/shard": String(n.shard) })));
  }
  // Bounded parallelism: 500 nodes in batches of 25.
  for (let i = 0; i < objects.length; i += 25) {
    await Promise.all(objects.slice(i, i + 25).map((o) => api.ok("POST", "/api/v1/nodes", o)));
  }
}

function kwokArgs(kubeconfig: string, config: string, extra: string[]): string[] {
  const pki = join(STATE_DIR, "pki");
  return [
    binaries().kwok, `--kubeconfig=${kubeconfig}`, `--config=${join(STATE_DIR, config)}`,
    `--node-port=${KUBELET_PORT}`, `--tls-cert-file=${join(pki, "kubelet.crt")}`, `--tls-private-key-file=${join(pki, "kubelet.key")}`,
    "--node-lease-duration-seconds=40", ...extra,
  ];
}

/** kwok runs inside the node's namespace, in its own PID and mount namespace (so a probe cannot
 * nsenter out of it), with the node's resolv.conf bound over /etc/resolv.conf. */
function inNodeSandbox(netns: string, resolv: string, cmd: string[]): string[] {
  const quoted = cmd.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  return ["ip", "netns", "exec", netns, "unshare", "--pid", "--fork", "--kill-child", "--mount-proc",
    "sh", "-c", `mount --bind '${resolv}' /etc/resolv.conf && exec ${quoted}`];
}

/** `config`: kwok.yaml, or a slow node's (slowKwokConfig). */
export function startKwok(node: NodeLayout, config = "kwok.yaml"): number {
  const cluster = topologyFromState().clusters.find((c) => c.id === node.cluster)!;
  const cmd = kwokArgs(componentKubeconfig(cluster), config, [
    `--manage-single-node=${node.name}`, `--node-name=${node.name}`, `--node-ip=${node.ip}`, `--server-address=${node.ip}:${KUBELET_PORT}`,
  ]);
  return daemon(inNodeSandbox(node.netns, join(STATE_DIR, `resolv-${node.cluster}.conf`), cmd), join(STATE_DIR, "logs", `kwok-${node.name}.log`));
}

export function startShardKwok(shard: ScaleShard, config = "kwok-scale.yaml"): number {
  const a = topologyFromState().clusters[0]!;
  const cmd = kwokArgs(componentKubeconfig(a), config, [
    `--manage-nodes-with-label-selector=netdoctor.test/shard=${shard.index}`, `--server-address=0.0.0.0:${KUBELET_PORT}`, "--enable-crds=Exec",
  ]);
  return daemon(inNodeSandbox(shard.netns, join(STATE_DIR, "resolv-a.conf"), cmd), join(STATE_DIR, "logs", `kwok-s${shard.index}.log`));
}

export function startListener(node: { netns: string; name: string }): number {
  return daemon(["ip", "netns", "exec", node.netns, binaries().busybox, "httpd", "-f", "-p", String(FLOATER_PORT), "-h", join(STATE_DIR, "www")],
    join(STATE_DIR, "logs", `listener-${node.name}.log`));
}

async function waitNodesReady(c: ClusterLayout, pki: Pki, t: Topology): Promise<void> {
  const api = new AdminApi(c.server, pki);
  const expected = c.nodes.length + (t.scale && c.id === "a" ? t.scale.nodes.length : 0);
  await waitFor(`${expected} Ready nodes in cluster ${c.id}`, 120_000, async () => {
    const list = await api.ok("GET", "/api/v1/nodes");
    const ready = (list.items as any[]).filter((n) => n.status?.conditions?.some((k: any) => k.type === "Ready" && k.status === "True"));
    return ready.length >= expected || undefined;
  });
  // The namespace controller and service account controller must be running before tests create namespaces.
  await waitFor(`default service account in cluster ${c.id}`, 60_000, async () => (await api.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")).status === 200 || undefined);
}

export function topologyFromState(state = readState()): Topology {
  if (!state) throw new Error("the test cluster is not up (run: scripts/testcluster up)");
  return topology(state.options);
}

export function adminApi(clusterId: "a" | "b" = "a"): AdminApi {
  const t = topologyFromState();
  const c = t.clusters.find((x) => x.id === clusterId);
  if (!c) throw new Error(`cluster ${clusterId} is not up`);
  return new AdminApi(c.server, ensurePki(join(STATE_DIR, "pki"), []));
}

export function daemonsAlive(state: State): string[] {
  const dead: string[] = [];
  for (const [role, pid] of Object.entries(state.daemons)) if (!alive(pid)) dead.push(role);
  // A real node's runtime and kubelet: without them its pods stop (faults never kill these).
  for (const [node, p] of Object.entries(state.nodes)) {
    for (const role of ["holder", "containerd", "kubelet"] as const) if (p[role] && !alive(p[role]!)) dead.push(`${role}-${node}`);
  }
  return dead;
}
