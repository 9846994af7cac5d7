// The test cluster's layout: names, addresses and ports, derived from (clusters, nodes, scale).
// Pure, so the harness, the tests and `status` agree on every address.

export const PREFIX = "ndtc";
export const BRIDGE = `${PREFIX}-br0`;
export const BRIDGE_IP = "10.200.0.1";
export const FLOATER_PORT = 8889;
export const KUBELET_PORT = 10250;
export const ETCD_CLIENT_PORT = 23790;
export const ETCD_PEER_PORT = 23800;
/** Everything the test cluster uses lives in these; the root namespace blackholes them. */
export const SUPERNETS = ["10.200.0.0/16", "10.201.0.0/16", "10.244.0.0/15", "10.128.0.0/16", "10.96.0.0/15"];
export const SUPERNETS6 = ["fd7e:6e64::/32"];
/** Every cluster's Service CIDR (10.96.0.0/16, 10.97.0.0/16): routed from the nodes to the bridge,
 * where the root namespace blackholes it; kube-proxy's DNAT in the node rewrites it first. */
export const SERVICE_SUPERNET = "10.96.0.0/15";
export const BRIDGE_IP6 = "fd7e:6e64:200::1";

export type ClusterId = "a" | "b";

export interface NodeLayout {
  name: string;
  cluster: ClusterId;
  netns: string;
  /** veth end in the root namespace, enslaved to the bridge. */
  hostVeth: string;
  ip: string;
  podCIDR: string;
  /** Every node is dual-stack: an IPv6 address and pod CIDR beside the IPv4 ones. */
  ip6: string;
  podCIDR6: string;
  /** A real node (kubelet, containerd, runc, CNI bridge: scripts/cluster/realnode.ts) rather than
   * a kwok-simulated one. */
  real?: boolean;
}

export interface ClusterLayout {
  id: ClusterId;
  context: string;
  apiPort: number;
  server: string;
  etcdPrefix: string;
  serviceCIDR: string;
  /** The `kubernetes` Service's ClusterIP, first address of serviceCIDR. */
  kubernetesServiceIP: string;
  /** The kube-dns Service's ClusterIP: the nodes' resolver, in front of dnsIP (kube-proxy). */
  dnsServiceIP: string;
  /** The address of this cluster's DNS server (a secondary address on the bridge). */
  dnsIP: string;
  nodes: NodeLayout[];
}

/** Scale mode: many nodes per namespace, one kwok per namespace (a "shard"). Nodes are dealt to
 * shards round-robin, so consecutive sources probe from different namespaces: ICMP in one
 * namespace reaches every raw socket in it, and hundreds of pings in one would drown busybox
 * ping's small socket buffer, which no real node (answering for itself) sees. */
export interface ScaleShard {
  index: number;
  netns: string;
  hostVeth: string;
  ip: string;
  /** Node addresses and pod CIDRs of this shard, answered locally. */
  nodeNet: string;
  podNet: string;
}

/** A scale node: no namespace of its own, but its own node IP and pod CIDR (answered by its
 * shard) and its own group: the shard's kwok runs its execs with that group id, and the shard
 * sends what that group sends from the node's IP (SNAT), so every rule can tell its packets from
 * its neighbours'. */
export interface ScaleNode {
  name: string;
  shard: number;
  ip: string;
  podCIDR: string;
  gid: number;
}

export interface ScaleLayout {
  shards: ScaleShard[];
  nodes: ScaleNode[];
}

export const SCALE_NODES_PER_SHARD = 10;
/** Shard veths take 10.200.0.200-249: 50 shards. */
export const MAX_SCALE_NODES = 500;
/** scale-001's execs run with group 20001, and so on (groups no account on the machine uses). */
export const SCALE_GID_BASE = 20000;

export interface Topology {
  clusters: ClusterLayout[];
  scale?: ScaleLayout;
}

/** Simulated and real nodes share a cluster's 40 addresses (cluster b's start at .51). */
export const MAX_NODES = 40;

export function topology(opts: { clusters: 1 | 2; nodes: number; scale?: number; realNodes?: number }): Topology {
  const ids: ClusterId[] = opts.clusters === 2 ? ["a", "b"] : ["a"];
  const clusters = ids.map((id, c): ClusterLayout => {
    const count = opts.scale ? 0 : opts.nodes;
    // Real nodes only in cluster a, numbered after its simulated ones (addresses and pod CIDRs).
    const real = id === "a" && !opts.scale ? (opts.realNodes ?? 0) : 0;
    return {
      id,
      context: `netdoctor-${id}`,
      apiPort: 6443 + c,
      server: `https://${BRIDGE_IP}:${6443 + c}`,
      etcdPrefix: `/registry-${id}`,
      serviceCIDR: `10.${96 + c}.0.0/16`,
      kubernetesServiceIP: `10.${96 + c}.0.1`,
      dnsServiceIP: `10.${96 + c}.0.10`,
      dnsIP: `10.200.0.${2 + c}`,
      nodes: Array.from({ length: count }, (_, i) => ({
        name: `node-${id}${i + 1}`,
        cluster: id,
        netns: `${PREFIX}-${id}${i + 1}`,
        hostVeth: `${PREFIX}-${id}${i + 1}-h`,
        ip: `10.200.0.${(c === 0 ? 11 : 51) + i}`,
        podCIDR: `10.${244 + c}.${i + 1}.0/24`,
        ip6: `fd7e:6e64:200::${(c === 0 ? 11 : 51) + i}`,
        podCIDR6: `fd7e:6e64:${244 + c}:${i + 1}::/64`,
      })).concat(Array.from({ length: real }, (_, r) => ({
        name: `node-r${r + 1}`,
        cluster: id,
        netns: `${PREFIX}-r${r + 1}`,
        hostVeth: `${PREFIX}-r${r + 1}-h`,
        ip: `10.200.0.${11 + count + r}`,
        podCIDR: `10.244.${count + r + 1}.0/24`,
        ip6: `fd7e:6e64:200::${11 + count + r}`,
        podCIDR6: `fd7e:6e64:244:${count + r + 1}::/64`,
        real: true,
      }))),
    };
  });
  if (!opts.scale) return { clusters };
  const count = Math.ceil(opts.scale / SCALE_NODES_PER_SHARD);
  const shards = Array.from({ length: count }, (_, k): ScaleShard => ({
    index: k,
    netns: `${PREFIX}-s${k}`,
    hostVeth: `${PREFIX}-s${k}-h`,
    ip: `10.200.0.${200 + k}`,
    nodeNet: `10.201.${k}.0/24`,
    podNet: `10.128.${k}.0/24`,
  }));
  const scale: ScaleLayout = {
    shards,
    nodes: Array.from({ length: opts.scale }, (_, i) => {
      const k = i % count;
      const j = Math.floor(i / count);
      // A /28 per node (one floater pod needs one address): 16 fit a shard's /24.
      return { name: `scale-${String(i + 1).padStart(3, "0")}`, shard: k, ip: `10.201.${k}.${j + 1}`, podCIDR: `10.128.${k}.${j * 16}/28`, gid: SCALE_GID_BASE + i + 1 };
    }),
  };
  return { clusters, scale };
}

export function allNodes(t: Topology): NodeLayout[] {
  return t.clusters.flatMap((c) => c.nodes);
}

export function findNode(t: Topology, name: string): NodeLayout {
  const node = allNodes(t).find((n) => n.name === name);
  if (!node) throw new Error(`no node '${name}' in the test cluster (nodes: ${nodeNames(t)})`);
  return node;
}

/** A node as faults see it: the namespace its packets cross and its own addresses. A scale node
 * shares its shard's namespace: `gid` says so, and every rule must then name its addresses (as
 * destination) or its group (as sender). Scale nodes are IPv4 only. */
export interface FaultNode {
  name: string;
  netns: string;
  ip: string;
  podCIDR: string;
  ip6?: string;
  podCIDR6?: string;
  real?: boolean;
  gid?: number;
}

export function findFaultNode(t: Topology, name: string): FaultNode {
  const s = t.scale?.nodes.find((n) => n.name === name);
  if (s) return { name: s.name, netns: t.scale!.shards[s.shard]!.netns, ip: s.ip, podCIDR: s.podCIDR, gid: s.gid };
  return findNode(t, name);
}

function nodeNames(t: Topology): string {
  const normal = allNodes(t).map((n) => n.name);
  const scale = t.scale?.nodes ?? [];
  return [...normal, ...(scale.length ? [`${scale[0]!.name}..${scale.at(-1)!.name}`] : [])].join(", ");
}
