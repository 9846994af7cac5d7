// The run engine against scripted clusters (test/helpers/fake-cluster.ts): the orchestration of a
// run, apart from any real API server: waves of stragglers, two clusters each reached through its
// own API, an error mid-run, cancellation, removal within its budget.
import { describe, expect, test } from "bun:test";
import { defaultSettings } from "../../src/config/settings.ts";
import { clusterNames } from "../../src/engine/clusters.ts";
import { runConfigOf } from "../../src/engine/config.ts";
import type { RunEvents } from "../../src/engine/events.ts";
import { planRun } from "../../src/engine/plan.ts";
import { runCheck, runResume, type RunInput } from "../../src/engine/run.ts";
import { ClusterError } from "../../src/errors.ts";
import { ExecTransportError } from "../../src/kube/exec.ts";
import { whatToRecheck } from "../../src/results/resume.ts";
import { fakeCluster, type FakeCluster, type FakeOptions } from "../helpers/fake-cluster.ts";

const settings = { ...defaultSettings(), concurrency: 4, podWaitTimeout: 5 };
const fast = { handOverAfterMs: 100, pollMs: 10 };

function recorder(): RunEvents & { lines: string[] } {
  const lines: string[] = [];
  return { lines, phase: (t) => lines.push(t), update: () => {}, probes: () => {}, done: (t) => void (t && lines.push(t)) };
}

async function check(fakes: FakeCluster[], o: Partial<RunInput> & { overrides?: Partial<typeof settings> } = {}) {
  const config = runConfigOf({ ...settings, ...o.overrides });
  const plans = await planRun(fakes.map((f) => f.cluster), config);
  const events = recorder();
  const outcome = await runCheck({ plans, config, settings: { ...settings, ...o.overrides }, runId: "run1", signal: o.signal ?? new AbortController().signal, events, waits: fast, ...o });
  return { outcome, events };
}

const pairs = (doc: NonNullable<Awaited<ReturnType<typeof runCheck>>["document"]>, status?: string) =>
  [...doc.results].filter((r) => !status || r.status === status).map((r) => `${r.source.cluster}/${r.source.node}>${r.target.cluster}/${r.target.node} ${r.protocol}`).sort();

const four = (o: Partial<FakeOptions> = {}) => fakeCluster({ name: "a", nodes: ["n1", "n2", "n3", "n4"], ...o });

describe("the run engine", () => {
  test("a healthy cluster: every pair, then everything it created removed", async () => {
    const a = four();
    const { outcome, events } = await check([a]);
    expect(outcome.error).toBeUndefined();
    expect(outcome.leftovers).toEqual([]);
    expect(outcome.document!.summary).toMatchObject({ pairs: 24, succeeded: 24, failed: 0, nodesChecked: 4 });
    expect(outcome.document!.partial).toBe(false);
    expect(outcome.document!.findings).toEqual([]);
    expect(a.objects.size).toBe(0);
    expect(a.execs.length).toBe(4);
    expect(events.lines.some((l) => l.startsWith("probing 24 pairs"))).toBe(true);
  });

  test("a one-way drop is found, and only where it is", async () => {
    const a = four({ fails: (src, ip) => src === "n1" && ip === "10.0.2.1" });
    const { outcome } = await check([a]);
    expect(pairs(outcome.document!, "Failed")).toEqual(["a/n1>a/n2 icmp", "a/n1>a/n2 tcp"]);
    expect(outcome.document!.findings.map((f) => f.kind)).toEqual(["link"]);
  });

  test("a straggler is probed as it comes, both ways, and named late", async () => {
    const a = four({ pods: (node, ms) => (node !== "n4" || ms > 400 ? "ready" : "creating") });
    const { outcome, events } = await check([a]);
    const doc = outcome.document!;
    expect(doc.summary).toMatchObject({ pairs: 24, succeeded: 24, lateNodes: 1 });
    expect(doc.late!.map((l) => `${l.cluster}/${l.node} ${l.reason}`)).toEqual(["a/n4 ContainerCreating"]);
    expect(pairs(doc).filter((p) => p.includes("n4")).length).toBe(12);
    expect(events.lines.some((l) => l.startsWith("1 floater came late: n4"))).toBe(true);
  });

  test("two clusters whose kubeconfigs name everything alike: each exec goes to its own API server", async () => {
    const names = clusterNames([{ context: "admin", server: "https://10.0.0.1:6443" }, { context: "admin", server: "https://10.0.0.1:6444" }]);
    expect(names).toEqual(["admin (10.0.0.1:6443)", "admin (10.0.0.1:6444)"]);
    const a = fakeCluster({ name: names[0]!, context: "admin", server: "https://10.0.0.1:6443", nodes: ["n1", "n2"], subnet: 1 });
    const b = fakeCluster({ name: names[1]!, context: "admin", server: "https://10.0.0.1:6444", nodes: ["n1", "n2"], subnet: 2 });
    const { outcome } = await check([a, b]);
    const doc = outcome.document!;
    expect(doc.summary).toMatchObject({ pairs: 16, succeeded: 16 });
    expect(doc.summary.directions!.map((d) => `${d.from} -> ${d.to}: ${d.succeeded}`)).toEqual([
      "admin (10.0.0.1:6443) -> admin (10.0.0.1:6444): 8", "admin (10.0.0.1:6444) -> admin (10.0.0.1:6443): 8"]);
    // Each cluster's API ran its own floaters' execs, and only those.
    expect(a.execs.sort()).toEqual(["floater-n1", "floater-n2"]);
    expect(b.execs.sort()).toEqual(["floater-n1", "floater-n2"]);
    expect(a.calls.filter((c) => c === "createDaemonSet").length).toBe(1);
    expect(b.calls.filter((c) => c === "createDaemonSet").length).toBe(1);
    expect(doc.clusters).toEqual({
      source: { context: "admin", server: "https://10.0.0.1:6443", name: names[0] },
      destination: { context: "admin", server: "https://10.0.0.1:6444", name: names[1] },
    });
    expect(a.objects.size + b.objects.size).toBe(0);
  });

  test("an API error after probing began: the verdicts so far come back, partial, beside the error; everything removed", async () => {
    // The straggler's node cannot be looked at any more once the first wave was probed.
    const { outcome } = await check([withStragglerListFailing()]);
    expect(outcome.error).toBeInstanceOf(ClusterError);
    expect(outcome.document!.partial).toBe(true);
    // The three floaters ready at once: 3 x 2 targets x icmp, tcp.
    expect(outcome.document!.summary.pairs).toBe(12);
    expect(outcome.leftovers).toEqual([]);
  });

  test("the API server gone mid-probe: the run ends as the cluster's fault (exit 3), not every kubelet's, the verdicts so far kept", async () => {
    const a = four();
    let n = 0;
    let down = false;
    const exec = a.cluster.exec;
    a.cluster.exec = async (...args) => {
      if (++n >= 3) down = true;
      if (down) throw new ExecTransportError("exec in floater-n3 failed: connection refused", true, false, false, true);
      return exec(...args);
    };
    a.cluster.api.serverVersion = async () => {
      if (down) throw new ClusterError("connection refused");
      return "v1.36.3";
    };
    const { outcome } = await check([a], { overrides: { concurrency: 1 } });
    expect(outcome.error).toBeInstanceOf(ClusterError);
    expect((outcome.error as Error).message).toContain("the API server of context 'a' (https://a:6443) stopped answering during the run (connection refused)");
    expect(outcome.document!.partial).toBe(true);
    expect(outcome.document!.summary).toMatchObject({ pairs: 12, succeeded: 12, errors: 0 });
  });

  test("an exec's connection dropped while the API server answers: that pair cannot be tested, the run goes on", async () => {
    const a = four();
    const exec = a.cluster.exec;
    a.cluster.exec = async (pod, ...rest) => {
      if (pod.name === "floater-n2") throw new ExecTransportError("exec in floater-n2: connection closed before the command finished", false, false, false, true);
      return exec(pod, ...rest);
    };
    const { outcome } = await check([a]);
    expect(outcome.error).toBeUndefined();
    expect(outcome.document!.summary).toMatchObject({ pairs: 24, succeeded: 18, errors: 6 });
  });

  test("a bug in an exec's handling ends the run as a bug, the verdicts so far kept", async () => {
    const a = four();
    let n = 0;
    const exec = a.cluster.exec;
    a.cluster.exec = async (...args) => {
      if (++n === 3) throw new TypeError("x is undefined");
      return exec(...args);
    };
    const { outcome } = await check([a], { overrides: { concurrency: 1 } });
    expect(outcome.error).toBeInstanceOf(TypeError);
    expect(outcome.document!.partial).toBe(true);
    expect(outcome.document!.summary.pairs).toBe(12);
    expect(a.objects.size).toBe(0);
  });

  test("cancelled: stops at once, keeps what was probed, removes everything", async () => {
    const a = four();
    const abort = new AbortController();
    const exec = a.cluster.exec;
    a.cluster.exec = async (...args) => {
      abort.abort();
      return exec(...args);
    };
    const { outcome } = await check([a], { signal: abort.signal, overrides: { concurrency: 1 } });
    expect(outcome.error).toBeUndefined();
    expect(outcome.document!.partial).toBe(true);
    expect(outcome.document!.summary.pairs).toBeLessThan(24);
    expect(a.objects.size).toBe(0);
  });

  test("a removal that hangs is given up after its budget and named, with the command that finishes it", async () => {
    const a = four({ override: { deleteDaemonSet: () => new Promise(() => {}) } });
    const started = Date.now();
    const { outcome } = await check([a], { removalBudgetMs: 200 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(outcome.document!.summary.succeeded).toBe(24);
    expect(outcome.leftovers).toEqual([
      "timed out after 0.2s waiting for the removal of run run1 in context 'a' (https://a:6443); left: daemonset netdoctor/netdoctor-run1-pod, serviceaccount netdoctor/netdoctor-run1, namespace netdoctor; finish with: kubectl netdoctor clean -n netdoctor --context a --kubeconfig /tmp/kubeconfig",
    ]);
  });

  test("a failure before probing began: no document, the error, nothing left", async () => {
    const a = four({ override: { createDaemonSet: async () => { throw new ClusterError("creating daemonset: forbidden"); } } });
    const { outcome } = await check([a]);
    expect(outcome.document).toBeUndefined();
    expect(outcome.error).toBeInstanceOf(ClusterError);
    expect(a.objects.size).toBe(0);
  });

  test("resume re-checks only what failed, by cluster and node, and folds it back", async () => {
    const broken = four({ fails: (src, ip) => src === "n1" && ip === "10.0.2.1" });
    const first = (await check([broken])).outcome.document!;
    const healed = four();
    const config = runConfigOf(settings);
    const recheck = whatToRecheck(first);
    expect(recheck.nodes).toEqual([{ cluster: "a", node: "n1" }, { cluster: "a", node: "n2" }]);
    const plans = await planRun([healed.cluster], config, { only: recheck.nodes });
    const outcome = await runResume({ plans, config, settings, runId: "run2", signal: new AbortController().signal, events: recorder(), waits: fast, previous: first, recheck, missingNodes: [] });
    expect(outcome.document!.resume).toMatchObject({ pairs: 2, fixed: [expect.any(String), expect.any(String)] });
    expect(outcome.document!.summary).toMatchObject({ pairs: 24, succeeded: 24 });
    expect(outcome.document!.findings).toEqual([]);
    // Only the two nodes' floaters were deployed, and only n1 probed (n1 -> n2).
    expect(healed.execs).toEqual(["floater-n1"]);
  });
});

/** A cluster whose straggler n4 cannot be looked at once the others were probed (300 ms after its
 * first look). */
function withStragglerListFailing(): FakeCluster {
  const f = four({ pods: (node, ms) => (node !== "n4" || ms > 5_000 ? "ready" : "creating") });
  const list = f.cluster.api.listPods;
  let first = 0;
  f.cluster.api.listPods = async (ns, selector, fields) => {
    if (fields) first ||= Date.now();
    if (fields && Date.now() - first > 300) throw new ClusterError("listing pods in context 'a': connection refused");
    return list(ns, selector, fields);
  };
  return f;
}
