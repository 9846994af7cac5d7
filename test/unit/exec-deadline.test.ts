// A node whose kubelet cannot be reached: the exec into its floater is given up fast, not retried,
// and says why (exec.ts's decisions; run.ts's use of them).
import { describe, expect, test } from "bun:test";
import { execFailureReason, ExecTransportError, notStarted, shouldRetry, statusError, STARTED_MARK, withoutStartMark, withStartMark } from "../../src/kube/exec.ts";
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
