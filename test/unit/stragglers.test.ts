// Stragglers: the floaters ready are handed over once readiness stalls, the rest are watched
// beside the probing, and each group that comes is probed in a wave of its own: it probes every
// floater, the others probe it, and no pair is probed twice or left out.
import { describe, expect, test } from "bun:test";
import type { V1Pod } from "@kubernetes/client-node";
import { NETWORK } from "../../src/floater/manifests.ts";
import { watchFloaters } from "../../src/floater/wait.ts";
import type { KubeApi } from "../../src/kube/client.ts";
import { planLegs, type PlanOptions } from "../../src/probe/plan.ts";
import type { Floater, Probe } from "../../src/probe/types.ts";
import { until } from "../helpers/until.ts";

const floater = (node: string, k: number, network: "pod" | "host" = "pod"): Floater =>
  ({ cluster: "c", node, pod: `p-${node}-${network}`, namespace: "ns", network, ips: [network === "pod" ? `10.0.${k}.1` : `192.168.0.${k}`], hostIps: [`192.168.0.${k}`] });
const options = (o: Partial<PlanOptions> = {}): PlanOptions =>
  ({ mode: "pod", protocols: ["icmp", "tcp", "dns"], ipFamily: "ipv4", port: 8889, targets: ["10.9.9.9:443"], dnsName: "", dnsServer: "", ...o });
const pairsIn = (legs: ReturnType<typeof planLegs>): string[] =>
  legs.flatMap((l) => l.plans.flatMap((p) => p.probes().map((x: Probe) => `${x.source.node}>${x.target.node || x.target.ip}/${x.protocol}`)));

describe("waves of probes", () => {
  const nodes = Array.from({ length: 8 }, (_, k) => floater(`n${k + 1}`, k + 1));
  for (const [name, opts] of [["full mesh", options()], ["sampled", options({ sampling: { k: 3, seed: "s" } })]] as const) {
    test(`${name}: the first wave and the stragglers' wave together are the run with every floater at once`, () => {
      const [early, late] = [nodes.slice(0, 6), nodes.slice(6)];
      const all = planLegs(opts, "both", { cluster: "c", floaters: nodes });
      const names = nodes.map((n) => n.node);
      const first = planLegs(opts, "both", { cluster: "c", floaters: early, nodes: names });
      const fresh = new Set(late);
      const second = planLegs(opts, "both", { cluster: "c", floaters: nodes, nodes: names }, undefined, (f) => fresh.has(f));
      const waves = [...pairsIn(first), ...pairsIn(second)];
      expect(new Set(waves).size).toBe(waves.length);
      expect(waves.sort()).toEqual(pairsIn(all).sort());
      // Counted as they are made.
      expect(second[0]!.plans.reduce((n, p) => n + p.count, 0)).toBe(pairsIn(second).length);
    });
  }
  test("across two clusters: a straggler in the destination is probed both ways in its wave, nothing twice", () => {
    const other = (node: string, k: number): Floater => ({ ...floater(node, k), cluster: "d", pod: `q-${node}` });
    const a = nodes.slice(0, 3);
    const b = [other("m1", 11), other("m2", 12), other("m3", 13)];
    const opts = options({ protocols: ["icmp"], targets: [] });
    const all = planLegs(opts, "both", { cluster: "c", floaters: a }, { cluster: "d", floaters: b });
    const first = planLegs(opts, "both", { cluster: "c", floaters: a }, { cluster: "d", floaters: b.slice(0, 2) });
    const fresh = new Set([b[2]!]);
    const second = planLegs(opts, "both", { cluster: "c", floaters: a }, { cluster: "d", floaters: b }, (f) => fresh.has(f));
    expect(second.map((l) => l.cluster)).toEqual(["c", "d"]);
    expect(pairsIn(second).sort()).toEqual(["m3>n1/icmp", "m3>n2/icmp", "m3>n3/icmp", "n1>m3/icmp", "n2>m3/icmp", "n3>m3/icmp"]);
    expect([...pairsIn(first), ...pairsIn(second)].sort()).toEqual(pairsIn(all).sort());
  });
  test("the floaters already probing probe a straggler without their DNS and --target probes again", () => {
    const fresh = new Set([nodes[7]!]);
    const second = planLegs(options(), "both", { cluster: "c", floaters: nodes }, undefined, (f) => fresh.has(f));
    const bySource = (node: string) => second[0]!.plans.filter((p) => p.source.node === node).flatMap((p) => p.probes().map((x) => x.protocol + (x.custom ? "*" : "")));
    expect(bySource("n1").sort()).toEqual(["icmp", "tcp"]);
    expect(bySource("n8").filter((p) => p === "dns" || p === "tcp*")).toEqual(["dns", "tcp*"]);
  });
  test("node-to-pod: a node whose pod floater came late is probed as a target only in its wave", () => {
    const opts = options({ mode: "node-to-pod", protocols: ["icmp"], targets: [] });
    const hosts = [1, 2, 3].map((k) => floater(`n${k}`, k, "host"));
    const pods = [1, 2, 3].map((k) => floater(`n${k}`, k, "pod"));
    const fresh = new Set([pods[2]!]);
    const second = planLegs(opts, "both", { cluster: "c", floaters: [...hosts, ...pods] }, undefined, (f) => fresh.has(f));
    expect(pairsIn(second).sort()).toEqual(["n1>n3/icmp", "n2>n3/icmp"]);
  });
});

type Script = (node: string, elapsedMs: number) => "ready" | "creating" | "unacknowledged" | "absent";

function fakeApi(script: Script, nodes: string[], leases?: Map<string, number>): { api: KubeApi; lists: string[] } {
  const started = Date.now();
  const lists: string[] = [];
  const pod = (node: string, state: ReturnType<Script>, k: number): V1Pod => ({
    metadata: { name: `f-${node}`, namespace: "ns", labels: { [NETWORK]: "pod" }, creationTimestamp: new Date(started - 60_000) },
    spec: { nodeName: node, containers: [] },
    status: state === "ready"
      ? { podIP: `10.0.${k}.1`, podIPs: [{ ip: `10.0.${k}.1` }], conditions: [{ type: "Ready", status: "True" }], containerStatuses: [{ name: "f", image: "", imageID: "", ready: true, restartCount: 0 }] }
      : state === "creating"
        ? { phase: "Pending", containerStatuses: [{ name: "f", image: "", imageID: "", ready: false, restartCount: 0, state: { waiting: { reason: "ContainerCreating" } } }] }
        : { phase: "Pending" },
  });
  const api = {
    target: { contextName: "c" },
    listPods: async (_ns: string, _labels: string, fields?: string) => {
      lists.push(fields ?? "all");
      const only = fields?.replace("spec.nodeName=", "");
      return nodes.flatMap((node, k) => {
        const state = script(node, Date.now() - started);
        return state === "absent" || (only && only !== node) ? [] : [pod(node, state, k + 1)];
      });
    },
    nodeLeases: async () => leases,
  } as unknown as KubeApi;
  return { api, lists };
}

describe("watching the floaters", () => {
  const nodes = ["n1", "n2", "n3", "n4"];
  const wait = { cluster: "c", namespace: "ns", runId: "r", nodes, networks: ["pod" as const], pollMs: 10 };

  test("all ready: handed over at once, nothing awaited", async () => {
    const { api } = fakeApi(() => "ready", nodes);
    const w = await watchFloaters(api, { ...wait, timeoutMs: 5_000, handOverAfterMs: 100 });
    expect(w.ready.map((f) => f.node)).toEqual(nodes);
    expect(w.awaited).toEqual([]);
    expect(await w.arrivals()).toEqual([]);
    expect(w.outcome().notReady).toEqual([]);
  });

  test("one pulling its image: the others are handed over once readiness stalls, it comes later as a late node", async () => {
    const { api, lists } = fakeApi((node, ms) => (node !== "n4" || ms > 400 ? "ready" : "creating"), nodes);
    const w = await watchFloaters(api, { ...wait, timeoutMs: 5_000, handOverAfterMs: 100 });
    expect(w.ready.map((f) => f.node)).toEqual(["n1", "n2", "n3"]);
    expect(w.awaited).toEqual([{ cluster: "c", node: "n4", reason: "ContainerCreating" }]);
    expect((await w.arrivals()).map((f) => f.node)).toEqual(["n4"]);
    expect(await w.arrivals()).toEqual([]);
    const o = w.outcome();
    expect(o.notReady).toEqual([]);
    expect(o.late).toEqual([{ cluster: "c", node: "n4", reason: "ContainerCreating", readyAfterMs: expect.any(Number) }]);
    expect(o.late![0]!.readyAfterMs).toBeGreaterThanOrEqual(400);
    // The straggler alone is looked at once the others are handed over.
    expect(lists.filter((l) => l === "spec.nodeName=n4").length).toBeGreaterThan(0);
  });

  test("more than a tenth still to come is a slow cluster, not stragglers: waited for", async () => {
    const eight = ["n1", "n2", "n3", "n4", "n5", "n6", "n7", "n8"];
    const { api } = fakeApi((node, ms) => (["n1", "n2", "n3", "n4", "n5", "n6"].includes(node) || ms > 400 ? "ready" : "creating"), eight);
    const w = await watchFloaters(api, { ...wait, nodes: eight, timeoutMs: 5_000, handOverAfterMs: 100 });
    expect(w.ready.length).toBe(8);
    expect(w.awaited).toEqual([]);
  });

  test("one that never comes: given up at the deadline, with what held it", async () => {
    const { api } = fakeApi((node) => (node !== "n2" ? "ready" : "creating"), nodes);
    const w = await watchFloaters(api, { ...wait, timeoutMs: 600, handOverAfterMs: 100 });
    expect(w.awaited.map((a) => a.node)).toEqual(["n2"]);
    const t0 = Date.now();
    expect(await w.arrivals()).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(1_000);
    expect(w.outcome()).toMatchObject({ ready: w.ready, notReady: [{ cluster: "c", node: "n2", reason: "ContainerCreating" }], late: [] });
  });

  test("one with no sign of life (its kubelet's lease is stale): given up at once, not awaited", async () => {
    const leases = new Map(nodes.map((n) => [n, n === "n3" ? Date.now() - 60_000 : Date.now()]));
    const { api } = fakeApi((node) => (node !== "n3" ? "ready" : "unacknowledged"), nodes, leases);
    const w = await watchFloaters(api, { ...wait, timeoutMs: 5_000, handOverAfterMs: 10_000 });
    expect(w.awaited).toEqual([]);
    expect(w.outcome().notReady).toEqual([{ cluster: "c", node: "n3", reason: expect.stringContaining("never acknowledged") }]);
  });

  test("without a hand-over, the wait is for every floater", async () => {
    const { api } = fakeApi((node, ms) => (node !== "n4" || ms > 300 ? "ready" : "creating"), nodes);
    const w = await watchFloaters(api, { ...wait, timeoutMs: 5_000 });
    expect(w.ready.map((f) => f.node)).toEqual(nodes);
    expect(w.awaited).toEqual([]);
  });

  test("a cancelled run stops watching", async () => {
    const abort = new AbortController();
    const { api } = fakeApi((node) => (node !== "n4" ? "ready" : "creating"), nodes);
    const w = await watchFloaters(api, { ...wait, timeoutMs: 60_000, handOverAfterMs: 50, signal: abort.signal });
    setTimeout(() => abort.abort(), 50);
    expect(await w.arrivals()).toEqual([]);
    expect(w.outcome().notReady.map((n) => n.node)).toEqual(["n4"]);
  });
});

describe("a run that later waves join", () => {
  const plan = (node: string) => ({
    source: floater(node, 1),
    count: 1,
    probes: () => [{ id: 1, protocol: "tcp" as const, family: "ipv4" as const, source: { cluster: "c", node, ip: "1" }, target: { cluster: "c", node: "x", ip: "2", port: 8889 } }],
  });
  const options = { concurrency: 1, strategy: "fanout" as const, script: { timeout: 1, pingCount: 1, lanes: 1 }, retries: 0 };
  const ok = async () => {
    await Bun.sleep(5);
    return { exitCode: 0, stdout: "@@ 1 0 OK\n", stderr: "" };
  };

  test("a wave goes ahead of what is left, the run waits for more until closed", async () => {
    const { ProbeQueue, runProbes } = await import("../../src/probe/run.ts");
    const queue = new ProbeQueue("fanout");
    queue.add(["a1", "a2", "a3", "a4"].map(plan));
    const order: string[] = [];
    let verdicts = 0;
    const run = runProbes(queue, async (pod) => {
      order.push(pod.name);
      return ok();
    }, options, (v) => (verdicts += v.length));
    await until("the first exec", () => order.length === 1);
    queue.add([plan("late")], true);
    await until("every verdict of both waves", () => verdicts === 5);
    // All ran; still open, the run goes on. (An end that does not come cannot be waited for:
    // the run is given a moment in which it would have ended.)
    expect(order.length).toBe(5);
    let ended = false;
    void run.then(() => (ended = true));
    await Bun.sleep(20);
    expect(ended).toBe(false);
    queue.add([plan("later")]);
    queue.close();
    expect((await run).execs).toBe(6);
    // The late one went before the first wave's last ones.
    expect(order.indexOf("p-late-pod")).toBeLessThan(order.indexOf("p-a4-pod"));
    expect(order.at(-1)).toBe("p-later-pod");
  });

  test("a later wave's probes join the exec of a source not started yet, else queue last and later waves join them there", async () => {
    const { ProbeQueue, runProbes } = await import("../../src/probe/run.ts");
    const queue = new ProbeQueue("fanout");
    const source = (node: string) => floater(node, 1);
    const sources = new Map(["a1", "a2", "a3"].map((n) => [n, source(n)]));
    const planOf = (node: string, target: string, ids = 1) => ({
      source: sources.get(node)!,
      count: ids,
      probes: () => Array.from({ length: ids }, (_, k) => ({ id: k + 1, protocol: "icmp" as const, family: "ipv4" as const, source: { cluster: "c", node, ip: "1" }, target: { cluster: "c", node: target, ip: target } })),
    });
    queue.add([planOf("a1", "a2", 2), planOf("a2", "a1", 2), planOf("a3", "a1", 2)]);
    const execs: { pod: string; ids: number[]; targets: string[] }[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = runProbes(queue, async (pod, command) => {
      // The script's probe calls: "i ID 'HOST'" (a lane runs them in a subshell, ";"-separated).
      const calls = [...command[2]!.matchAll(/[(;]i (\d+) '([^']*)'(?=[;)])/g)];
      const ids = calls.map((m) => Number(m[1]));
      const targets = calls.map((m) => m[2]!);
      execs.push({ pod: pod.name, ids, targets });
      if (execs.length === 1) await gate;
      return { exitCode: 0, stdout: ids.map((id) => `@@ ${id} 0 OK`).join("\n") + "\n", stderr: "" };
    }, options, () => {});
    // a1's exec has started (held at the gate); a2's and a3's wait.
    await until("a1's exec", () => execs.length === 1);
    queue.join([planOf("a1", "late"), planOf("a2", "late"), planOf("a3", "late")]);
    queue.join([planOf("a1", "later")]);
    release();
    queue.close();
    expect((await run).execs).toBe(4);
    expect(execs.map((e) => e.pod)).toEqual(["p-a1-pod", "p-a2-pod", "p-a3-pod", "p-a1-pod"]);
    expect(execs[1]).toEqual({ pod: "p-a2-pod", ids: [1, 2, 3], targets: ["a1", "a1", "late"] });
    expect(execs[3]).toEqual({ pod: "p-a1-pod", ids: [1, 2], targets: ["late", "later"] });
  });

  test("adaptive concurrency: the run ends once the queue is closed and drained", async () => {
    const { ProbeQueue, runProbes } = await import("../../src/probe/run.ts");
    const queue = new ProbeQueue("fanout");
    queue.add(Array.from({ length: 30 }, (_, k) => plan(`n${k}`)));
    const run = runProbes(queue, ok, { ...options, concurrency: 0 }, () => {});
    queue.close();
    expect((await run).execs).toBe(30);
  });

  test("a cancelled run takes nothing more, even from an open queue", async () => {
    const { ProbeQueue, runProbes } = await import("../../src/probe/run.ts");
    const abort = new AbortController();
    const queue = new ProbeQueue("fanout");
    const run = runProbes(queue, ok, { ...options, signal: abort.signal }, () => {});
    setTimeout(() => abort.abort(), 20);
    expect((await run).execs).toBe(0);
  });
});
