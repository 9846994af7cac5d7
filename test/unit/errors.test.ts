import { describe, expect, test } from "bun:test";
import { apiFailure, clusterError, isBug } from "../../src/kube/errors.ts";
import type { ClusterTarget } from "../../src/kube/kubeconfig.ts";
import { ExecTransportError } from "../../src/kube/exec.ts";
import { runProbes } from "../../src/probe/run.ts";
import type { SourcePlan } from "../../src/probe/types.ts";
import { Teardown } from "../../src/engine/teardown.ts";
import { LeftBehindError } from "../../src/floater/leftovers.ts";
import { poll, timeoutMessage } from "../../src/runtime/poll.ts";
import { notReadyReason } from "../../src/floater/wait.ts";

const target = { contextName: "prod", server: "https://10.0.0.1:6443", files: ["/home/u/.kube/config"] } as ClusterTarget;
const plan: SourcePlan = {
  source: { cluster: "c", node: "n1", pod: "p1", namespace: "ns", network: "pod", ips: ["10.0.0.1"], hostIps: ["192.168.0.1"] },
  count: 1,
  probes: () => [{ id: 0, protocol: "tcp", family: "ipv4", source: { cluster: "c", node: "n1", ip: "10.0.0.1" }, target: { cluster: "c", node: "n2", ip: "10.0.0.2", port: 8889 } }],
};
const options = { concurrency: 1, strategy: "fanout" as const, script: { timeout: 1, pingCount: 1, lanes: 1 }, retries: 2, backoffMs: () => 1 };

describe("errors: a bug is a bug, a cluster's answer is a cluster error", () => {
  test("API failures are worded with context, server and what we were doing", () => {
    expect(clusterError({ code: 403, body: JSON.stringify({ message: "pods is forbidden", reason: "Forbidden" }) }, target, "listing pods").message)
      .toBe("listing pods: forbidden in context 'prod' (https://10.0.0.1:6443): pods is forbidden");
    expect(clusterError({ code: 401, body: "" }, target, "listing nodes").message).toContain("check the credentials in /home/u/.kube/config");
    expect(clusterError({ code: "ECONNREFUSED" }, target, "reading the server version").message)
      .toBe("reading the server version: cannot reach the API server of context 'prod' (https://10.0.0.1:6443): connection refused");
    expect(clusterError({ code: 500, body: { message: "etcd down" } }, target, "x").message).toBe("x: context 'prod' (https://10.0.0.1:6443) answered 500: etcd down");
    expect(apiFailure({ cause: { code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" }, message: "x" }).message).toContain("TLS certificate not trusted");
  });
  test("a TypeError of our own is a bug; a network error that happens to be a TypeError is not", () => {
    expect(isBug(new TypeError("cannot read properties of undefined"))).toBe(true);
    expect(isBug(Object.assign(new TypeError("fetch failed"), { cause: new Error("ECONNRESET") }))).toBe(false);
    expect(isBug({ code: 404 })).toBe(false);
    expect(isBug(new Error("socket hang up"))).toBe(false);
  });
  test("an exec that fails in transit is an Error verdict; a bug in the exec path throws", async () => {
    const verdicts: string[] = [];
    await runProbes([plan], async () => { throw new ExecTransportError("pod gone", false); }, options, (v) => verdicts.push(...v.map((x) => `${x.status}: ${x.reason}`)));
    expect(verdicts).toEqual(["Error: could not test: pod gone"]);
    await expect(runProbes([plan], async () => { throw new TypeError("x is undefined"); }, options, () => {})).rejects.toThrow(TypeError);
  });
  test("a bug in classifying leaves as a bug, not an Error verdict", async () => {
    const broken = { ...plan, probes: () => [{ ...plan.probes()[0]!, target: undefined as never }] };
    const got: unknown[] = [];
    const run = runProbes([broken], async () => ({ exitCode: 0, stdout: "@@ 0 1 Connection refused\n", stderr: "" }), options, (v) => got.push(...v));
    await expect(run).rejects.toThrow();
    expect(got).toEqual([]);
  });
  test("removal names what it could not remove, and what a hung removal left once its budget passed", async () => {
    const teardown = new Teardown();
    teardown.add({ what: "the floaters of run r in context 'a'", finish: "kubectl netdoctor clean -n netdoctor --context a", remove: async () => { throw new TypeError("oops"); } });
    // One that ignores its own deadline: given up on a second after it.
    teardown.add({ what: "the floaters of run r in context 'b'", finish: "kubectl netdoctor clean -n netdoctor --context b", remove: () => new Promise<void>(() => {}) });
    // One that says itself what it left.
    teardown.add({ what: "the floaters of run r in context 'c'", finish: "", remove: async () => { throw new LeftBehindError("timed out after 0.1s waiting for the removal of run r in context 'c'; left: daemonset netdoctor/x; finish with: kubectl netdoctor clean -n netdoctor --context c"); } });
    teardown.add({ what: "nothing left", finish: "", remove: async () => {} });
    const started = Date.now();
    const left = await teardown.run(100);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(left).toEqual([
      "removing the floaters of run r in context 'a' failed: oops; left in the cluster: finish with: kubectl netdoctor clean -n netdoctor --context a",
      "removing the floaters of run r in context 'b' not done after 0.1s; left in the cluster: finish with: kubectl netdoctor clean -n netdoctor --context b",
      "timed out after 0.1s waiting for the removal of run r in context 'c'; left: daemonset netdoctor/x; finish with: kubectl netdoctor clean -n netdoctor --context c",
    ]);
    // Run once: a second call has nothing left to do.
    expect(await teardown.run(100)).toEqual([]);
  });
});

describe("polling", () => {
  test("until done; the last state seen is kept", async () => {
    let n = 0;
    const seen: number[] = [];
    const r = await poll({ look: async () => ++n, done: (x) => x === 3, timeoutMs: 5_000, intervalMs: 1, onLook: (x) => seen.push(x) });
    expect(r).toEqual({ state: 3, met: true });
    expect(seen).toEqual([1, 2, 3]);
  });
  test("a deadline: looked at least once, not met, worded with the last state", async () => {
    const r = await poll({ look: async () => "2 pods left", done: () => false, timeoutMs: 0 });
    expect(r).toEqual({ state: "2 pods left", met: false });
    expect(timeoutMessage("the pods to go", 90_000, r.state)).toBe("timed out after 90s waiting for the pods to go (last seen: 2 pods left)");
  });
  test("cancelled: stops at once", async () => {
    const c = new AbortController();
    c.abort();
    const started = Date.now();
    expect((await poll({ look: async () => 0, done: () => false, timeoutMs: 60_000, signal: c.signal })).met).toBe(false);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe("why a floater is not ready", () => {
  test("in kubectl's words", () => {
    expect(notReadyReason(undefined)).toContain("no floater pod was created");
    expect(notReadyReason({ status: { containerStatuses: [{ name: "f", ready: false, restartCount: 0, image: "", imageID: "", state: { waiting: { reason: "ImagePullBackOff", message: "Back-off pulling image\nmore" } } }] } })).toBe("ImagePullBackOff: Back-off pulling image");
    expect(notReadyReason({ status: { containerStatuses: [{ name: "f", ready: false, restartCount: 1, image: "", imageID: "", state: { terminated: { exitCode: 1, reason: "Error" } } }] } })).toBe("container exited (Error)");
    expect(notReadyReason({ status: { conditions: [{ type: "PodScheduled", status: "False", reason: "Unschedulable", message: "0/4 nodes are available" }] } })).toBe("Unschedulable: 0/4 nodes are available");
    expect(notReadyReason({ status: { phase: "Running" } })).toBe("not Ready: the floater does not answer its readiness probe");
    expect(notReadyReason({ spec: { nodeName: "n1", containers: [] }, status: { phase: "Pending" } })).toContain("kubelet never acknowledged the pod");
  });
});
