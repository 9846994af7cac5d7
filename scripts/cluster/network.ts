// The test cluster's network: a bridge in the root namespace, one namespace per node with a veth
// into it, pod CIDRs answered locally (AnyIP) in each simulated node (a real node's CNI bridge
// owns its own) and routed between nodes, no default route anywhere inside, and blackhole routes
// so no test address can leave the machine.
import { BRIDGE, BRIDGE_IP, BRIDGE_IP6, PREFIX, SERVICE_SUPERNET, SUPERNETS, SUPERNETS6, type NodeLayout, type Topology, allNodes } from "./topology.ts";
import { inNetns, run } from "./sh.ts";

export function createNetwork(t: Topology): void {
  // forward_delay 0: a port whose link comes back (heal of link-down) forwards at once.
  run(["ip", "link", "add", BRIDGE, "type", "bridge", "forward_delay", "0"]);
  run(["ip", "addr", "add", `${BRIDGE_IP}/24`, "dev", BRIDGE]);
  for (const c of t.clusters) run(["ip", "addr", "add", `${c.dnsIP}/32`, "dev", BRIDGE]);
  run(["ip", "-6", "addr", "add", `${BRIDGE_IP6}/64`, "dev", BRIDGE, "nodad"]);
  run(["ip", "link", "set", BRIDGE, "up"]);
  for (const net of SUPERNETS) run(["ip", "route", "add", "blackhole", net]);
  for (const net of SUPERNETS6) run(["ip", "-6", "route", "add", "blackhole", net]);

  const nodes = allNodes(t);
  for (const node of nodes) {
    createNodeNetns(node.netns, node.hostVeth, node.ip);
    inNetns(node.netns, ["ip", "-6", "addr", "add", `${node.ip6}/64`, "dev", "eth0", "nodad"]);
    // A node forwards: a real one routes its pods (the CNI bridge inside it), and every node
    // passes on what its NodePort rules sent to another node's floater.
    inNetns(node.netns, ["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]);
    if (node.real) {
      // Its pods send from their own addresses (a simulated node's from the node's): the DNS
      // server in the root namespace answers them through the node, not into the blackhole.
      run(["ip", "route", "add", node.podCIDR, "via", node.ip]);
      continue;
    }
    inNetns(node.netns, ["ip", "route", "add", "local", node.podCIDR, "dev", "lo"]);
    inNetns(node.netns, ["ip", "-6", "route", "add", "local", node.podCIDR6, "dev", "lo"]);
  }
  for (const node of nodes) addPeerRoutes(node, t);
  for (const shard of t.scale?.shards ?? []) {
    createNodeNetns(shard.netns, shard.hostVeth, shard.ip);
    inNetns(shard.netns, ["ip", "route", "add", "local", shard.nodeNet, "dev", "lo"]);
    inNetns(shard.netns, ["ip", "route", "add", "local", shard.podNet, "dev", "lo"]);
    // Many nodes answer from one namespace: lift the ICMP rate limits a real node would not hit.
    inNetns(shard.netns, ["sysctl", "-qw", "net.ipv4.icmp_msgs_per_sec=1000000", "net.ipv4.icmp_msgs_burst=1000000", "net.ipv4.icmp_ratelimit=0"]);
    // Each scale node's execs run with its own group (scale-exec.ts): what that group sends leaves
    // from the node's IP, also to the shard's own nodes (over lo), so a rule can name one node's
    // packets. Replies find their way back by conntrack.
    const snat = t.scale!.nodes.filter((n) => n.shard === shard.index)
      .map((n) => `-A POSTROUTING -m owner --gid-owner ${n.gid} -j SNAT --to-source ${n.ip}`);
    run(["ip", "netns", "exec", shard.netns, "iptables-restore", "--noflush"], { input: `*nat\n${snat.join("\n")}\nCOMMIT\n` });
    // The API server (root namespace) reaches the shard's kubelet addresses through its veth.
    run(["ip", "route", "replace", shard.nodeNet, "via", shard.ip]);
    for (const peer of t.scale!.shards.filter((p) => p.index !== shard.index)) {
      inNetns(shard.netns, ["ip", "route", "add", peer.nodeNet, "via", peer.ip]);
      inNetns(shard.netns, ["ip", "route", "add", peer.podNet, "via", peer.ip]);
      pinNeighbour(shard.netns, peer.ip);
    }
  }
}

function createNodeNetns(netns: string, hostVeth: string, ip: string): void {
  run(["ip", "netns", "add", netns]);
  run(["ip", "link", "add", hostVeth, "type", "veth", "peer", "name", "eth0", "netns", netns, "address", macOf(ip)]);
  run(["ip", "link", "set", hostVeth, "master", BRIDGE, "up"]);
  inNetns(netns, ["ip", "link", "set", "lo", "up"]);
  inNetns(netns, ["ip", "addr", "add", `${ip}/24`, "dev", "eth0"]);
  inNetns(netns, ["ip", "link", "set", "eth0", "up"]);
  // ping as a plain user in the test namespaces behaves as in a pod with NET_RAW.
  inNetns(netns, ["sysctl", "-qw", "net.ipv4.ping_group_range=0 2147483647"]);
  // IPv6 addresses are flushed when a link goes down unless told otherwise (link-down, heal).
  inNetns(netns, ["sysctl", "-qw", "net.ipv6.conf.eth0.keep_addr_on_down=1"]);
}

/** Routes from one node to every other node's pod CIDR (both clusters: the "interconnect"). */
export function addPeerRoutes(node: NodeLayout, t: Topology): void {
  for (const peer of allNodes(t)) {
    if (peer.name === node.name) continue;
    inNetns(node.netns, ["ip", "route", "replace", peer.podCIDR, "via", peer.ip]);
    inNetns(node.netns, ["ip", "-6", "route", "replace", peer.podCIDR6, "via", peer.ip6]);
    pinNeighbour(node.netns, peer.ip, peer.ip6);
  }
  // Service ClusterIPs need a route to be sent at all; kube-proxy's DNAT then rewrites them.
  inNetns(node.netns, ["ip", "route", "replace", SERVICE_SUPERNET, "via", BRIDGE_IP]);
}

/** Every node's eth0 has a MAC derived from its address (all are on the bridge's /24). */
function macOf(ip: string): string {
  const last = Number(ip.split(".")[3]);
  return `02:6e:64:00:00:${last.toString(16).padStart(2, "0")}`;
}

/** The kernel's neighbour (ARP/NDP) table is one for all namespaces, 1024 dynamic entries by
 * default: 40 nodes or 50 shards each resolving every peer overflow it, and packets then fail
 * with "no route". Permanent entries do not count toward that limit, so the test cluster pins
 * the peers it routes through instead of raising a machine-wide sysctl. */
function pinNeighbour(netns: string, ip: string, ip6?: string): void {
  inNetns(netns, ["ip", "neigh", "replace", ip, "lladdr", macOf(ip), "dev", "eth0", "nud", "permanent"]);
  if (ip6) inNetns(netns, ["ip", "-6", "neigh", "replace", ip6, "lladdr", macOf(ip), "dev", "eth0", "nud", "permanent"]);
}

/** Remove everything a run of the harness may have left: namespaces, links, routes. */
export function removeNetwork(): void {
  for (const netns of ourNetns()) run(["ip", "netns", "del", netns], { allowFail: true });
  const links = run(["ip", "-o", "link", "show"]).split("\n");
  for (const line of links) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (name?.startsWith(`${PREFIX}-`)) run(["ip", "link", "del", name], { allowFail: true });
  }
  for (const net of SUPERNETS) {
    run(["ip", "route", "del", "blackhole", net], { allowFail: true });
    run(["ip", "route", "del", net], { allowFail: true });
  }
  for (const net of SUPERNETS6) run(["ip", "-6", "route", "del", "blackhole", net], { allowFail: true });
}

export function ourNetns(): string[] {
  return run(["ip", "netns", "list"], { allowFail: true })
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter((n) => n.startsWith(`${PREFIX}-`));
}

/** PIDs of every process inside our namespaces (leftovers of a crashed run). */
export function pidsInOurNetns(): number[] {
  return ourNetns().flatMap((ns) =>
    run(["ip", "netns", "pids", ns], { allowFail: true })
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map(Number),
  );
}

/** What is left of the harness on this machine, for `down`'s own check and the self-test. */
export function leftovers(): string[] {
  const out: string[] = [];
  for (const ns of ourNetns()) out.push(`network namespace ${ns}`);
  for (const line of run(["ip", "-o", "link", "show"]).split("\n")) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (name?.startsWith(`${PREFIX}-`)) out.push(`link ${name}`);
  }
  for (const line of run(["ip", "route", "show"]).split("\n")) {
    if (SUPERNETS.some((n) => line.includes(n)) || line.includes(`dev ${BRIDGE}`)) out.push(`route ${line.trim()}`);
  }
  for (const line of run(["ip", "-6", "route", "show"]).split("\n")) {
    if (line.includes("fd7e:6e64:")) out.push(`route ${line.trim()}`);
  }
  return out;
}
