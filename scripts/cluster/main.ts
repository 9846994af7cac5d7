// scripts/testcluster (scripts/cluster/main.ts): the local test cluster's command line.
//   up [--nodes N] [--real-nodes N] [--clusters 1|2] [--scale N] | down | status [-o json] | kubeconfig
//   fault drop|reject --from NODE --to NODE [--both-ways] [--proto icmp|tcp|udp] [--port P] [--family ipv4|ipv6]
//   fault reply-drop --from NODE --to NODE | fault listener-down|link-down|kubelet-down|kube-proxy-down --node NODE
//   fault mtu --node NODE --mtu M | heal [all]
import { parseArgs } from "node:util";
import { daemonsAlive, down, readState, STATE_DIR, topologyFromState, up } from "./harness.ts";
import { heal, injectFault } from "./faults.ts";
import { alive } from "./sh.ts";
import { MAX_NODES, MAX_SCALE_NODES } from "./topology.ts";

const USAGE = `usage: scripts/testcluster up [--nodes N] [--real-nodes N] [--clusters 1|2] [--scale N] | down | status [-o json] | kubeconfig
       scripts/testcluster fault drop|reject --from NODE --to NODE [--both-ways] [--proto icmp|tcp|udp] [--port P] [--family ipv4|ipv6]
       scripts/testcluster fault reply-drop --from NODE --to NODE
       scripts/testcluster fault listener-down|link-down|kubelet-down|kube-proxy-down --node NODE
       scripts/testcluster fault mtu --node NODE --mtu M
       scripts/testcluster fault slow-start --node NODE --seconds S
       scripts/testcluster fault apiserver-down [--cluster a|b]
       scripts/testcluster fault dns-down
       scripts/testcluster heal [all]`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      nodes: { type: "string" }, "real-nodes": { type: "string" }, clusters: { type: "string" }, scale: { type: "string" },
      from: { type: "string" }, to: { type: "string" }, node: { type: "string" }, "both-ways": { type: "boolean" },
      proto: { type: "string" }, family: { type: "string" }, port: { type: "string" }, mtu: { type: "string" }, seconds: { type: "string" }, output: { type: "string", short: "o" },
      cluster: { type: "string" },
    },
  });
  const int = (v: string | undefined, dflt: number, max: number, flag: string) => {
    const n = v === undefined ? dflt : Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${flag} must be 1..${max}`);
    return n;
  };
  switch (command) {
    case "up": {
      const clusters = int(values.clusters, 1, 2, "clusters") as 1 | 2;
      const nodes = int(values.nodes, 4, MAX_NODES, "nodes");
      const realNodes = values["real-nodes"] ? int(values["real-nodes"], 0, MAX_NODES - nodes, "real-nodes") : undefined;
      if (realNodes && values.scale) throw new Error("--real-nodes and --scale do not mix");
      await up({ clusters, nodes, scale: values.scale ? int(values.scale, 0, MAX_SCALE_NODES, "scale") : undefined, ...(realNodes ? { realNodes } : {}) });
      console.log(`${STATE_DIR}/kubeconfig`);
      return 0;
    }
    case "down":
      await down();
      return 0;
    case "kubeconfig":
      if (!readState()) throw new Error("the test cluster is not up (run: scripts/testcluster up)");
      console.log(`${STATE_DIR}/kubeconfig`);
      return 0;
    case "status":
      return status(values.output === "json");
    case "fault": {
      const f = await injectFault({
        kind: positionals[0] ?? "", from: values.from, to: values.to, node: values.node, bothWays: values["both-ways"],
        proto: values.proto as "icmp" | "tcp" | "udp" | undefined, family: values.family as "ipv4" | "ipv6" | undefined, port: values.port ? Number(values.port) : undefined,
        mtu: values.mtu ? Number(values.mtu) : undefined, cluster: values.cluster, seconds: values.seconds ? Number(values.seconds) : undefined,
      });
      console.log(`fault ${f.id}: ${f.description}`);
      return 0;
    }
    case "heal": {
      const healed = await heal();
      console.log(healed.length ? healed.map((f) => `healed ${f.id}: ${f.description}`).join("\n") : "no active faults");
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

function status(json: boolean): number {
  const state = readState();
  if (!state) {
    console.log(json ? JSON.stringify({ up: false }) : "test cluster: down");
    return 1;
  }
  const t = topologyFromState(state);
  const report = {
    up: true,
    kubeconfig: state.kubeconfig,
    deadDaemons: daemonsAlive(state),
    clusters: t.clusters.map((c) => ({
      context: c.context,
      server: c.server,
      nodes: c.nodes.map((n) => {
        const pids = state.nodes[n.name];
        const running = (pid: number | undefined) => (pid && alive(pid) ? "running" : "stopped");
        return {
          name: n.name, ip: n.ip, podCIDR: n.podCIDR, netns: n.netns, real: !!n.real,
          kubelet: running(n.real ? pids?.kubelet : pids?.kwok),
          // A real node's listener is its floater pod, while a check runs.
          listener: n.real ? `containerd ${running(pids?.containerd)}` : running(pids?.listener),
        };
      }),
    })),
    scaleNodes: t.scale?.nodes.length ?? 0,
    faults: state.faults.map((f) => ({ id: f.id, description: f.description })),
  };
  if (json) {
    console.log(JSON.stringify(report, null, 2));
    return 0;
  }
  console.log(`test cluster: up since ${state.startedAt}; kubeconfig ${state.kubeconfig}`);
  if (report.deadDaemons.length) console.log(`NOT RUNNING: ${report.deadDaemons.join(", ")}`);
  for (const c of report.clusters) {
    console.log(`cluster ${c.context} (${c.server})`);
    for (const n of c.nodes) console.log(`  ${n.name.padEnd(10)} ${n.ip.padEnd(13)} pods ${n.podCIDR.padEnd(15)} kubelet ${n.kubelet.padEnd(8)} listener ${n.listener}`);
  }
  if (report.scaleNodes) console.log(`scale mode: ${report.scaleNodes} nodes in ${t.scale!.shards.length} shard namespaces`);
  console.log(report.faults.length ? `faults:\n${report.faults.map((f) => `  ${f.id}: ${f.description}`).join("\n")}` : "faults: none");
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  console.error(`testcluster: ${(err as Error).message}`);
  process.exitCode = 1;
}
