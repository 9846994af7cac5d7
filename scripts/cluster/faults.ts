// Fault injection, all inside the node namespaces (so deleting them undoes everything), and heal.
import { addPeerRoutes } from "./network.ts";
import { adminApi, readState, restartApiserver, slowKwokConfig, startDns, startKwok, startListener, startShardKwok, topologyFromState, writeState, type Fault, type State } from "./harness.ts";
import { cleanupKubeProxy, startKubeProxy, waitServiceRules } from "./services.ts";
import { inNetns, run, stop } from "./sh.ts";
import { FLOATER_PORT, findFaultNode, findNode, KUBELET_PORT, type FaultNode, type NodeLayout, type ScaleShard } from "./topology.ts";

/** Where a node's incoming traffic is filtered: a simulated node answers for its pods on lo
 * (INPUT); a real node forwards to its pods' veths (FORWARD) and answers itself (host network) in
 * INPUT. */
const incoming = (node: FaultNode) => (node.real ? ["INPUT", "FORWARD"] : ["INPUT"]);
/** Where a node's replies leave it: FORWARD too for a real node's pods. */
const outgoing = (node: FaultNode) => (node.real ? ["OUTPUT", "FORWARD"] : ["OUTPUT"]);

/** A node's address families: its iptables tool and its own addresses (node IP, pod CIDR) in each.
 * Scale nodes are IPv4 only. */
function families(node: FaultNode) {
  const v4 = { tool: "iptables", family: "ipv4", addrs: [node.ip, node.podCIDR] } as const;
  return node.ip6 && node.podCIDR6 ? [v4, { tool: "ip6tables", family: "ipv6", addrs: [node.ip6, node.podCIDR6] } as const] : [v4];
}

/** Matches that confine a rule to a node's own packets in its namespace: nothing when it has the
 * namespace to itself, each of its addresses (one rule each) when it shares its shard's. */
const own = (node: FaultNode, dir: "-s" | "-d"): string[][] => (node.gid === undefined ? [[]] : [[dir, node.ip], [dir, node.podCIDR]]);

/** Insert a rule first in a node's chain (before kube-proxy's and the kubelet's), and note its undo. */
function insert(undo: string[][], netns: string, tool: string, chain: string, rule: string[]): void {
  inNetns(netns, [tool, "-I", chain, ...rule]);
  undo.push(["ip", "netns", "exec", netns, tool, "-D", chain, ...rule]);
}

/** Faults that act on a whole namespace (its link, its kube-proxy) cannot single out a scale node. */
function notScale(node: FaultNode, kind: string): FaultNode {
  if (node.gid !== undefined) throw new Error(`fault ${kind} acts on a node's namespace: scale node ${node.name} shares ${node.netns} with its shard`);
  return node;
}

export interface FaultArgs {
  kind: string;
  from?: string;
  to?: string;
  node?: string;
  bothWays?: boolean;
  proto?: "icmp" | "tcp" | "udp";
  /** drop/reject: one address family only (default both). */
  family?: "ipv4" | "ipv6";
  port?: number;
  mtu?: number;
  cluster?: string;
  /** slow-start: how long the node's pods take to become ready. */
  seconds?: number;
}

const FAULT_KINDS = ["drop", "reject", "reply-drop", "listener-down", "link-down", "kubelet-down", "kube-proxy-down", "mtu", "apiserver-down", "dns-down", "slow-start"];

export async function injectFault(a: FaultArgs): Promise<Fault> {
  const state = mustState();
  const t = topologyFromState(state);
  const id = (state.faults.at(-1)?.id ?? 0) + 1;
  const tag = `ndtc-fault-${id}`;
  const need = (v: string | undefined, flag: string) => {
    if (!v) throw new Error(`fault ${a.kind} needs ${flag} NODE`);
    return findFaultNode(t, v);
  };
  let fault: Fault;
  switch (a.kind) {
    case "drop":
    case "reject": {
      // Applied where the packets arrive (the target's INPUT), to NEW traffic only: the source's
      // requests are lost or refused as on a real network, while replies and the other
      // direction pass, so exactly the "from -> to" pairs fail.
      // Inserted first: kube-proxy's (and on a real node the kubelet's) chains come before
      // anything appended, and KUBE-FORWARD accepts some traffic.
      const from = need(a.from, "--from");
      const to = need(a.to, "--to");
      if (a.port && !a.proto) a.proto = "tcp";
      const pairs: [FaultNode, FaultNode][] = a.bothWays ? [[from, to], [to, from]] : [[from, to]];
      const undo: string[][] = [];
      for (const [src, dst] of pairs) {
        const shared = families(src).filter((f) => families(dst).some((g) => g.family === f.family));
        for (const { tool, addrs } of shared.filter((f) => !a.family || a.family === f.family)) {
          const proto = a.proto === "icmp" && tool === "ip6tables" ? "ipv6-icmp" : a.proto;
          for (const origin of addrs) {
            for (const mine of own(dst, "-d")) {
              const rule = ["-s", origin, ...mine, ...(proto ? ["-p", proto] : []), ...(a.port ? ["--dport", String(a.port)] : []),
                "-m", "conntrack", "--ctstate", "NEW", "-m", "comment", "--comment", tag, "-j", a.kind === "drop" ? "DROP" : "REJECT",
                ...(a.kind === "reject" && a.proto === "tcp" ? ["--reject-with", "tcp-reset"] : [])];
              for (const chain of incoming(dst)) insert(undo, dst.netns, tool, chain, rule);
            }
          }
        }
      }
      if (!undo.length) throw new Error(`${from.name} and ${to.name} share no address family${a.family ? ` ${a.family}` : ""} (scale nodes are IPv4 only)`);
      const what = `${a.proto ?? "all"}${a.port ? `/${a.port}` : ""}${a.family ? ` ${a.family}` : ""}`;
      fault = { id, description: `${a.kind} ${what} ${from.name} ${a.bothWays ? "<->" : "->"} ${to.name}`, undo };
      break;
    }
    case "reply-drop": {
      // Requests from --from reach --to; --to's replies (established traffic) back to --from are lost.
      const from = need(a.from, "--from");
      const to = need(a.to, "--to");
      const undo: string[][] = [];
      for (const { tool, addrs } of families(from).filter((f) => families(to).some((g) => g.family === f.family))) {
        for (const dest of addrs) {
          for (const mine of own(to, "-s")) {
            const rule = ["-d", dest, ...mine, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-m", "comment", "--comment", tag, "-j", "DROP"];
            for (const chain of outgoing(to)) insert(undo, to.netns, tool, chain, rule);
          }
        }
      }
      fault = { id, description: `reply-drop ${from.name} -> ${to.name} (requests pass, replies lost)`, undo };
      break;
    }
    case "listener-down": {
      const node = need(a.node, "--node");
      if (node.real || node.gid !== undefined) {
        // A real node's listener is the floater container itself: killing its httpd would only
        // restart the container (restartPolicy Always); a scale node's is its shard's. Its port
        // refuses instead: on a real node for everyone but the kubelet's readiness probe (from the
        // node itself: OUTPUT, then INPUT on lo; never FORWARD), so the pod stays Ready as a
        // floater with a dead listener port would; on a scale node at its own addresses.
        const undo: string[][] = [];
        const reject = ["-p", "tcp", "--dport", String(FLOATER_PORT), "-m", "comment", "--comment", tag, "-j", "REJECT", "--reject-with", "tcp-reset"];
        for (const { tool, addrs } of families(node)) {
          const where = node.real ? [["FORWARD", ["-d", addrs[1]]], ["INPUT", ["!", "-i", "lo"]]] as const : own(node, "-d").map((m) => ["INPUT", m] as const);
          for (const [chain, match] of where) insert(undo, node.netns, tool, chain, [...match, ...reject]);
        }
        fault = { id, description: `listener-down ${node.name} (its floater port refuses)`, undo };
        break;
      }
      await stop([state.nodes[node.name]?.listener].filter((p): p is number => !!p));
      fault = { id, description: `listener-down ${node.name}`, undo: [], restart: { node: node.name, what: "listener" } };
      break;
    }
    case "kubelet-down": {
      // The kubelet's API port refuses the API server (exec, logs), while kwok keeps the node and
      // its pods Ready: "the node looks fine but exec into it fails", whenever it is injected.
      const node = need(a.node, "--node");
      // A scale node's kubelet port is its shard's kwok at the node's IP.
      const rule = ["-p", "tcp", "--dport", String(KUBELET_PORT), ...(node.gid !== undefined ? ["-d", node.ip] : []), "-m", "comment", "--comment", tag, "-j", "REJECT", "--reject-with", "tcp-reset"];
      inNetns(node.netns, ["iptables", "-A", "INPUT", ...rule]);
      fault = { id, description: `kubelet-down ${node.name} (its kubelet port refuses: exec into it fails)`, undo: [["ip", "netns", "exec", node.netns, "iptables", "-D", "INPUT", ...rule]] };
      break;
    }
    case "apiserver-down": {
      // The API server goes away mid-run (killed); heal starts it again and waits until it serves.
      const cluster = (a.cluster ?? "a") as "a" | "b";
      const role = `apiserver-${cluster}`;
      if (!state.daemons[role]) throw new Error(`no cluster ${cluster}`);
      await stop([state.daemons[role]!], 1000);
      fault = { id, description: `apiserver-down ${cluster}`, undo: [], restart: { cluster, what: "apiserver" } };
      break;
    }
    case "kube-proxy-down": {
      // The node's kube-proxy stops and its Service rules go: Services (and DNS through its
      // Service) fail from it, its NodePort stops answering; pod IPs still work.
      const node = findNode(t, notScale(need(a.node, "--node"), a.kind).name);
      await stop([state.nodes[node.name]?.proxy].filter((p): p is number => !!p));
      cleanupKubeProxy(node);
      fault = { id, description: `kube-proxy-down ${node.name}`, undo: [], restart: { node: node.name, what: "kube-proxy" } };
      break;
    }
    case "dns-down": {
      // The cluster DNS stand-in stops answering (both clusters share it); heal starts it again.
      await stop([state.daemons.dns].filter((p): p is number => !!p));
      fault = { id, description: "dns-down (the cluster DNS server does not answer)", undo: [], restart: { what: "dns" } };
      break;
    }
    case "link-down": {
      const node = need(a.node, "--node");
      if (node.gid !== undefined) {
        // Ten nodes share the shard's link: this one's addresses go silent instead. Nothing reaches
        // them (the API server's exec into it neither), and the replies to what it sends are lost
        // (they come back to its address; de-NATed before INPUT, so matched by conntrack). Its
        // kubelet is the shard's kwok, which keeps the node Ready.
        const undo: string[][] = [];
        for (const rule of [...own(node, "-d"), ["-m", "conntrack", "--ctrepldst", node.ip]]) {
          insert(undo, node.netns, "iptables", "INPUT", [...rule, "-m", "comment", "--comment", tag, "-j", "DROP"]);
        }
        fault = { id, description: `link-down ${node.name} (its addresses are silent: its shard's link stays up)`, undo };
        break;
      }
      inNetns(node.netns, ["ip", "link", "set", "eth0", "down"]);
      fault = { id, description: `link-down ${node.name}`, undo: [], relink: node.name };
      break;
    }
    case "slow-start": {
      // The node's kwok again, its pods now taking --seconds to become Ready (acknowledged at
      // once: ContainerCreating), as a node pulling the image slowly; heal brings the usual one.
      const target = need(a.node, "--node");
      if (target.real) throw new Error(`fault slow-start acts on a simulated node's kwok: ${target.name} is a real node`);
      if (!a.seconds || a.seconds < 1 || a.seconds > 600) throw new Error("fault slow-start needs --seconds 1..600");
      if (target.gid !== undefined) {
        // A scale node's kwok is its shard's: the shard's ten nodes start slowly together.
        const shard = t.scale!.shards[t.scale!.nodes.find((n) => n.name === target.name)!.shard]!;
        state.daemons[`kwok-s${shard.index}`] = await restartShardKwok(shard, state, slowKwokConfig(`s${shard.index}`, a.seconds, true));
        const names = shardNodes(shard).join(", ");
        fault = { id, description: `slow-start shard ${shard.index} (${names}: their pods take ${a.seconds}s to become ready)`, undo: [], restart: { shard: shard.index, what: "shard-kwok" } };
        break;
      }
      const node = findNode(t, target.name);
      (state.nodes[node.name] ??= {}).kwok = await restartKwok(node, state, slowKwokConfig(node.name, a.seconds));
      fault = { id, description: `slow-start ${node.name} (its pods take ${a.seconds}s to become ready)`, undo: [], restart: { node: node.name, what: "kwok" } };
      break;
    }
    case "mtu": {
      const node = notScale(need(a.node, "--node"), a.kind);
      if (!a.mtu || a.mtu < 68 || a.mtu > 1500) throw new Error("fault mtu needs --mtu 68..1500");
      inNetns(node.netns, ["ip", "link", "set", "eth0", "mtu", String(a.mtu)]);
      fault = { id, description: `mtu ${node.name} ${a.mtu}`, undo: [["ip", "netns", "exec", node.netns, "ip", "link", "set", "eth0", "mtu", "1500"]] };
      break;
    }
    default:
      throw new Error(`unknown fault '${a.kind}' (faults: ${FAULT_KINDS.join(", ")})`);
  }
  state.faults.push(fault);
  writeState(state);
  return fault;
}

/** Undo every active fault, newest first. */
export async function heal(): Promise<Fault[]> {
  const state = mustState();
  const t = topologyFromState(state);
  const healed = [...state.faults].reverse();
  for (const f of healed) {
    for (const cmd of [...f.undo].reverse()) run(cmd, { allowFail: true });
    if (f.relink) {
      // Taking the link down deleted the routes through it.
      const node = findNode(t, f.relink);
      inNetns(node.netns, ["ip", "link", "set", "eth0", "up"]);
      addPeerRoutes(node, t);
    }
    if (f.restart?.what === "listener") {
      const node = findNode(t, f.restart.node);
      (state.nodes[node.name] ??= {}).listener = startListener(node);
    } else if (f.restart?.what === "kwok") {
      const node = findNode(t, f.restart.node);
      (state.nodes[node.name] ??= {}).kwok = await restartKwok(node, state);
    } else if (f.restart?.what === "shard-kwok") {
      const shard = t.scale!.shards[f.restart.shard]!;
      state.daemons[`kwok-s${shard.index}`] = await restartShardKwok(shard, state);
    } else if (f.restart?.what === "kube-proxy") {
      const node = findNode(t, f.restart.node);
      const cluster = t.clusters.find((c) => c.id === node.cluster)!;
      (state.nodes[node.name] ??= {}).proxy = startKubeProxy(node, cluster);
      await waitServiceRules(node, cluster);
    } else if (f.restart?.what === "dns") {
      state.daemons.dns = startDns(t);
    } else if (f.restart?.what === "apiserver") {
      state.daemons[`apiserver-${f.restart.cluster}`] = await restartApiserver(f.restart.cluster);
    }
  }
  state.faults = [];
  writeState(state);
  return healed;
}

/** A node's kwok stopped and started again (with `config`). Its lease is deleted in between: the
 * new kwok (another holder) would otherwise wait for the old one's lease to expire. */
async function restartKwok(node: NodeLayout, state: State, config?: string): Promise<number> {
  await stop([state.nodes[node.name]?.kwok].filter((p): p is number => !!p));
  await deleteLeases(node.cluster, [node.name]);
  return startKwok(node, config);
}

/** The same for a scale shard's kwok and its nodes' leases. */
async function restartShardKwok(shard: ScaleShard, state: State, config?: string): Promise<number> {
  await stop([state.daemons[`kwok-s${shard.index}`]].filter((p): p is number => !!p));
  await deleteLeases("a", shardNodes(shard));
  return startShardKwok(shard, config);
}

const shardNodes = (shard: ScaleShard) => topologyFromState().scale!.nodes.filter((n) => n.shard === shard.index).map((n) => n.name);

async function deleteLeases(cluster: "a" | "b", nodes: string[]): Promise<void> {
  const api = adminApi(cluster);
  await Promise.all(nodes.map((n) => api.request("DELETE", `/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n}`)));
}

function mustState(): State {
  const s = readState();
  if (!s) throw new Error("the test cluster is not up (run: scripts/testcluster up)");
  return s;
}
