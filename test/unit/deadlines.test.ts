// Every wait honours its deadline even when the API server stops answering: a look that never
// settles is given up at the deadline or on cancellation (src/runtime/poll.ts).
import { describe, expect, test } from "bun:test";
import { ClusterError } from "../../src/errors.ts";
import { watchFloaters } from "../../src/floater/wait.ts";
import { runServices } from "../../src/floater/services.ts";
import type { KubeApi } from "../../src/kube/client.ts";
import { poll, within } from "../../src/runtime/poll.ts";

const never = <T>() => new Promise<T>(() => {});
const elapsed = async <T>(p: Promise<T>): Promise<[T, number]> => {
  const t0 = performance.now();
  const value = await p;
  return [value, performance.now() - t0];
};

describe("a look that never answers", () => {
  test("poll returns at its deadline, with nothing seen", async () => {
    const [r, ms] = await elapsed(poll({ look: never<number>, done: () => true, timeoutMs: 200 }));
    expect(r).toEqual({ met: false, state: undefined });
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(ms).toBeLessThan(400);
  });
  test("poll returns at its deadline with the last state seen before the hang", async () => {
    let n = 0;
    const look = () => (++n <= 2 ? Promise.resolve(n) : never<number>());
    const [r, ms] = await elapsed(poll({ look, done: () => false, timeoutMs: 200, intervalMs: 10 }));
    expect(r).toEqual({ met: false, state: 2 });
    expect(ms).toBeLessThan(400);
  });
  test("cancelled mid-hang: poll returns at once", async () => {
    const c = new AbortController();
    setTimeout(() => c.abort(), 50);
    const [r, ms] = await elapsed(poll({ look: never<number>, done: () => true, timeoutMs: 60_000, signal: c.signal }));
    expect(r.met).toBe(false);
    expect(ms).toBeLessThan(300);
  });
  test("cancelled during the pause between looks: returns at once, not after the interval", async () => {
    const c = new AbortController();
    setTimeout(() => c.abort(), 50);
    const [r, ms] = await elapsed(poll({ look: async () => 1, done: () => false, timeoutMs: 60_000, intervalMs: 10_000, signal: c.signal }));
    expect(r).toEqual({ met: false, state: 1 });
    expect(ms).toBeLessThan(300);
  });
  test("within: an answer already there wins over a deadline already passed; a late failure is ignored", async () => {
    expect(await within(Promise.resolve("here"), 0)).toEqual({ value: "here" });
    expect(await within(Bun.sleep(50).then(() => Promise.reject(new Error("late"))), 10)).toBeUndefined();
    await Bun.sleep(60);
  });
});

describe("the run's waits, with an API server that stops answering", () => {
  const wait = { cluster: "prod", namespace: "ns", runId: "r1", nodes: ["n1", "n2"], networks: ["pod" as const], pollMs: 10 };
  const api = (o: Partial<KubeApi> = {}) => ({ target: { contextName: "prod", server: "https://prod:6443" }, listPods: never, listEndpointSlices: never, ...o }) as unknown as KubeApi;

  test("waiting for the floaters: not one list answered by the deadline is a ClusterError naming the run and the cluster", async () => {
    const [err, ms] = await elapsed(watchFloaters(api(), { ...wait, timeoutMs: 200 }).catch((e) => e));
    expect(ms).toBeLessThan(400);
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.message).toBe("timed out after 0.2s waiting for the floaters of run r1 (last seen: no answer to listing its pods) in context 'prod' (https://prod:6443)");
  });
  test("waiting for the floaters, cancelled before any list answered: each node is not ready, and says why", async () => {
    const c = new AbortController();
    setTimeout(() => c.abort(), 50);
    const [w, ms] = await elapsed(watchFloaters(api(), { ...wait, timeoutMs: 60_000, signal: c.signal }));
    expect(ms).toBeLessThan(300);
    expect(w.outcome()).toEqual({ ready: [], notReady: ["n1", "n2"].map((node) => ({ cluster: "prod", node, reason: "not seen: the run was cancelled before the API server answered" })) });
  });
  test("a straggler watch whose lists stop answering ends at the deadline", async () => {
    let lists = 0;
    const ready = (node: string, k: number) => ({
      metadata: { name: `f-${node}`, namespace: "ns", labels: { "netdoctor.io/network": "pod" } },
      spec: { nodeName: node, containers: [] },
      status: { podIP: `10.0.${k}.1`, conditions: [{ type: "Ready", status: "True" }], containerStatuses: [{ name: "f", image: "", imageID: "", ready: true, restartCount: 0 }] },
    });
    const nodes = Array.from({ length: 12 }, (_, k) => `n${k + 1}`);
    // The first lists show all but one ready; then the API server hangs.
    const listPods = () => (++lists <= 3 ? Promise.resolve(nodes.slice(0, 11).map(ready)) : never());
    const w = await watchFloaters(api({ listPods } as Partial<KubeApi>), { ...wait, nodes, timeoutMs: 500, handOverAfterMs: 20 });
    expect(w.awaited.map((a) => a.node)).toEqual(["n12"]);
    const [got, ms] = await elapsed(w.arrivals());
    expect(got).toEqual([]);
    expect(ms).toBeLessThan(600);
  });
  test("waiting for the Services' endpoints: gives up at its deadline and probes anyway", async () => {
    const listServices = async () => [];
    const [r, ms] = await elapsed(runServices(api({ listServices } as Partial<KubeApi>), { namespace: "ns", runId: "r1", kinds: ["cluster"], ready: 2, port: 8889, timeoutMs: 200 }));
    expect(ms).toBeLessThan(400);
    expect(r).toEqual({ port: 8889, clusterIPs: [], localIPs: [] });
  });
});
