// Spike for issue 16: a REAL node (kubelet + containerd + runc + CNI bridge) in its own network
// namespace, with its own etcd, API server, controller-manager, scheduler and DNS stand-in, apart
// from the test cluster (other names, ports and addresses: rn-*, 10.230.0.0/16, fd7e:7230::/48).
//
//   bun scripts/cluster/realnode-spike.ts [--nodes 1|2]     then: scripts/cluster/realnode-spike-down
//
// Everything lives under /tmp/rn-spike; every PID is in /tmp/rn-spike/pids/*.pid.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { AdminApi } from "./api.ts";
import { ensurePki, type Pki } from "./pki.ts";
import { daemon, run, waitFor } from "./sh.ts";

const CACHE = process.env.NETDOCTOR_CACHE ?? join(homedir(), ".cache", "netdoctor");
const K8S = join(CACHE, `kubernetes-${process.env.K8S_VERSION ?? "v1.36.3"}`);
const BIN = {
  etcd: join(CACHE, `etcd-${process.env.ETCD_VERSION ?? "v3.6.14"}`, "etcd"),
  apiserver: join(K8S, "kube-apiserver"),
  controllerManager: join(K8S, "kube-controller-manager"),
  scheduler: join(K8S, "kube-scheduler"),
  kubelet: join(K8S, "kubelet"),
  containerd: join(CACHE, `containerd-${process.env.CONTAINERD_VERSION ?? "v2.2.9"}`, "containerd"),
  ctr: join(CACHE, `containerd-${process.env.CONTAINERD_VERSION ?? "v2.2.9"}`, "ctr"),
  cniDir: join(CACHE, `cni-plugins-${process.env.CNI_PLUGINS_VERSION ?? "v1.9.1"}`),
  images: [join(CACHE, "images", "busybox-1.37.0.oci.tar"), join(CACHE, "images", "pause-3.10.1.oci.tar")],
  runc: "/usr/sbin/runc",
};

const DIR = "/tmp/rn-spike";
const PIDS = join(DIR, "pids");
const LOGS = join(DIR, "logs");
const BRIDGE = "rn-br0";
const BRIDGE_IP = "10.230.0.1";
const BRIDGE_IP6 = "fd7e:7230::1";
const DNS_IP = "10.230.0.2";
const API_PORT = 6543;
const SERVER = `https://${BRIDGE_IP}:${API_PORT}`;
const SERVICE_CIDR = "10.230.96.0/24";
const ETCD_CLIENT = 23890;
const ETCD_PEER = 23900;
export const SUPERNET = "10.230.0.0/16";
export const SUPERNET6 = "fd7e:7230::/48";

interface RealNode {
  name: string;
  index: number;
  netns: string;
  hostVeth: string;
  ip: string;
  ip6: string;
  podCIDR: string;
  podCIDR6: string;
  dir: string;
}

const realNode = (index: number): RealNode => ({
  name: `rn-n${index}`,
  index,
  netns: `rn-n${index}`,
  hostVeth: `rn-n${index}-h`,
  ip: `10.230.0.${10 + index}`,
  ip6: `fd7e:7230::${10 + index}`,
  podCIDR: `10.230.${index}.0/24`,
  podCIDR6: `fd7e:7230:${index}::/64`,
  dir: join(DIR, `n${index}`),
});

const log = (msg: string) => process.stderr.write(`[rn-spike ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const t0 = Date.now();
const since = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

function started(role: string, pid: number): number {
  writeFileSync(join(PIDS, `${role}.pid`), `${pid}\n`);
  return pid;
}

/** openssl: a cert signed by the spike's CA. */
function signed(pki: Pki, base: string, subject: string, extensions: string): { cert: string; key: string } {
  const cert = join(pki.dir, `${base}.crt`);
  const key = join(pki.dir, `${base}.key`);
  if (existsSync(cert)) return { cert, key };
  writeFileSync(`${cert}.ext`, `${extensions}\n`);
  run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", `${cert}.csr`, "-subj", subject]);
  run(["openssl", "x509", "-req", "-in", `${cert}.csr`, "-CA", pki.ca, "-CAkey", pki.caKey, "-CAcreateserial", "-out", cert, "-days", "3650", "-extfile", `${cert}.ext`]);
  return { cert, key };
}

function kubeconfig(path: string, cert: string, key: string, ca: string): void {
  writeFileSync(path, dump({
    apiVersion: "v1", kind: "Config",
    clusters: [{ name: "rn-spike", cluster: { server: SERVER, "certificate-authority": ca } }],
    users: [{ name: "u", user: { "client-certificate": cert, "client-key": key } }],
    contexts: [{ name: "rn-spike", context: { cluster: "rn-spike", user: "u" } }],
    "current-context": "rn-spike",
  }));
}

const ns = (n: RealNode, cmd: string[], opts: { allowFail?: boolean } = {}) => run(["ip", "netns", "exec", n.netns, ...cmd], opts);

function createNetwork(nodes: RealNode[]): void {
  run(["ip", "route", "add", "blackhole", SUPERNET]);
  run(["ip", "-6", "route", "add", "blackhole", SUPERNET6]);
  run(["ip", "link", "add", BRIDGE, "type", "bridge", "forward_delay", "0"]);
  run(["ip", "addr", "add", `${BRIDGE_IP}/24`, "dev", BRIDGE]);
  run(["ip", "addr", "add", `${DNS_IP}/32`, "dev", BRIDGE]);
  run(["ip", "-6", "addr", "add", `${BRIDGE_IP6}/64`, "dev", BRIDGE, "nodad"]);
  run(["ip", "link", "set", BRIDGE, "up"]);
  for (const n of nodes) {
    run(["ip", "netns", "add", n.netns]);
    run(["ip", "link", "add", n.hostVeth, "type", "veth", "peer", "name", "eth0", "netns", n.netns]);
    run(["ip", "link", "set", n.hostVeth, "master", BRIDGE, "up"]);
    ns(n, ["ip", "link", "set", "lo", "up"]);
    ns(n, ["ip", "addr", "add", `${n.ip}/24`, "dev", "eth0"]);
    ns(n, ["ip", "-6", "addr", "add", `${n.ip6}/64`, "dev", "eth0", "nodad"]);
    ns(n, ["ip", "link", "set", "eth0", "up"]);
    // A node routes its pods: the CNI bridge plugin (isGateway) turns this on too.
    ns(n, ["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]);
    // The DNS stand-in in the root namespace answers pods: their replies go back via the node.
    run(["ip", "route", "add", n.podCIDR, "via", n.ip]);
  }
  for (const n of nodes) {
    for (const p of nodes.filter((x) => x !== n)) {
      ns(n, ["ip", "route", "add", p.podCIDR, "via", p.ip]);
      ns(n, ["ip", "-6", "route", "add", p.podCIDR6, "via", p.ip6]);
    }
  }
}

function startControlPlane(pki: Pki): void {
  started("etcd", daemon([
    BIN.etcd, "--data-dir", join(DIR, "etcd"), "--listen-client-urls", `http://127.0.0.1:${ETCD_CLIENT}`,
    "--advertise-client-urls", `http://127.0.0.1:${ETCD_CLIENT}`, "--listen-peer-urls", `http://127.0.0.1:${ETCD_PEER}`,
    "--initial-advertise-peer-urls", `http://127.0.0.1:${ETCD_PEER}`, "--initial-cluster", `default=http://127.0.0.1:${ETCD_PEER}`,
    "--unsafe-no-fsync",
  ], join(LOGS, "etcd.log")));
  started("apiserver", daemon([
    BIN.apiserver,
    `--etcd-servers=http://127.0.0.1:${ETCD_CLIENT}`, "--etcd-prefix=/rn-spike",
    `--bind-address=${BRIDGE_IP}`, `--advertise-address=${BRIDGE_IP}`, `--secure-port=${API_PORT}`,
    `--tls-cert-file=${pki.apiserverCert}`, `--tls-private-key-file=${pki.apiserverKey}`, `--client-ca-file=${pki.ca}`,
    "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
    `--service-account-key-file=${pki.saPub}`, `--service-account-signing-key-file=${pki.saKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDR}`, "--authorization-mode=Node,RBAC", "--allow-privileged=true",
    "--enable-admission-plugins=NodeRestriction",
    "--kubelet-preferred-address-types=InternalIP",
    // The API server's client identity toward kubelets (exec, logs): system:masters.
    `--kubelet-client-certificate=${pki.adminCert}`, `--kubelet-client-key=${pki.adminKey}`,
    // and it checks the kubelet's serving certificate against the cluster CA.
    `--kubelet-certificate-authority=${pki.ca}`,
    "--profiling=false", "--v=0",
  ], join(LOGS, "apiserver.log")));
}

function startControllers(pki: Pki): void {
  const kc = join(DIR, "admin.kubeconfig");
  started("controller-manager", daemon([
    BIN.controllerManager, `--kubeconfig=${kc}`, "--leader-elect=false",
    `--service-account-private-key-file=${pki.saKey}`, `--root-ca-file=${pki.ca}`,
    "--bind-address=127.0.0.1", "--secure-port=10467", "--controllers=*", "--v=0",
  ], join(LOGS, "controller-manager.log")));
  started("scheduler", daemon([
    BIN.scheduler, `--kubeconfig=${kc}`, "--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port=10468", "--v=0",
    `--authentication-kubeconfig=${kc}`, `--authorization-kubeconfig=${kc}`,
  ], join(LOGS, "scheduler.log")));
  writeFileSync(join(DIR, "dns.json"), JSON.stringify({ suffix: "cluster.local", records: { "kubernetes.default.svc.cluster.local": "10.230.96.1" } }));
  started("dns", daemon([process.execPath, join(import.meta.dir, "dns-server.ts"), `${DNS_IP}=${join(DIR, "dns.json")}`], join(LOGS, "dns.log")));
}

/** What runs in the node's mount namespace: containerd's and the kubelet's paths, all under n.dir. */
function nodeFiles(n: RealNode, pki: Pki): { containerdConfig: string; kubeletConfig: string; kubeconfig: string; socket: string } {
  const d = (...p: string[]) => join(n.dir, ...p);
  for (const sub of ["containerd/root", "containerd/state", "cni/net.d", "cni/ipam", "kubelet", "varlog", "varlib", "run", "sysctl"]) mkdirSync(d(sub), { recursive: true });
  const socket = d("containerd", "containerd.sock");
  const containerdConfig = d("containerd", "config.toml");
  writeFileSync(containerdConfig, `version = 3
root = "${d("containerd/root")}"
state = "${d("containerd/state")}"

[grpc]
  address = "${socket}"

[plugins."io.containerd.internal.v1.opt"]
  path = "${d("containerd/opt")}"

[plugins."io.containerd.nri.v1.nri"]
  disable = true

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"

[plugins."io.containerd.cri.v1.runtime"]
  # Pod network namespaces are bind-mounted under the state dir, not /var/run/netns.
  netns_mounts_under_state_dir = true
  # This machine (a container) lacks CAP_SYS_RESOURCE: a negative oom_score_adj cannot be set,
  # and runc 1.1.5 failed every pod sandbox (-998) with "can't get final child's PID from pipe:
  # EOF". Restricted, the sandbox gets containerd's own score (0) instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["${BIN.cniDir}"]
    conf_dir = "${d("cni/net.d")}"
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = "${BIN.runc}"
        SystemdCgroup = false

[plugins."io.containerd.grpc.v1.cri"]
  # The exec/attach streaming server, which the kubelet proxies to, on the node's loopback.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`);
  writeFileSync(d("cni/net.d/10-rn-pods.conflist"), JSON.stringify({
    cniVersion: "1.0.0",
    name: "rn-pods",
    plugins: [{
      type: "bridge", bridge: "rn-cni0", isGateway: true, ipMasq: false, hairpinMode: true,
      ipam: {
        type: "host-local", dataDir: d("cni/ipam"),
        ranges: [[{ subnet: n.podCIDR }], [{ subnet: n.podCIDR6 }]],
        routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
      },
    }],
  }, null, 2));
  const client = signed(pki, `node-${n.name}`, `/O=system:nodes/CN=system:node:${n.name}`, "extendedKeyUsage=clientAuth");
  const serving = signed(pki, `kubelet-${n.name}`, `/CN=${n.name}`, `subjectAltName=IP:${n.ip},IP:${n.ip6},DNS:${n.name}\nextendedKeyUsage=serverAuth`);
  const kc = d("kubelet.kubeconfig");
  kubeconfig(kc, client.cert, client.key, pki.ca);
  writeFileSync(d("resolv.conf"), `nameserver ${DNS_IP}\n`);
  const kubeletConfig = d("kubelet-config.yaml");
  writeFileSync(kubeletConfig, dump({
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    // This machine's cgroups are v1 (hybrid): kubelet >= 1.35 refuses them unless told.
    failCgroupV1: false,
    cgroupDriver: "cgroupfs",
    // Pods' cgroups under /<node name> in every hierarchy (created and removed by the spike).
    cgroupRoot: `/${n.name}`,
    containerRuntimeEndpoint: `unix://${socket}`,
    address: n.ip,
    port: 10250,
    readOnlyPort: 0,
    healthzBindAddress: "127.0.0.1",
    healthzPort: 10248,
    tlsCertFile: serving.cert,
    tlsPrivateKeyFile: serving.key,
    authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: pki.ca } },
    authorization: { mode: "AlwaysAllow" },
    failSwapOn: false,
    // The kernel tunables the kubelet wants are faked in its mount namespace (see startNode); it
    // must never write the machine-wide ones.
    protectKernelDefaults: true,
    resolvConf: d("resolv.conf"),
    clusterDNS: [DNS_IP],
    clusterDomain: "cluster.local",
    podLogsDir: d("varlog", "pods"),
    evictionHard: { "memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%" },
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    nodeStatusReportFrequency: "10s",
    syncFrequency: "10s",
    maxPods: 20,
  }));
  return { containerdConfig, kubeletConfig, kubeconfig: kc, socket };
}

/** The kubelet's desired kernel tunables (pkg/kubelet/cm setupKernelTunables): faked by bind mounts
 * inside the node's mount namespace, since vm.* and kernel.panic* are machine-wide. */
const KERNEL_TUNABLES: Record<string, string> = {
  "vm/overcommit_memory": "1",
  "vm/panic_on_oom": "0",
  "kernel/panic": "10",
  "kernel/panic_on_oops": "1",
  "kernel/keys/root_maxkeys": "1000000",
  "kernel/keys/root_maxbytes": "25000000",
};

const CGROUP_V1 = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd"];

async function startNode(n: RealNode, pki: Pki): Promise<void> {
  const f = nodeFiles(n, pki);
  // The pods' cgroup root, in every v1 hierarchy (cpuset needs cpus and mems before children).
  for (const c of CGROUP_V1) {
    const p = `/sys/fs/cgroup/${c}/${n.name}`;
    if (existsSync(`/sys/fs/cgroup/${c}`)) mkdirSync(p, { recursive: true });
  }
  for (const k of ["cpuset.cpus", "cpuset.mems"]) {
    writeFileSync(`/sys/fs/cgroup/cpuset/${n.name}/${k}`, readFileSync(`/sys/fs/cgroup/cpuset/${k}`, "utf8"));
  }
  // A holder process owns the node's mount namespace (private: nothing mounted in it is seen
  // outside, and it all goes when its last process ends); it is entered by nsenter, not
  // `ip netns exec`, which would remount /sys and hide /sys/fs/cgroup.
  const holder = started(`${n.name}-holder`, daemon(["nsenter", `--net=/run/netns/${n.netns}`, "unshare", "--mount", "--propagation", "private", "sleep", "infinity"], join(LOGS, `${n.name}-holder.log`)));
  // `nsenter` + `unshare` exec into each other: the PID is the sleep's once it runs.
  await waitFor(`${n.name} mount namespace`, 10_000, () => readFileSync(`/proc/${holder}/comm`, "utf8").trim() === "sleep" || undefined);
  const inNode = (cmd: string[]) => ["nsenter", "-t", String(holder), "-m", "-n", ...cmd];
  const setup: string[] = [
    // containerd's shim sockets (/run/containerd/s) and the kubelet's /var/log/containers links
    // stay inside the node.
    `mount -t tmpfs -o mode=755,size=64m rn-run /run`,
    `mount --bind '${n.dir}/varlog' /var/log`,
    // Paths no flag moves: the kubelet's /var/lib/kubelet/device-plugins socket and libcni's
    // result cache /var/lib/cni (both were written to the machine's /var/lib before this).
    `mount --bind '${n.dir}/varlib' /var/lib`,
  ];
  for (const [k, v] of Object.entries(KERNEL_TUNABLES)) {
    const file = join(n.dir, "sysctl", k.replace(/\//g, "."));
    writeFileSync(file, `${v}\n`);
    setup.push(`mount --bind '${file}' /proc/sys/${k}`);
  }
  run(inNode(["sh", "-ec", setup.join("\n")]));
  started(`${n.name}-containerd`, daemon(inNode([BIN.containerd, "--config", f.containerdConfig, "--log-level", "info"]), join(LOGS, `${n.name}-containerd.log`),
    { PATH: `${BIN.cniDir}:/usr/sbin:/usr/bin:/sbin:/bin` }));
  await waitFor(`${n.name} containerd socket`, 30_000, () => existsSync(f.socket) || undefined);
  for (const image of BIN.images) {
    run(inNode([BIN.ctr, "--address", f.socket, "-n", "k8s.io", "images", "import", "--local", image]));
  }
  log(`${n.name}: containerd up, images imported (${since()})`);
  started(`${n.name}-kubelet`, daemon(inNode([
    BIN.kubelet, `--config=${f.kubeletConfig}`, `--kubeconfig=${f.kubeconfig}`, `--root-dir=${join(n.dir, "kubelet")}`,
    `--hostname-override=${n.name}`, `--node-ip=${n.ip},${n.ip6}`, "--v=1",
  ]), join(LOGS, `${n.name}-kubelet.log`), { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" }));
}

async function main(): Promise<void> {
  const count = Number(process.argv[process.argv.indexOf("--nodes") + 1] ?? 1) || 1;
  if (existsSync(join(DIR, "pids"))) throw new Error(`${DIR}/pids exists: run scripts/cluster/realnode-spike-down first`);
  for (const b of [BIN.etcd, BIN.apiserver, BIN.kubelet, BIN.containerd, BIN.ctr, join(BIN.cniDir, "bridge"), BIN.runc, ...BIN.images]) {
    if (!existsSync(b)) throw new Error(`missing ${b} (scripts/build-cluster-binaries; apt-get install runc)`);
  }
  mkdirSync(PIDS, { recursive: true });
  mkdirSync(LOGS, { recursive: true });
  const nodes = Array.from({ length: count }, (_, i) => realNode(i + 1));
  const pki = ensurePki(join(DIR, "pki"), [BRIDGE_IP, "127.0.0.1", "10.230.96.1"]);
  kubeconfig(join(DIR, "admin.kubeconfig"), pki.adminCert, pki.adminKey, pki.ca);
  writeFileSync(join(DIR, "kubeconfig"), readFileSync(join(DIR, "admin.kubeconfig")));
  createNetwork(nodes);
  startControlPlane(pki);
  const api = new AdminApi(SERVER, pki);
  await waitFor("etcd", 30_000, async () => (await fetch(`http://127.0.0.1:${ETCD_CLIENT}/health`)).ok || undefined);
  await waitFor("kube-apiserver", 90_000, async () => (await api.request("GET", "/readyz")).status === 200 || undefined);
  log(`API server ready (${since()})`);
  startControllers(pki);
  for (const n of nodes) await startNode(n, pki);
  for (const n of nodes) {
    await waitFor(`node ${n.name} registered`, 120_000, async () => (await api.request("GET", `/api/v1/nodes/${n.name}`)).status === 200 || undefined);
    // As the harness does for simulated nodes: the node's pod CIDRs (set once; the CNI config names the same).
    const r = await fetch(`${SERVER}/api/v1/nodes/${n.name}`, {
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify({ spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR, n.podCIDR6] } }),
      tls: { ca: readFileSync(pki.ca, "utf8"), cert: readFileSync(pki.adminCert, "utf8"), key: readFileSync(pki.adminKey, "utf8") },
    } as RequestInit);
    if (!r.ok) throw new Error(`patching ${n.name}'s pod CIDRs: ${r.status} ${await r.text()}`);
  }
  for (const n of nodes) {
    await waitFor(`node ${n.name} Ready`, 180_000, async () => {
      const node = await api.ok("GET", `/api/v1/nodes/${n.name}`);
      return node.status?.conditions?.some((c: any) => c.type === "Ready" && c.status === "True") || undefined;
    });
  }
  await waitFor("default service account", 60_000, async () => (await api.request("GET", "/api/v1/namespaces/default/serviceaccounts/default")).status === 200 || undefined);
  log(`up: ${nodes.map((n) => n.name).join(", ")} Ready (${since()}); kubeconfig ${join(DIR, "kubeconfig")}`);
}

if (import.meta.main) {
  main().catch((err) => {
    log(`failed: ${(err as Error).message} (logs in ${LOGS}; clean up with scripts/cluster/realnode-spike-down)`);
    process.exit(1);
  });
}
