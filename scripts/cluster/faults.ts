// Fault injection, all inside the node namespaces (so deleting them undoes everything), and heal.
import { addPeerRoutes } from "./network.ts";
import { readState, startKwok, startListener, topologyFromState, writeState, type Fault, type State } from "./harness.ts";
import { inNetns, run, stop } from "./sh.ts";
import { findNode, type NodeLayout } from "./topology.ts";

export interface FaultArgs {
  kind: string;
  from?: string;
  to?: string;
  node?: string;
  bothWays?: boolean;
  proto?: "icmp" | "tcp" | "udp";
  port?: number;
  mtu?: number;
}

const FAULT_KINDS = ["drop", "reject", "reply-drop", "listener-down", "link-down", "kubelet-down", "mtu"];

export async function injectFault(a: FaultArgs): Promise<Fault> {
  const state = mustState();
  const t = topologyFromState(state);
  const id = (state.faults.at(-1)?.id ?? 0) + 1;
  const tag = `ndtc-fault-${id}`;
  const need = (v: string | undefined, flag: string) => {
    if (!v) throw new Error(`fault ${a.kind} needs ${flag} NODE`);
    return findNode(t, v);
  };
  let fault: Fault;
  switch (a.kind) {
    case "drop":
    case "reject": {
      const from = need(a.from, "--from");
      const to = need(a.to, "--to");
      if (a.port && !a.proto) a.proto = "tcp";
      const pairs: [NodeLayout, NodeLayout][] = a.bothWays ? [[from, to], [to, from]] : [[from, to]];
      const undo: string[][] = [];
      for (const [src, dst] of pairs) {
        for (const dest of [dst.ip, dst.podCIDR]) {
          const rule = ["-d", dest, ...(a.proto ? ["-p", a.proto] : []), ...(a.port ? ["--dport", String(a.port)] : []),
            "-m", "comment", "--comment", tag, "-j", a.kind === "drop" ? "DROP" : "REJECT",
            ...(a.kind === "reject" && a.proto === "tcp" ? ["--reject-with", "tcp-reset"] : [])];
          inNetns(src.netns, ["iptables", "-A", "OUTPUT", ...rule]);
          undo.push(["ip", "netns", "exec", src.netns, "iptables", "-D", "OUTPUT", ...rule]);
        }
      }
      const what = `${a.proto ?? "all"}${a.port ? `/${a.port}` : ""}`;
      fault = { id, description: `${a.kind} ${what} ${from.name} ${a.bothWays ? "<->" : "->"} ${to.name}`, undo };
      break;
    }
    case "reply-drop": {
      // Requests from --from reach --to; --to's replies (established traffic) back to --from are lost.
      const from = need(a.from, "--from");
      const to = need(a.to, "--to");
      const undo: string[][] = [];
      for (const dest of [from.ip, from.podCIDR]) {
        const rule = ["-d", dest, "-m", "conntrack", "--ctstate", "ESTABLISHED,RELATED", "-m", "comment", "--comment", tag, "-j", "DROP"];
        inNetns(to.netns, ["iptables", "-A", "OUTPUT", ...rule]);
        undo.push(["ip", "netns", "exec", to.netns, "iptables", "-D", "OUTPUT", ...rule]);
      }
      fault = { id, description: `reply-drop ${from.name} -> ${to.name} (requests pass, replies lost)`, undo };
      break;
    }
    case "listener-down": {
      const node = need(a.node, "--node");
      await stop([state.nodes[node.name]?.listener].filter((p): p is number => !!p));
      fault = { id, description: `listener-down ${node.name}`, undo: [], restart: { node: node.name, what: "listener" } };
      break;
    }
    case "kubelet-down": {
      const node = need(a.node, "--node");
      await stop([state.nodes[node.name]?.kwok].filter((p): p is number => !!p));
      fault = { id, description: `kubelet-down ${node.name} (kwok stopped: exec into it fails)`, undo: [], restart: { node: node.name, what: "kwok" } };
      break;
    }
    case "link-down": {
      const node = need(a.node, "--node");
      inNetns(node.netns, ["ip", "link", "set", "eth0", "down"]);
      fault = { id, description: `link-down ${node.name}`, undo: [], relink: node.name };
      break;
    }
    case "mtu": {
      const node = need(a.node, "--node");
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
    if (f.restart) {
      const node = findNode(t, f.restart.node);
      const entry = (state.nodes[node.name] ??= {});
      if (f.restart.what === "listener") entry.listener = startListener(node);
      else entry.kwok = startKwok(node);
    }
  }
  state.faults = [];
  writeState(state);
  return healed;
}

function mustState(): State {
  const s = readState();
  if (!s) throw new Error("the test cluster is not up (run: scripts/testcluster up)");
  return s;
}
