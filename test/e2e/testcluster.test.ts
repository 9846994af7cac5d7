// Self-tests of the local test cluster: the ground every other e2e test stands on.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { adminApi, readState, up } from "../../scripts/cluster/harness.ts";
import { heal, injectFault } from "../../scripts/cluster/faults.ts";
import { leftovers } from "../../scripts/cluster/network.ts";
import { run } from "../../scripts/cluster/sh.ts";
import { topology } from "../../scripts/cluster/topology.ts";
import { createKubeApi } from "../../src/kube/client.ts";
import { createExec } from "../../src/kube/exec.ts";
import { loadClusterTarget } from "../../src/kube/kubeconfig.ts";
import { deployFloaters, newRunId, removeDeployment, type Deployment } from "../../src/floater/deploy.ts";
import { waitForFloaters } from "../../src/floater/wait.ts";
import { ensureCluster, teardown } from "../helpers/cluster.ts";

const layout = topology({ clusters: 1, nodes: 4 });
const [a1, a2] = layout.clusters[0]!.nodes as [typeof layout.clusters[0]["nodes"][0], typeof layout.clusters[0]["nodes"][0]];
const ping = (netns: string, ip: string) => run(["ip", "netns", "exec", netns, "busybox", "ping", "-c", "1", "-W", "1", ip], { allowFail: true });

describe("test cluster", () => {
  let kubeconfig = "";
  let deployment: Deployment | undefined;
  beforeAll(async () => {
    kubeconfig = await ensureCluster();
  });
  afterAll(async () => {
    if (deployment) await removeDeployment(deployment);
  });

  test("every node is Ready, with its address and pod CIDR", async () => {
    const nodes = (await adminApi("a").ok("GET", "/api/v1/nodes")).items as any[];
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual(["node-a1", "node-a2", "node-a3", "node-a4"]);
    for (const n of nodes) {
      expect(n.status.conditions.find((c: any) => c.type === "Ready").status).toBe("True");
      const l = layout.clusters[0]!.nodes.find((x) => x.name === n.metadata.name)!;
      expect(n.status.addresses.find((x: any) => x.type === "InternalIP").address).toBe(l.ip);
      expect(n.spec.podCIDR).toBe(l.podCIDR);
    }
  });

  test("a DaemonSet gets a Running pod per node with an IP from that node's pod CIDR, and exec runs in that node's namespace", async () => {
    const target = loadClusterTarget({ kubeconfig });
    const api = createKubeApi(target);
    const runId = newRunId();
    deployment = await deployFloaters(api, { namespace: `selftest-${runId}`, runId, image: "busybox", port: 8889, networks: ["pod"] }, false, () => {});
    const { ready, notReady } = await waitForFloaters(api, { cluster: "netdoctor-a", namespace: `selftest-${runId}`, runId, nodes: ["node-a1", "node-a2", "node-a3", "node-a4"], networks: ["pod"], timeoutMs: 60_000 });
    expect(notReady).toEqual([]);
    const exec = createExec(target);
    for (const f of ready) {
      const l = layout.clusters[0]!.nodes.find((x) => x.name === f.node)!;
      expect(f.ips[0]!.startsWith(l.podCIDR.replace(/0\/24$/, ""))).toBe(true);
      const r = await exec({ namespace: f.namespace, name: f.pod, container: "floater" }, ["sh", "-c", "ip -o -4 addr show eth0"], 10_000);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain(`inet ${l.ip}/`);
    }
  });

  test("an injected drop really drops, and heal restores", async () => {
    const target = a2.podCIDR.replace(/0\/24$/, "7");
    expect(ping(a1.netns, target)).toContain("1 packets received");
    await injectFault({ kind: "drop", from: a1.name, to: a2.name });
    expect(ping(a1.netns, target)).toContain("0 packets received");
    expect(ping(a2.netns, a1.podCIDR.replace(/0\/24$/, "7"))).toContain("1 packets received");
    await heal();
    expect(ping(a1.netns, target)).toContain("1 packets received");
  });

  test("reply-drop, link-down and mtu faults act as named, and heal undoes them", async () => {
    const [a3, a4] = [layout.clusters[0]!.nodes[2]!, layout.clusters[0]!.nodes[3]!];
    const pod = (n: typeof a1) => n.podCIDR.replace(/0\/24$/, "9");
    await injectFault({ kind: "reply-drop", from: a1.name, to: a2.name });
    expect(ping(a1.netns, pod(a2))).toContain("0 packets received");
    await injectFault({ kind: "link-down", node: a3.name });
    expect(ping(a1.netns, pod(a3))).toContain("0 packets received");
    await injectFault({ kind: "mtu", node: a4.name, mtu: 1000 });
    const big = (netns: string, ip: string) => run(["ip", "netns", "exec", netns, "busybox", "ping", "-c", "1", "-W", "1", "-s", "1200", ip], { allowFail: true });
    expect(big(a1.netns, pod(a4))).toContain("0 packets received");
    expect(ping(a1.netns, pod(a4))).toContain("1 packets received");
    await heal();
    expect(ping(a1.netns, pod(a2))).toContain("1 packets received");
    expect(ping(a1.netns, pod(a3))).toContain("1 packets received");
    expect(big(a1.netns, pod(a4))).toContain("1 packets received");
  });

  test("nothing from a node namespace reaches beyond the test ranges", () => {
    const routes = run(["ip", "netns", "exec", a1.netns, "ip", "route", "show"]);
    expect(routes).not.toContain("default");
    expect(run(["ip", "route", "show", "type", "blackhole"])).toContain("10.244.0.0/15");
  });

  test("down leaves no process, namespace, link or route; up brings it back", async () => {
    if (deployment) await removeDeployment(deployment);
    deployment = undefined;
    const pids = Object.values(readState()!.daemons);
    expect(pids.length).toBeGreaterThan(0);
    await teardown();
    expect(leftovers()).toEqual([]);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
    const state = await up({ clusters: 1, nodes: 4 });
    expect(Object.keys(state.nodes)).toHaveLength(4);
  }, 180_000);
});
