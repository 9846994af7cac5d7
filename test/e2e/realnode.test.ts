// A real node (kubelet, containerd, runc, CNI bridge) beside the simulated ones: the shipped
// floater runs on it from the locally imported image, and every pair with it is a real packet
// through a real pod's network namespace.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminApi, readState } from "../../scripts/cluster/harness.ts";
import { injectFault } from "../../scripts/cluster/faults.ts";
import { leftovers } from "../../scripts/cluster/network.ts";
import { realNodeLeftovers, realNodeTasks } from "../../scripts/cluster/realnode.ts";
import { findNode, topology } from "../../scripts/cluster/topology.ts";
import { createExec } from "../../src/kube/exec.ts";
import { loadClusterTarget } from "../../src/kube/kubeconfig.ts";
import { floaterObjects } from "../../src/floater/manifests.ts";
import { runProbes } from "../../src/probe/run.ts";
import type { Verdict } from "../../src/probe/types.ts";
import { ensureCluster, heal, teardown } from "../helpers/cluster.ts";
import { netdoctorObjects } from "../helpers/leftovers.ts";
import { BINARY, json, runPlugin } from "../helpers/plugin.ts";

const SHAPE = { clusters: 1 as const, nodes: 4, realNodes: 1 };
const layout = topology(SHAPE);
const real = findNode(layout, "node-r1");

let kubeconfig = "";
const dir = mkdtempSync(join(tmpdir(), "nd-realnode-"));
let n = 0;
const plugin = (...args: string[]) => runPlugin([...args, "--kubeconfig", kubeconfig, "--no-progress"]);

async function check(...args: string[]) {
  const r = await plugin("check", "-o", "json", "--results", join(dir, `r${++n}.json`), ...args);
  return { ...r, doc: json(r) };
}
const failing = (doc: any) => (doc.results as any[]).filter((r) => r.status !== "Succeeded").map((r) => `${r.source.node}->${r.target.node || r.target.name} ${r.protocol}/${r.family}`).sort();
const errorKinds = (doc: any) => (doc.findings as any[]).filter((f) => f.severity === "error").map((f) => `${f.kind} ${JSON.stringify(f.subject)}`);
const tasks = () => realNodeTasks(real, readState()!.nodes[real.name]!.holder!);

beforeAll(async () => {
  kubeconfig = await ensureCluster(SHAPE);
}, 240_000);
afterEach(async () => {
  // The last test takes the cluster down.
  if (!readState()) return;
  await heal();
  await plugin("clean", "-A");
});

describe("a real node in the test cluster", () => {
  test("it is a real kubelet on containerd, Ready, with its address and pod CIDRs", async () => {
    const node = await adminApi("a").ok("GET", `/api/v1/nodes/${real.name}`);
    expect(node.status.nodeInfo.containerRuntimeVersion).toBe("containerd://2.2.9");
    expect(node.status.nodeInfo.kubeletVersion).toBe("v1.36.3");
    expect(node.status.conditions.find((c: any) => c.type === "Ready").status).toBe("True");
    expect(node.status.addresses.filter((a: any) => a.type === "InternalIP").map((a: any) => a.address)).toEqual([real.ip, real.ip6]);
    expect(node.spec.podCIDRs).toEqual([real.podCIDR, real.podCIDR6]);
    expect(real.ip).toBe("10.200.0.15");
    expect(real.podCIDR).toBe("10.244.5.0/24");
  });

  test("healthy: every pair across real and simulated nodes passes, dual-stack, pod and node mode, Services; the floater is the shipped one", async () => {
    const pod = await check("-p", "icmp,tcp,dns", "--ip-family", "dual", "--keep");
    expect(failing(pod.doc)).toEqual([]);
    expect(pod.code).toBe(0);
    const withReal = (pod.doc.results as any[]).filter((r) => r.source.node === real.name || r.target.node === real.name);
    // icmp and tcp, both families, both directions with each of the 4 simulated nodes.
    expect(withReal.filter((r) => r.protocol === "icmp" || r.protocol === "tcp")).toHaveLength(32);
    const floater = ((await adminApi("a").ok("GET", `/api/v1/namespaces/netdoctor/pods?labelSelector=netdoctor.io%2Frun-id%3D${pod.doc.run.id}`)).items as any[])
      .find((p) => p.spec.nodeName === real.name);
    expect(floater.spec.containers[0].image).toBe("docker.io/library/busybox:1.37.0");
    expect(floater.status.containerStatuses[0].ready).toBe(true);
    expect(floater.status.podIPs.map((p: any) => p.ip)).toEqual([expect.stringMatching(/^10\.244\.5\./), expect.stringMatching(/^fd7e:6e64:244:5::/)]);
    expect(tasks().length).toBe(2); // the floater and its pod sandbox
    expect((await plugin("clean")).code).toBe(0);
    // The Services through every node's kube-proxy, the real one's included: ClusterIPs from
    // every node, and every node's NodePort from every other (the real pod's requests too).
    const svc = await check("-p", "svc,nodeport");
    expect(failing(svc.doc)).toEqual([]);
    expect(svc.doc.results.filter((r: any) => r.protocol === "nodeport" && (r.source.node === real.name || r.target.node === real.name))).toHaveLength(8);
    expect(svc.doc.results.filter((r: any) => r.protocol === "svc" && r.source.node === real.name).map((r: any) => r.target.name)).toEqual(["service", "service-local"]);
    const node = await check("--mode", "node", "-p", "icmp,tcp", "--ip-family", "dual");
    expect(failing(node.doc)).toEqual([]);
    expect(node.code).toBe(0);
  });

  test("a drop into the real node (forwarded to its pod): one link finding, exactly those pairs", async () => {
    await injectFault({ kind: "drop", from: "node-a1", to: real.name });
    const r = await check();
    expect(r.code).toBe(1);
    expect(failing(r.doc)).toEqual(["node-a1->node-r1 icmp/ipv4", "node-a1->node-r1 tcp/ipv4"]);
    expect(errorKinds(r.doc)).toEqual([`link {"from":"node-a1","to":"node-r1","bothWays":false,"protocols":["icmp/ipv4","tcp/ipv4"]}`]);
  });

  test("a drop out of the real node: one link finding, exactly those pairs", async () => {
    await injectFault({ kind: "drop", from: real.name, to: "node-a3", proto: "tcp" });
    const r = await check();
    expect(failing(r.doc)).toEqual(["node-r1->node-a3 tcp/ipv4"]);
    expect(errorKinds(r.doc)).toEqual([`link {"from":"node-r1","to":"node-a3","bothWays":false,"protocols":["tcp/ipv4"]}`]);
  });

  test("listener down on the real node: one finding, tcp to it from every node; its floater stays Ready", async () => {
    await injectFault({ kind: "listener-down", node: real.name });
    const r = await check();
    expect(failing(r.doc)).toEqual(["node-a1", "node-a2", "node-a3", "node-a4"].map((s) => `${s}->node-r1 tcp/ipv4`));
    expect(r.doc.results.filter((x: any) => x.status !== "Succeeded").map((x: any) => x.reasonCode)).toEqual(Array(4).fill("refused"));
    expect(errorKinds(r.doc)).toEqual([`protocol-to-node {"cluster":"netdoctor-a","node":"node-r1","protocols":["tcp/ipv4"]}`]);
  });
});

describe("Pod Security on a real node", () => {
  const namespaces: string[] = [];
  async function namespace(name: string, level: string): Promise<string> {
    await adminApi("a").ok("POST", "/api/v1/namespaces", { metadata: { name, labels: { "pod-security.kubernetes.io/enforce": level } } });
    namespaces.push(name);
    return name;
  }
  afterAll(async () => {
    for (const ns of namespaces) await adminApi("a").request("DELETE", `/api/v1/namespaces/${ns}`);
  });

  test("baseline admits pod mode; baseline refuses --mode node with a clear error before creating anything; privileged admits it", async () => {
    const baseline = await namespace("nd-baseline", "baseline");
    const pod = await check("-n", baseline, "-p", "icmp,tcp");
    expect(failing(pod.doc)).toEqual([]);
    expect(pod.code).toBe(0);
    expect(pod.doc.results.some((r: any) => r.source.node === real.name)).toBe(true);

    const refused = await plugin("check", "-n", baseline, "--mode", "node", "-p", "icmp");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`namespace '${baseline}' in context 'netdoctor-a' would refuse the floaters: its Pod Security level is "baseline"`);
    expect(refused.stderr).toContain(`only by "privileged"`);
    expect(await netdoctorObjects()).toEqual([]);

    const privileged = await namespace("nd-privileged", "privileged");
    const node = await check("-n", privileged, "--mode", "node", "-p", "icmp,tcp");
    expect(failing(node.doc)).toEqual([]);
    expect(node.code).toBe(0);
  });

  test("restricted refuses the floater: the run says so before creating anything", async () => {
    const restricted = await namespace("nd-restricted", "restricted");
    const r = await plugin("check", "-n", restricted, "-p", "icmp");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`its Pod Security level is "restricted"`);
    expect(r.stderr).toContain(`only by "baseline"`);
  });

  test("ping needs NET_RAW: the shipped floater keeps it from containerd's defaults; without it the product's own icmp probe is an Error saying so", async () => {
    // The product has no capability override, so the pod is made here: the shipped floater pod
    // exactly (as the run builds it) with NET_RAW dropped too, on the real node. The probe that
    // runs in it is the product's: its script, exec and classification (runProbes).
    const ns = await namespace("nd-noraw", "baseline");
    const template = floaterObjects({ namespace: ns, runId: "noraw", image: "docker.io/library/busybox:1.37.0", port: 8889, networks: ["pod"] }).daemonSets[0]!.spec!.template;
    const container = template.spec!.containers[0]!;
    container.securityContext!.capabilities!.drop!.push("NET_RAW");
    await adminApi("a").ok("POST", `/api/v1/namespaces/${ns}/pods`, { metadata: { name: "noraw" }, spec: { ...template.spec, serviceAccountName: undefined, nodeName: real.name } });
    let pod: any;
    for (const until = Date.now() + 60_000; Date.now() < until; await Bun.sleep(500)) {
      pod = await adminApi("a").ok("GET", `/api/v1/namespaces/${ns}/pods/noraw`);
      if (pod.status.containerStatuses?.[0]?.ready) break;
    }
    expect(pod.status.containerStatuses[0].ready).toBe(true);
    const source = { cluster: "netdoctor-a", node: real.name, pod: "noraw", namespace: ns, network: "pod" as const, ips: [pod.status.podIP], hostIps: [real.ip] };
    const probe = { id: 1, protocol: "icmp" as const, family: "ipv4" as const, source: { cluster: "netdoctor-a", node: real.name, ip: pod.status.podIP }, target: { cluster: "netdoctor-a", node: "node-a1", ip: findNode(layout, "node-a1").ip } };
    const verdicts: Verdict[] = [];
    await runProbes([{ source, count: 1, probes: () => [probe] }], createExec(loadClusterTarget({ kubeconfig })),
      { concurrency: 1, strategy: "fanout", retries: 0, script: { timeout: 2, pingCount: 1, lanes: 1 } }, (v) => verdicts.push(...v));
    expect(verdicts.map((v) => [v.status, v.reasonCode, v.reason])).toEqual([["Error", "not-permitted", "ping is not permitted in the floater (it needs CAP_NET_RAW)"]]);
  });
});

describe("resume and clean with a real node", () => {
  test("check with a fault on the real node -> heal -> resume: only those pairs re-run, fixed", async () => {
    const file = join(dir, "resume.json");
    await injectFault({ kind: "drop", from: "node-a2", to: real.name, bothWays: true });
    expect((await plugin("check", "--results", file)).code).toBe(1);
    await heal();
    const r = await plugin("resume", "--results", file, "-o", "json");
    expect(r.code).toBe(0);
    const doc = json(r);
    expect(doc.resume.pairs).toBe(4);
    expect(doc.resume.fixed).toHaveLength(4);
    expect(doc.summary).toMatchObject({ pairs: 40, succeeded: 40, failed: 0 });
    expect(JSON.parse(readFileSync(file, "utf8")).summary.failed).toBe(0);
  });

  test("kill -9 mid-check, then clean: no object left, and no container on the real node", async () => {
    await injectFault({ kind: "drop", from: "node-a1", to: real.name });
    const proc = Bun.spawn([BINARY, "check", "--kubeconfig", kubeconfig, "--timeout", "20", "--results", join(dir, "killed.json")], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    let seen = "";
    for await (const chunk of proc.stderr) {
      seen += new TextDecoder().decode(chunk);
      if (seen.includes("probing")) break;
    }
    proc.kill("SIGKILL");
    await proc.exited;
    expect(tasks().length).toBe(2);
    const clean = await plugin("clean");
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("namespace netdoctor");
    expect(await netdoctorObjects()).toEqual([]);
    // The kubelet stops the containers and removes the sandbox once the pod is gone.
    for (const until = Date.now() + 30_000; tasks().length && Date.now() < until; ) await Bun.sleep(250);
    expect(tasks()).toEqual([]);
  });
});

describe("down", () => {
  test("leaves no container, pod sandbox, CNI allocation, cgroup, mount or namespace of the real node", async () => {
    expect((await plugin("check", "--keep", "-p", "icmp")).code).toBe(0);
    expect(tasks().length).toBe(2);
    const pids = Object.values(readState()!.nodes[real.name]!);
    expect(pids.length).toBeGreaterThan(0);
    await teardown();
    expect(leftovers()).toEqual([]);
    expect(realNodeLeftovers()).toEqual([]);
    for (const pid of pids) expect(() => process.kill(pid!, 0)).toThrow();
  }, 120_000);
});
