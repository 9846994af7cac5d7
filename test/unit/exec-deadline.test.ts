// A node whose kubelet cannot be reached: the exec into its floater is given up fast, not retried,
// and says why (exec.ts's decisions; run.ts's use of them).
import { afterAll, describe, expect, test } from "bun:test";
import { KubeConfig } from "@kubernetes/client-node";
import type { ClusterTarget } from "../../src/kube/kubeconfig.ts";
import { createExec, execFailureReason, givesUp, startDeadline, ExecTransportError, notStarted, shouldRetry, statusError, STARTED_MARK, withoutStartMark, withStartMark } from "../../src/kube/exec.ts";
import { runProbes } from "../../src/probe/run.ts";
import type { SourcePlan } from "../../src/probe/types.ts";

// What the API server answered on the test cluster, 30 s after the exec was asked for, when the
// node's address dropped everything (`testcluster fault link-down`), and 2 s after on a retry once
// the node's neighbour entry had failed.
const dialTimeout = 'Internal error occurred: error sending request: Post "https://10.200.0.15:10250/exec/netdoctor/p/floater?command=sh&command=-c&command=echo+hi": dial tcp 10.200.0.15:10250: i/o timeout';
const noRoute = 'Internal error occurred: error sending request: Post "https://10.200.0.15:10250/exec/netdoctor/p/floater?command=sh": dial tcp 10.200.0.15:10250: connect: no route to host';
const refused = 'Internal error occurred: error sending request: Post "https://10.0.0.2:10250/exec/ns/p/floater?command=sh": dial tcp 10.0.0.2:10250: connect: connection refused';

describe("a kubelet that cannot be reached", () => {
  test("a dial that got no answer is unreachable and not retried; a refusal is retried as before", () => {
    for (const message of [dialTimeout, noRoute]) {
      const e = statusError({ status: "Failure", reason: "InternalError", message }, "p");
      expect(e.unreachable).toBe(true);
      expect(shouldRetry(e, false)).toBe(false);
    }
    const e = statusError({ status: "Failure", reason: "InternalError", message: refused }, "p");
    expect(e.unreachable).toBe(false);
    expect(shouldRetry(e, false)).toBe(true);
    expect(shouldRetry(e, true)).toBe(false);
    expect(shouldRetry(new ExecTransportError("HTTP 429", true, true), false)).toBe(true);
    expect(shouldRetry(new ExecTransportError("pod gone", false), false)).toBe(false);
  });
  test("the deadline: the floor, or 3 times the slowest start seen; given up only while others start", () => {
    expect(startDeadline(10_000, 0)).toBe(10_000);
    expect(startDeadline(10_000, 1_400)).toBe(10_000);
    expect(startDeadline(10_000, 8_500)).toBe(25_500);
    // asked at 1000: not before its deadline; then only once another exec started after 1000
    expect(givesUp(10_999, 1_000, 10_000, 5_000)).toBe(false);
    expect(givesUp(11_000, 1_000, 10_000, 5_000)).toBe(true);
    expect(givesUp(20_000, 1_000, 10_000, 900)).toBe(false);
    expect(givesUp(20_000, 1_000, 10_000, -Infinity)).toBe(false);
  });
  test("an exec that has not started by the deadline is unreachable, not retried", () => {
    const e = notStarted("p", 10_000);
    expect(e.message).toBe("exec in p had not started after 10s");
    expect(e.unreachable).toBe(true);
    expect(shouldRetry(e, false)).toBe(false);
  });
  test("the reason names the kubelet's address, on one line; other failures read as before", () => {
    expect(execFailureReason(notStarted("p", 10_000), "10.201.1.3")).toBe("could not test: the kubelet at 10.201.1.3 could not be reached (exec in p had not started after 10s)");
    const dial = execFailureReason(statusError({ status: "Failure", message: dialTimeout }, "p"), "10.200.0.15");
    expect(dial).toBe("could not test: the kubelet at 10.200.0.15 could not be reached (exec in p failed: error sending request: Post to the kubelet at 10.200.0.15:10250: dial tcp 10.200.0.15:10250: i/o timeout)");
    expect(dial).not.toContain("\n");
    expect(execFailureReason(notStarted("p", 10_000), undefined)).toContain("the kubelet at its node could not be reached");
    expect(execFailureReason(new ExecTransportError("HTTP 429", true, true), "10.0.0.1")).toBe("could not test: HTTP 429");
  });
  test("the start mark goes before a shell script only, and is cut from stderr again", () => {
    expect(withStartMark(["sh", "-c", "ping x"])).toEqual(["sh", "-c", `echo ${STARTED_MARK} >&2; ping x`]);
    expect(withStartMark(["cat", "/etc/hosts"])).toEqual(["cat", "/etc/hosts"]);
    expect(withoutStartMark(`${STARTED_MARK}\nsh: oops\n`)).toBe("sh: oops\n");
    expect(withoutStartMark("sh: oops\n")).toBe("sh: oops\n");
  });
});

describe("run: an unreachable kubelet", () => {
  const plan: SourcePlan = {
    source: { cluster: "c", node: "n1", pod: "p1", namespace: "ns", network: "pod", ips: ["10.0.0.1"], hostIps: ["192.168.0.1"] },
    count: 2,
    probes: () => [0, 1].map((id) => ({ id, protocol: "tcp" as const, family: "ipv4" as const, source: { cluster: "c", node: "n1", ip: "10.0.0.1" }, target: { cluster: "c", node: `n${id + 2}`, ip: `10.0.0.${id + 2}`, port: 8889 } })),
  };
  const options = { concurrency: 1, script: { timeout: 1, pingCount: 1, lanes: 1 }, retries: 2, backoffMs: () => 1 };
  test("is tried once, and every probe of it is an exec-failed Error naming the kubelet", async () => {
    let calls = 0;
    const got: { status: string; reasonCode: string; reason: string }[] = [];
    const stats = await runProbes([plan], async () => {
      calls++;
      throw notStarted("p1", 10_000);
    }, { ...options, strategy: "fanout" }, (v) => got.push(...v));
    expect(calls).toBe(1);
    expect(stats.retries).toBe(0);
    expect(got.map((v) => [v.status, v.reasonCode])).toEqual([["Error", "exec-failed"], ["Error", "exec-failed"]]);
    expect(got[0]!.reason).toBe("could not test: the kubelet at 192.168.0.1 could not be reached (exec in p1 had not started after 10s)");
  });
  test("a transport hiccup that is not one is still retried", async () => {
    let calls = 0;
    await runProbes([plan], async () => {
      calls++;
      throw new ExecTransportError("exec in p1: connection closed before the command finished", true);
    }, { ...options, strategy: "fanout" }, () => {});
    expect(calls).toBe(3);
  });
});

describe("createExec against a stand-in API server (loopback)", () => {
  // The API server opens the stream at once, then dials the kubelet: "silent" pods never get
  // further (a kubelet address that drops everything), "ok" pods run the command.
  const seen: string[] = [];
  const server = Bun.serve<string, never>({
    hostname: "127.0.0.1",
    port: 0,
    fetch(req, srv) {
      const url = new URL(req.url);
      seen.push(`${url.pathname.split("/")[6]} ${url.searchParams.getAll("command").join(" ")}`);
      return srv.upgrade(req, { headers: { "Sec-WebSocket-Protocol": "v5.channel.k8s.io" }, data: url.pathname }) ? undefined : new Response("no", { status: 400 });
    },
    websocket: {
      open(ws) {
        if (!ws.data.includes("/ok/")) return;
        const frame = (channel: number, text: string) => Buffer.concat([Buffer.from([channel]), Buffer.from(text)]);
        ws.send(frame(2, `${STARTED_MARK}\n`));
        ws.send(frame(1, "hello\n"));
        ws.send(frame(3, JSON.stringify({ status: "Success" })));
      },
      message() {},
    },
  });
  const target = () => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: "c", server: `http://127.0.0.1:${server.port}`, skipTLSVerify: true }],
      users: [{ name: "u" }],
      contexts: [{ name: "x", cluster: "c", user: "u" }],
      currentContext: "x",
    });
    return { kubeConfig, contextName: "x", server: "", files: [], requestTimeoutMs: 0, impersonateGroups: [] } as ClusterTarget;
  };
  afterAll(() => server.stop(true));

  test("a command that starts: its output without the mark, and when it started", async () => {
    const exec = createExec(target(), { startDeadlineMs: 2_000 });
    const r = await exec({ namespace: "ns", name: "ok", container: "floater" }, ["sh", "-c", "echo hello"], 5_000);
    expect(r).toMatchObject({ exitCode: 0, stdout: "hello\n", stderr: "" });
    expect(r.startMs).toBeGreaterThanOrEqual(0);
    expect(seen.at(-1)).toBe(`ok sh -c echo ${STARTED_MARK} >&2; echo hello`);
  });
  test("a command that does not start while others do: given up at the deadline, and the pod not tried again", async () => {
    const exec = createExec(target(), { startDeadlineMs: 300 });
    const pod = { namespace: "ns", name: "silent", container: "floater" };
    const before = seen.length;
    const t0 = performance.now();
    const pending = exec(pod, ["sh", "-c", "true"], 5_000).catch((e) => e);
    // Another pod of the same run starts meanwhile.
    expect((await exec({ ...pod, name: "ok" }, ["sh", "-c", "true"], 5_000)).exitCode).toBe(0);
    const first = await pending;
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(first).toBeInstanceOf(ExecTransportError);
    expect(first).toMatchObject({ unreachable: true, retryable: false, message: "exec in silent had not started after 0.3s" });
    const again = await exec(pod, ["sh", "-c", "true"], 5_000).catch((e) => e);
    expect(again).toMatchObject({ unreachable: true, message: "exec in silent had not started after 0.3s; not tried again" });
    expect(seen.length - before).toBe(2);
  });
  test("while nothing starts (a stalled API server or machine), nobody is given up for not starting", async () => {
    const exec = createExec(target(), { startDeadlineMs: 300 });
    const err = await exec({ namespace: "ns", name: "silent", container: "floater" }, ["sh", "-c", "true"], 1_500).catch((e) => e);
    expect(err).toMatchObject({ unreachable: false, retryable: true, message: "exec in silent did not finish within 2s" });
  });
});
