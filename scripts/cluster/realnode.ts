// A real node's lifecycle in the test cluster: kubelet, containerd, runc and the CNI bridge and
// host-local plugins, in the node's network namespace (made by network.ts like a simulated node's)
// and in a private mount namespace of its own. Start, and everything down needs to leave no
// container, pod sandbox, CNI allocation, mount or cgroup behind. Findings behind each setting:
// docs/test-cluster.md, "Real nodes".
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { dump } from "js-yaml";
import { AdminApi } from "./api.ts";
import { binaries, STATE_DIR } from "./harness.ts";
import { kubeletCerts, type Pki } from "./pki.ts";
import { daemon, run, waitFor } from "./sh.ts";
import { KUBELET_PORT, PREFIX, type ClusterLayout, type NodeLayout } from "./topology.ts";

export interface RealNodePids {
  holder: number;
  containerd: number;
  kubelet: number;
}

const nodeDir = (node: NodeLayout) => join(STATE_DIR, "real", node.name);
const socketOf = (node: NodeLayout) => join(nodeDir(node), "containerd", "containerd.sock");
/** The node's cgroup parent in every hierarchy: the netns name, so leftovers are found by prefix. */
const cgroupOf = (node: NodeLayout) => node.netns;

/** The kubelet's desired kernel tunables (pkg/kubelet/cm setupKernelTunables): vm.* and
 * kernel.panic* are machine-wide, so they are faked by bind mounts in the node's mount namespace
 * and `protectKernelDefaults` makes the kubelet refuse (not write) any other value. */
const KERNEL_TUNABLES: Record<string, string> = {
  "vm/overcommit_memory": "1",
  "vm/panic_on_oom": "0",
  "kernel/panic": "10",
  "kernel/panic_on_oops": "1",
  "kernel/keys/root_maxkeys": "1000000",
  "kernel/keys/root_maxbytes": "25000000",
};

/** Every cgroup hierarchy mounted here; the hybrid layout's v2 "unified" one too (runc makes the
 * pods' cgroups there as well). */
function cgroupHierarchies(): string[] {
  return readFileSync("/proc/self/mounts", "utf8").split("\n")
    .map((l) => l.split(" "))
    .filter((f) => (f[2] === "cgroup" || f[2] === "cgroup2") && f[1]!.startsWith("/sys/fs/cgroup/"))
    .map((f) => f[1]!);
}

export async function startRealNode(node: NodeLayout, cluster: ClusterLayout, pki: Pki): Promise<RealNodePids> {
  const b = binaries();
  const d = (...p: string[]) => join(nodeDir(node), ...p);
  for (const sub of ["containerd/root", "containerd/state", "cni/net.d", "cni/ipam", "kubelet", "varlog", "varlib", "sysctl"]) mkdirSync(d(sub), { recursive: true });
  writeFileSync(d("containerd", "config.toml"), containerdConfig(node));
  writeFileSync(d("cni", "net.d", "10-ndtc-pods.conflist"), cniConfig(node));
  const certs = kubeletCerts(pki, node.name, [node.ip, node.ip6]);
  writeFileSync(d("kubelet.kubeconfig"), dump({
    apiVersion: "v1", kind: "Config",
    clusters: [{ name: cluster.context, cluster: { server: cluster.server, "certificate-authority": pki.ca } }],
    users: [{ name: node.name, user: { "client-certificate": certs.clientCert, "client-key": certs.clientKey } }],
    contexts: [{ name: cluster.context, context: { cluster: cluster.context, user: node.name } }],
    "current-context": cluster.context,
  }));
  // For pods with dnsPolicy Default (none of ours): the cluster's DNS server itself.
  writeFileSync(d("resolv.conf"), `nameserver ${cluster.dnsIP}\n`);
  writeFileSync(d("kubelet.yaml"), kubeletConfig(node, cluster, pki, certs));

  // The pods' cgroup parent in every hierarchy (cpuset needs cpus and mems before children).
  for (const h of cgroupHierarchies()) mkdirSync(join(h, cgroupOf(node)), { recursive: true });
  for (const k of ["cpuset.cpus", "cpuset.mems"]) {
    if (existsSync(`/sys/fs/cgroup/cpuset/${k}`)) writeFileSync(`/sys/fs/cgroup/cpuset/${cgroupOf(node)}/${k}`, readFileSync(`/sys/fs/cgroup/cpuset/${k}`, "utf8"));
  }

  // A holder process owns the node's mount namespace (private: nothing mounted in it is seen
  // outside, and it all goes with its last process). Entered with nsenter, not `ip netns exec`,
  // which remounts /sys and so hides /sys/fs/cgroup from runc and the kubelet.
  const holder = daemon(["nsenter", `--net=/run/netns/${node.netns}`, "unshare", "--mount", "--propagation", "private", "sleep", "infinity"], log(node, "holder"));
  // nsenter and unshare exec into each other: the PID is the sleep's once it runs.
  await waitFor(`${node.name} mount namespace`, 10_000, () => readFileSync(`/proc/${holder}/comm`, "utf8").trim() === "sleep" || undefined);
  const inNode = (cmd: string[]) => ["nsenter", "-t", String(holder), "-m", "-n", ...cmd];
  const setup = [
    // containerd's shim sockets (/run/containerd/s, a fixed path) and the kubelet's
    // /var/log/containers links stay inside the node.
    `mount -t tmpfs -o mode=755,size=64m ${PREFIX}-run /run`,
    `mount --bind '${d("varlog")}' /var/log`,
    // Paths no flag moves: the kubelet's /var/lib/kubelet/device-plugins socket and libcni's
    // result cache /var/lib/cni.
    `mount --bind '${d("varlib")}' /var/lib`,
  ];
  for (const [k, v] of Object.entries(KERNEL_TUNABLES)) {
    const file = d("sysctl", k.replace(/\//g, "."));
    writeFileSync(file, `${v}\n`);
    setup.push(`mount --bind '${file}' /proc/sys/${k}`);
  }
  run(inNode(["sh", "-ec", setup.join("\n")]));

  const containerd = daemon(inNode([b.containerd, "--config", d("containerd", "config.toml"), "--log-level", "warn"]), log(node, "containerd"),
    { PATH: `${b.cniDir}:/usr/sbin:/usr/bin:/sbin:/bin` });
  await waitFor(`${node.name} containerd socket`, 30_000, () => existsSync(socketOf(node)) || undefined);
  // Nothing is ever pulled: the floater's image (imagePullPolicy IfNotPresent for a tag) and
  // containerd's sandbox image are imported from the cache.
  for (const image of b.images) run(inNode([b.ctr, "--address", socketOf(node), "-n", "k8s.io", "images", "import", "--local", image]));

  const kubelet = daemon(inNode([
    b.kubelet, `--config=${d("kubelet.yaml")}`, `--kubeconfig=${d("kubelet.kubeconfig")}`, `--root-dir=${d("kubelet")}`,
    `--hostname-override=${node.name}`, `--node-ip=${node.ip},${node.ip6}`, `--node-labels=netdoctor.test/cluster=${cluster.id},netdoctor.test/real=true`, "--v=1",
  ]), log(node, "kubelet"), { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" });
  return { holder, containerd, kubelet };
}

const log = (node: NodeLayout, what: string) => join(STATE_DIR, "logs", `${what}-${node.name}.log`);

/** The kubelet registers its Node itself; its pod CIDRs are set once, as the harness does on
 * create for a simulated node (host-local hands out the same ranges). */
export async function setPodCIDRs(node: NodeLayout, api: AdminApi): Promise<void> {
  await waitFor(`node ${node.name} registered by its kubelet`, 60_000, async () => (await api.request("GET", `/api/v1/nodes/${node.name}`)).status === 200 || undefined);
  await api.ok("PATCH", `/api/v1/nodes/${node.name}`, { spec: { podCIDR: node.podCIDR, podCIDRs: [node.podCIDR, node.podCIDR6] } });
}

function containerdConfig(node: NodeLayout): string {
  const d = (...p: string[]) => join(nodeDir(node), ...p);
  return `version = 3
root = "${d("containerd/root")}"
state = "${d("containerd/state")}"

[grpc]
  address = "${socketOf(node)}"

[plugins."io.containerd.internal.v1.opt"]
  path = "${d("containerd/opt")}"

[plugins."io.containerd.nri.v1.nri"]
  disable = true

[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"

[plugins."io.containerd.cri.v1.runtime"]
  # Pod network namespaces are bind-mounted under the state dir (inside the node), not /var/run/netns.
  netns_mounts_under_state_dir = true
  # This machine (a container) lacks CAP_SYS_RESOURCE: a negative oom_score_adj cannot be set,
  # and runc 1.1.5 failed every pod sandbox (-998) with "can't get final child's PID from pipe:
  # EOF". Restricted, the sandbox gets containerd's own score (0) instead.
  restrict_oom_score_adj = true
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["${binaries().cniDir}"]
    conf_dir = "${d("cni/net.d")}"
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = "${binaries().runc}"
        SystemdCgroup = false

[plugins."io.containerd.grpc.v1.cri"]
  # The exec/attach streaming server, which the kubelet proxies to, on the node's loopback.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
`;
}

/** The CNI bridge inside the node (the node routes its pods; no masquerade: pod addresses are
 * routed between nodes as on the simulated ones) with host-local for both families. */
function cniConfig(node: NodeLayout): string {
  return JSON.stringify({
    cniVersion: "1.0.0",
    name: `${PREFIX}-pods`,
    plugins: [{
      type: "bridge", bridge: "cni0", isGateway: true, ipMasq: false, hairpinMode: true,
      ipam: {
        type: "host-local", dataDir: join(nodeDir(node), "cni", "ipam"),
        ranges: [[{ subnet: node.podCIDR }], [{ subnet: node.podCIDR6 }]],
        routes: [{ dst: "0.0.0.0/0" }, { dst: "::/0" }],
      },
    }],
  }, null, 2);
}

function kubeletConfig(node: NodeLayout, cluster: ClusterLayout, pki: Pki, certs: { servingCert: string; servingKey: string }): string {
  const d = (...p: string[]) => join(nodeDir(node), ...p);
  return dump({
    apiVersion: "kubelet.config.k8s.io/v1beta1",
    kind: "KubeletConfiguration",
    // This machine's cgroups are v1 (hybrid): kubelet >= 1.35 refuses them unless told.
    failCgroupV1: false,
    cgroupDriver: "cgroupfs",
    cgroupRoot: `/${cgroupOf(node)}`,
    containerRuntimeEndpoint: `unix://${socketOf(node)}`,
    address: node.ip,
    port: KUBELET_PORT,
    readOnlyPort: 0,
    healthzBindAddress: "127.0.0.1",
    healthzPort: 10248,
    tlsCertFile: certs.servingCert,
    tlsPrivateKeyFile: certs.servingKey,
    // The API server's kubelet client is the admin certificate (system:masters).
    authentication: { anonymous: { enabled: false }, webhook: { enabled: false }, x509: { clientCAFile: pki.ca } },
    authorization: { mode: "AlwaysAllow" },
    failSwapOn: false,
    protectKernelDefaults: true,
    resolvConf: d("resolv.conf"),
    // Pods resolve through the kube-dns Service, as on the simulated nodes (kube-proxy runs here too).
    clusterDNS: [cluster.dnsServiceIP],
    clusterDomain: "cluster.local",
    podLogsDir: d("varlog", "pods"),
    // The machine's disk is shared and may be fuller than a node's would be: evict only at 1%.
    evictionHard: { "memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%" },
    // Never garbage-collect the imported images: they cannot be pulled again.
    imageGCHighThresholdPercent: 100,
    imageGCLowThresholdPercent: 99,
    maxPods: 20,
  });
}

/** The node's running containers (pod sandboxes included), as its containerd lists its tasks. */
export function realNodeTasks(node: NodeLayout, holder: number): string[] {
  return run(["nsenter", "-t", String(holder), "-m", "-n", binaries().ctr, "--address", socketOf(node), "-n", "k8s.io", "tasks", "list", "-q"])
    .split("\n").filter((l) => l.trim() !== "");
}

/** Every process in a real node's cgroups (the containers: they live in pod network namespaces,
 * which `ip netns pids` of the node does not see). */
export function realNodeContainerPids(): number[] {
  const pids: number[] = [];
  for (const h of cgroupHierarchies()) {
    for (const group of ourCgroups(h)) {
      for (const dir of walk(group)) {
        const procs = join(dir, "cgroup.procs");
        if (existsSync(procs)) pids.push(...readFileSync(procs, "utf8").split("\n").filter((l) => l !== "").map(Number));
      }
    }
  }
  return [...new Set(pids)];
}

/** Remove the real nodes' cgroups, deepest first (after their processes are gone). */
export function removeRealNodeCgroups(): void {
  for (const h of cgroupHierarchies()) {
    for (const group of ourCgroups(h)) {
      for (const dir of walk(group).reverse()) {
        try {
          rmdirSync(dir);
        } catch {
          // reported by realNodeLeftovers
        }
      }
    }
  }
}

const ourCgroups = (hierarchy: string) => readdirSync(hierarchy).filter((e) => e.startsWith(`${PREFIX}-`)).map((e) => join(hierarchy, e));

/** A cgroup directory and every one below it, parents first. */
function walk(dir: string): string[] {
  const out = [dir];
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...walk(join(dir, e.name)));
  return out;
}

/** What a real node could leave behind, for down's check: cgroups, mounts, processes of its
 * binaries, containerd's and the CNI plugins' state, and paths outside the state dir it would write
 * to if its mount namespace had not hidden them. */
export function realNodeLeftovers(): string[] {
  const out: string[] = [];
  for (const h of cgroupHierarchies()) for (const g of ourCgroups(h)) out.push(`cgroup ${g}`);
  for (const line of readFileSync("/proc/self/mountinfo", "utf8").split("\n")) {
    const mountPoint = line.split(" ")[4];
    if (mountPoint?.startsWith(STATE_DIR)) out.push(`mount ${mountPoint}`);
  }
  const b = binaries();
  const ours = [b.kubelet, b.containerd, `${b.containerd}-shim-runc-v2`];
  for (const pid of readdirSync("/proc").filter((e) => /^\d+$/.test(e))) {
    let exe = "";
    try {
      exe = readlinkSync(`/proc/${pid}/exe`);
    } catch {
      continue;
    }
    if (ours.includes(exe) && readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(STATE_DIR)) out.push(`process ${pid} ${exe}`);
  }
  if (existsSync(join(STATE_DIR, "real"))) out.push(`${join(STATE_DIR, "real")} (containerd state, pod sandboxes, CNI allocations)`);
  for (const p of ["/var/lib/kubelet", "/var/lib/cni", "/var/log/containers", "/var/log/pods", "/run/containerd", "/etc/cni/net.d", "/opt/cni"]) {
    if (existsSync(p)) out.push(`${p} (written by a real node?)`);
  }
  return out;
}
