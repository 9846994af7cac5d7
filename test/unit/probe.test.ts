import { describe, expect, test } from "bun:test";
import { execConnectError, exitCodeOf, ExecTransportError, statusError } from "../../src/kube/exec.ts";
import { classify } from "../../src/probe/classify.ts";
import { parseOutput } from "../../src/probe/parse.ts";
import { planProbes, type PlanOptions } from "../../src/probe/plan.ts";
import { runProbes, unitsOf } from "../../src/probe/run.ts";
import { ICMP_IN_FLIGHT, lanesOf, probeScript, scriptDeadlineMs } from "../../src/probe/script.ts";
import type { Floater, Probe } from "../../src/probe/types.ts";

const floater = (node: string, ip: string, network: "pod" | "host" = "pod"): Floater => ({ cluster: "c", node, pod: `p-${node}`, namespace: "ns", network, ips: [ip], hostIps: [`192.168.0.${node.slice(1)}`] });
const floaters = [floater("n1", "10.0.1.1"), floater("n2", "10.0.2.1"), floater("n3", "10.0.3.1")];
const opts: PlanOptions = { mode: "pod", protocols: ["icmp", "tcp"], ipFamily: "ipv4", port: 8889, targets: [], dnsName: "", dnsServer: "" };

describe("plan", () => {
  test("every source x every other node x protocol, no self pairs", () => {
    const plans = planProbes(opts, floaters, floaters);
    expect(plans).toHaveLength(3);
    expect(plans.flatMap((p) => p.probes())).toHaveLength(3 * 2 * 2);
    expect(plans[0]!.probes().map((p) => p.target.node)).toEqual(["n2", "n2", "n3", "n3"]);
    expect(new Set(plans.flatMap((p) => p.probes().map((x) => `${p.source.node}#${x.id}`))).size).toBe(12);
  });
  test("dns once per source, custom targets from every source", () => {
    const plans = planProbes({ ...opts, protocols: ["dns"], targets: ["10.9.9.9:443", "10.9.9.8", "[fd00::1]:80"] }, floaters, floaters);
    const probes = plans[0]!.probes();
    expect(probes.map((p) => [p.protocol, p.target.ip, p.target.port])).toEqual([
      ["dns", "", undefined], ["tcp", "10.9.9.9", 443], ["icmp", "10.9.9.8", undefined], ["tcp", "fd00::1", 80],
    ]);
    expect(probes[0]!.target.name).toBe("kubernetes.default.svc.cluster.local");
  });
  test("a DNS server with a port is asked as given, from its address's family", () => {
    const dnsProbe = (dnsServer: string) => planProbes({ ...opts, protocols: ["dns"], ipFamily: "dual", dnsServer }, floaters, floaters)[0]!.probes()[0]!;
    expect([dnsProbe("10.96.0.10:5353").family, dnsProbe("10.96.0.10:5353").target.ip]).toEqual(["ipv4", "10.96.0.10:5353"]);
    expect([dnsProbe("[fd00::10]:53").family, dnsProbe("fd00::10").family]).toEqual(["ipv6", "ipv6"]);
  });
  test("ip family filters target addresses; dual probes both", () => {
    const dual = [floater("n1", "10.0.1.1"), floater("n2", "10.0.2.1")];
    dual[1]!.ips.push("fd00::2");
    dual[0]!.ips.push("fd00::1");
    expect(planProbes({ ...opts, ipFamily: "ipv6" }, dual, dual)[0]!.probes().map((p) => p.target.ip)).toEqual(["fd00::2", "fd00::2"]);
    expect(planProbes({ ...opts, ipFamily: "dual" }, dual, dual)[0]!.probes()).toHaveLength(4);
    expect(planProbes({ ...opts, ipFamily: "ipv6" }, dual, dual)[0]!.probes()[0]!.source.ip).toBe("fd00::1");
  });
  test("each source starts at the target after itself, so concurrent sources reach different targets", () => {
    const five = ["n1", "n2", "n3", "n4", "n5"].map((n, k) => floater(n, `10.0.${k + 1}.1`));
    const order = planProbes({ ...opts, protocols: ["icmp"] }, five, five).map((p) => p.probes().map((x) => x.target.node).join(","));
    expect(order).toEqual(["n2,n3,n4,n5", "n3,n4,n5,n1", "n4,n5,n1,n2", "n5,n1,n2,n3", "n1,n2,n3,n4"]);
    // Ids keep node order, so results are reported in it.
    expect(planProbes({ ...opts, protocols: ["icmp"] }, five, five)[2]!.probes().map((x) => x.id)).toEqual([3, 4, 1, 2]);
  });
  test("pair strategy makes one unit per probe, fanout one per source", () => {
    const plans = planProbes(opts, floaters, floaters);
    expect(unitsOf(plans, "fanout")).toHaveLength(3);
    expect(unitsOf(plans, "pair")).toHaveLength(12);
  });
});

describe("script", () => {
  const probes = planProbes({ ...opts, protocols: ["icmp", "tcp", "dns"], targets: ["10.9.9.9:443"], dnsServer: "10.96.0.10" }, floaters, floaters)[0]!.probes();
  const script = probeScript(probes, { timeout: 2, pingCount: 3, lanes: 2 });
  test("one call per probe, in lanes run in the background, then wait", () => {
    expect(script).toContain("i 1 '10.0.2.1'");
    expect(script).toContain("t 2 '10.0.2.1' 8889");
    expect(script).toContain("d 5 'kubernetes.default.svc.cluster.local' '10.96.0.10'");
    expect(script).toContain("c 6 '10.9.9.9' 443");
    expect(script.match(/\)&$/gm)).toHaveLength(2);
    expect(script).toMatch(/\nwait\nrm -f "\$R"\n$/);
  });
  test("only the common busybox subset of flags", () => {
    expect(script).not.toContain("nc -z");
    expect(script).not.toContain("nc -u");
    expect(script).toContain('ping -q -c $2 -i 0.05 -W $3 -w $3 "$1"');
    expect(script).toContain('i(){ p "$2" 3 ${3:-2}; case "$r$o" in 0*" 0% packet loss"*"/avg/"*" = "*) o="RTT ${o##*= }"; o=${o% ms};; *" 0% packet loss"*) ;; *"packet loss"*) [ "$3" ] || { f=$o; p "$2" 3 2; o="$f $o"; };; esac;');
    expect(probeScript(probes, { timeout: 2, pingCount: 1, lanes: 2 })).toContain('p "$2" 1 ${3:-2}; case');
  });
  test("nc is asked once per script whether it has -v; every connect uses the answer", () => {
    expect(script.match(/nc --help/g)).toHaveLength(1);
    expect(script.match(/nc \$V -w (?:2|\$\{4:-2\}) "\$2" "\$3"/g)).toHaveLength(3);
    expect(script).not.toMatch(/nc -w/);
  });
  const many = (protocol: "icmp" | "tcp", n: number) =>
    Array.from({ length: n }, (_, k) => ({ ...probes[0]!, id: k, protocol }));
  test("pings run in at most ICMP_IN_FLIGHT lanes, the other probes beside them", () => {
    const lanes = lanesOf([...many("icmp", 99), ...many("tcp", 99)], 32);
    expect(lanes).toHaveLength(32);
    expect(lanes.filter((l) => l.some((p) => p.protocol === "icmp"))).toHaveLength(ICMP_IN_FLIGHT);
    expect(lanes.filter((l) => l.some((p) => p.protocol === "tcp"))).toHaveLength(32 - ICMP_IN_FLIGHT);
    expect(lanes.flat()).toHaveLength(198);
  });
  test("few lanes are shared by every protocol; none is empty", () => {
    expect(lanesOf([...many("icmp", 5), ...many("tcp", 5)], 4).map((l) => l.length)).toEqual([4, 2, 2, 2]);
    expect(lanesOf(many("tcp", 3), 32)).toHaveLength(3);
    expect(lanesOf(many("icmp", 20), 32)).toHaveLength(ICMP_IN_FLIGHT);
  });
  test("the deadline covers the slowest lane at its worst: a ping twice, a floater connect four times (two silent nc -w)", () => {
    expect(scriptDeadlineMs(many("tcp", 10), { timeout: 3, pingCount: 3, lanes: 5 })).toBe((2 * 4 * 4 + 15) * 1000);
    expect(scriptDeadlineMs(many("icmp", 16), { timeout: 3, pingCount: 3, lanes: 32 })).toBe((2 * 2 * 4 + 15) * 1000);
  });
});

describe("parse", () => {
  test("lines by id; \\r in tool output does not break a line", () => {
    const out = parseOutput("noise\n@@ 3 0 HTTP/1.0 200 OK\r Content-Length: 3\r  OK\n@@ 4 1 nc: can't connect to remote host (10.0.0.1): Connection refused\n@@ bad\n");
    expect(out[3]).toEqual({ exitCode: 0, output: "HTTP/1.0 200 OK Content-Length: 3  OK" });
    expect(out[4]!.exitCode).toBe(1);
    expect(out.filter((o) => o !== undefined)).toHaveLength(2);
  });
  // What the parser replaced: the same reading of every line, well-formed or not.
  const byRegex = (stdout: string) => {
    const out: Record<number, { exitCode: number; output: string; confirmed?: boolean }> = {};
    for (const line of stdout.split("\n")) {
      if (!line.startsWith("@@ ")) continue;
      const m = /^@@ (\d+) (\d+) ?(.*)$/.exec(line.replace(/\r/g, ""));
      if (!m) continue;
      const output = m[3]!.trim();
      // (The regular expression's parser read a bare "A" as an output: see the next test.)
      out[Number(m[1])] = output.startsWith("A ") || output === "A" ? { exitCode: Number(m[2]), output: output.slice(2), confirmed: true } : { exitCode: Number(m[2]), output };
    }
    return out;
  };
  // The regular expression knew nothing of the short line's RTT, read as the line is parsed (its
  // text then stands as the mark alone): compared with the line it came from.
  const byScan = (stdout: string) => Object.fromEntries(parseOutput(stdout).flatMap((o, id) => {
    if (!o) return [];
    const { rttMs, ...rest } = o;
    if (rttMs === undefined) return [[id, rest]];
    const line = stdout.split("\n").find((l) => l.startsWith(`@@ ${id} 0 RTT `))!;
    return [[id, { ...rest, output: line.replace(/^@@ \d+ 0 /, "").trim() }]];
  }));
  test("reads every line as the regular expression did", () => {
    const lines = [
      "@@ 1 0 RTT 0.099/0.150/0.234", "@@ 2 0 OK", "@@ 3 0 A OK", "@@ 4 1 A nc: timed out", "@@ 5 1", "@@ 6 0 ", "@@ 7 0x", "@@ 8 01  spaced  out  ",
      "@@ 9 0 \tTABBED\t", "@@ 10 0 \u00a0nbsp\u00a0", "@@ 11 0 A", "@@ 12 0 A  two", "@@ 0013 2 leading zeros", "@@ 14 255 é ü",
      "@@ 15 0 a\rb\r", "@@ 16 0\r", "@@ 1\r7 0 split id", "\r@@ 18 0 not at the start", "@@\r 19 0 x", "@@ 20 0 HTTP/1.0 200 OK\r Content-Length: 3\r OK\r",
      "@@ bad", "@@ 21", "@@ 22 ", "@@ 23  0 two spaces", "@@  24 0 x", "@@ -25 0 x", "@@ 26 -1 x", "@ 27 0 x", "@@27 0 x", " @@ 28 0 x", "@@ 29 0 x", "@@ 29 1 again",
      "@@ 99999999999 0 too long for an id", "@@ 30 99999999999 long exit", "", "noise", "@@ 31 0 last without newline",
    ];
    for (const stdout of [lines.join("\n"), lines.join("\n") + "\n", lines.filter((l) => !l.includes("\r")).join("\n"), lines.join("\n\n")]) {
      const expected = byRegex(stdout);
      delete expected[99999999999]; // no probe has such an id: not kept
      expect(byScan(stdout)).toEqual(expected);
    }
    expect(parseOutput("")).toEqual([]);
  });
  test("the short success line and the confirmation mark", () => {
    expect(parseOutput("@@ 7 0 RTT 0.099/0.150/0.234\n")[7]).toEqual({ exitCode: 0, output: "RTT", rttMs: 0.15 });
    expect(parseOutput("@@ 7 0 RTT garbled\n")[7]!.rttMs).toBeNaN();
    expect(parseOutput("@@ 7 0 A OK\n")[7]).toEqual({ exitCode: 0, output: "OK", confirmed: true });
    // A second try that got nothing either: the shell folds "A " and no output into "A".
    expect(parseOutput("@@ 7 0 A\n")[7]).toEqual({ exitCode: 0, output: "", confirmed: true });
    expect(parseOutput("@@ 7 0 AB\n")[7]).toEqual({ exitCode: 0, output: "AB" });
  });
});

// Outputs recorded from Debian's busybox 1.35 in the test cluster's namespaces.
const recorded = {
  pingOk: "PING 10.244.2.1 (10.244.2.1): 56 data bytes 64 bytes from 10.244.2.1: seq=0 ttl=64 time=0.061 ms 64 bytes from 10.244.2.1: seq=1 ttl=64 time=0.128 ms 64 bytes from 10.244.2.1: seq=2 ttl=64 time=0.124 ms --- 10.244.2.1 ping statistics --- 3 packets transmitted, 3 packets received, 0% packet loss round-trip min/avg/max = 0.061/0.104/0.128 ms",
  pingLost: "PING 10.200.0.99 (10.200.0.99): 56 data bytes --- 10.200.0.99 ping statistics --- 3 packets transmitted, 0 packets received, 100% packet loss",
  pingLostConfirmed: "PING 10.0.0.2 (10.0.0.2): 56 data bytes --- 10.0.0.2 ping statistics --- 1 packets transmitted, 0 packets received, 100% packet loss PING 10.0.0.2 (10.0.0.2): 56 data bytes --- 10.0.0.2 ping statistics --- 3 packets transmitted, 0 packets received, 100% packet loss",
  pingLostThenAnswered: "PING 10.0.0.2 (10.0.0.2): 56 data bytes --- 10.0.0.2 ping statistics --- 1 packets transmitted, 0 packets received, 100% packet loss PING 10.0.0.2 (10.0.0.2): 56 data bytes --- 10.0.0.2 ping statistics --- 3 packets transmitted, 3 packets received, 0% packet loss round-trip min/avg/max = 0.05/0.06/0.07 ms",
  pingPartial: "PING 10.0.0.2 (10.0.0.2): 56 data bytes --- 10.0.0.2 ping statistics --- 3 packets transmitted, 2 packets received, 33% packet loss round-trip min/avg/max = 0.1/0.2/0.3 ms",
  pingProhibit: "PING 10.0.0.2 (10.0.0.2): 56 data bytes ping: sendto: Permission denied",
  pingNoCap: "ping: permission denied (are you root?)",
  tcpOk: "HTTP/1.1 200 OK Date: Thu, 26 Nov 2026 20:44:10 GMT Connection: close Content-type: text/html Content-Length: 3 OK",
  tcpRefused: "nc: can't connect to remote host (10.244.3.1): Connection refused",
  tcpTimeout: "nc: timed out",
  tcpNoRoute: "nc: can't connect to remote host (10.0.0.9): No route to host",
  dnsOk: "Server: 10.200.0.2 Address: 10.200.0.2:53 Name: kubernetes.default.svc.cluster.local Address: 10.96.0.1",
  dnsNx: "Server: 10.200.0.2 Address: 10.200.0.2:53 ** server can't find nope.default.svc.cluster.local: NXDOMAIN",
  dnsTimeout: ";; connection timed out; no servers could be reached",
  toolMissing: "sh: nc: not found",
};
const probe = (protocol: Probe["protocol"], extra: Partial<Probe> = {}): Probe => ({
  id: 1, protocol, family: "ipv4", source: { cluster: "c", node: "a", ip: "10.0.0.1" }, target: { cluster: "c", node: "b", ip: "10.0.0.2", port: 8889, name: "kubernetes.default.svc.cluster.local" }, ...extra,
});

describe("classify", () => {
  const table: [string, Probe["protocol"], number, string, string, string | RegExp, Partial<Probe>?][] = [
    ["ping answered", "icmp", 0, recorded.pingOk, "Succeeded", ""],
    ["ping silently dropped", "icmp", 1, recorded.pingLost, "Failed", "timeout: no reply to 3 pings"],
    ["ping partial loss: reachable, the loss noted", "icmp", 0, recorded.pingPartial, "Succeeded", "packet loss 33% (2/3 replies)"],
    ["a lost ping confirmed by a lost burst: both counted", "icmp", 1, recorded.pingLostConfirmed, "Failed", "timeout: no reply to 4 pings"],
    ["a lost ping, then a burst answered: reachable", "icmp", 0, recorded.pingLostThenAnswered, "Succeeded", "packet loss 25% (3/4 replies)"],
    ["ping blocked by a prohibit route", "icmp", 1, recorded.pingProhibit, "Failed", /blocked on the source/],
    ["ping without NET_RAW is not a network failure", "icmp", 1, recorded.pingNoCap, "Error", /CAP_NET_RAW/],
    ["tcp floater answered", "tcp", 0, recorded.tcpOk, "Succeeded", ""],
    ["tcp refused", "tcp", 1, recorded.tcpRefused, "Failed", /connection refused on port 8889/],
    ["tcp timeout", "tcp", 1, recorded.tcpTimeout, "Failed", "timeout: no answer within 3s"],
    ["tcp no route", "tcp", 1, recorded.tcpNoRoute, "Failed", /host unreachable/],
    ["tcp connected but not the floater", "tcp", 0, "SSH-2.0-OpenSSH", "Failed", "connected, but the floater's answer did not come back (got: SSH-2.0-OpenSSH)"],
    ["the same, from nc -vv: its own lines are not the answer", "tcp", 0, "10.0.0.2 (10.0.0.2:8889) open SSH-2.0-OpenSSH sent 18, rcvd 15", "Failed", "connected, but the floater's answer did not come back (got: SSH-2.0-OpenSSH)"],
    ["nc -vv's own notes are not the answer either", "tcp", 0, "10.0.0.2 (10.0.0.2:8889) open nc: net read: Connection reset by peer sent 18, rcvd 0", "Failed", "connected, but the floater's answer did not come back (got: nothing)"],
    ["nor is its idle timeout a network timeout", "tcp", 0, "10.0.0.2 (10.0.0.2:8889) open net timeout sent 18, rcvd 0", "Failed", "connected, but the floater's answer did not come back (got: nothing)"],
    ["custom target connect", "tcp", 0, "", "Succeeded", "", { custom: true }],
    ["custom target refused", "tcp", 1, recorded.tcpRefused, "Failed", "connection refused", { custom: true }],
    ["dns answered", "dns", 0, recorded.dnsOk, "Succeeded", ""],
    ["dns NXDOMAIN", "dns", 1, recorded.dnsNx, "Failed", /^NXDOMAIN/],
    ["dns server silent", "dns", 1, recorded.dnsTimeout, "Failed", /did not answer/],
    ["tool missing is an error", "tcp", 127, recorded.toolMissing, "Error", /tool missing/],
  ];
  for (const [name, protocol, exitCode, output, status, reason, extra] of table) {
    test(name, () => {
      const v = classify(probe(protocol, extra), { exitCode, output }, 3);
      expect(v.status).toBe(status as never);
      if (typeof reason === "string") expect(v.reason).toBe(reason);
      else expect(v.reason).toMatch(reason);
    });
  }
  test("rtt and loss from ping", () => {
    expect(classify(probe("icmp"), { exitCode: 0, output: recorded.pingOk }, 3)).toMatchObject({ rttMs: 0.104, lossPct: 0 });
  });
  test("a probe with no line is an Error, never a Failed", () => {
    expect(classify(probe("icmp"), undefined, 3).status).toBe("Error");
  });
});

describe("exec status", () => {
  test("a real kubelet's NonZeroExitCode", () => {
    expect(exitCodeOf({ status: "Failure", reason: "NonZeroExitCode", details: { causes: [{ reason: "ExitCode", message: "7" }] } })).toBe(7);
  });
  test("kwok's InternalError with exit status", () => {
    expect(exitCodeOf({ status: "Failure", reason: "InternalError", message: "command terminated: exit status 3" })).toBe(3);
  });
  test("success", () => expect(exitCodeOf({ status: "Success" })).toBe(0));
  test("a kubelet that cannot be reached: retryable, and the script is cut from the message", () => {
    const e = statusError({ status: "Failure", reason: "InternalError", message: 'Internal error occurred: error sending request: Post "https://10.0.0.2:10250/exec/ns/p/floater?command=sh&command=...": dial tcp 10.0.0.2:10250: connect: connection refused' }, "p");
    expect(e.retryable).toBe(true);
    expect(e.message).toBe("exec in p failed: error sending request: Post to the kubelet at 10.0.0.2:10250: dial tcp 10.0.0.2:10250: connect: connection refused");
  });
  test("an upgrade refused by the API server (a real kubelet it cannot dial) arrives as an ErrorEvent, not an Error", () => {
    // What Bun's WebSocket rejects with when the API server answers 500 "error dialing backend".
    const event = { type: "error", message: "Unexpected server response: 500", error: new Error("Unexpected server response: 500") };
    const e = execConnectError(event, "p");
    expect(e.message).toBe("exec in p failed: HTTP 500");
    expect(e.retryable).toBe(true);
    expect(execConnectError(new Error("Unexpected server response: 403"), "p").retryable).toBe(false);
  });
});

describe("run", () => {
  const plans = planProbes(opts, floaters, floaters);
  const answerAll = async (_pod: unknown, command: string[]) => ({
    exitCode: 0,
    stdout: [...command[2]!.matchAll(/^\(?[it] (\d+)/gm)].map((m) => `@@ ${m[1]} 0 ${recorded.pingOk} OK`).join("\n"),
    stderr: "",
  });
  test("one exec per source, bounded concurrency, all verdicts delivered", async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const execs: string[] = [];
    const got: string[] = [];
    const stats = await runProbes(plans, async (pod, command) => {
      execs.push(pod.name);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await Bun.sleep(5);
      inFlight--;
      return answerAll(pod, command);
    }, { concurrency: 2, strategy: "fanout", script: { timeout: 1, pingCount: 3, lanes: 8 }, retries: 2 }, (v) => got.push(...v.map((x) => x.status)));
    expect(execs.sort()).toEqual(["p-n1", "p-n2", "p-n3"]);
    expect(maxInFlight).toBe(2);
    expect(got).toEqual(Array(12).fill("Succeeded"));
    expect(stats).toEqual({ execs: 3, retries: 0, confirmations: 0 });
  });
  test("transport hiccups are retried a bounded number of times, then Error (never Failed)", async () => {
    let calls = 0;
    const verdicts: string[] = [];
    const stats = await runProbes([plans[0]!], async () => {
      calls++;
      throw new ExecTransportError("HTTP 429", true);
    }, { concurrency: 1, strategy: "fanout", script: { timeout: 1, pingCount: 3, lanes: 8 }, retries: 2, backoffMs: () => 1 }, (v) => verdicts.push(...v.map((x) => `${x.status}: ${x.reason}`)));
    expect(calls).toBe(3);
    expect(stats.retries).toBe(2);
    expect(verdicts[0]).toBe("Error: could not test: HTTP 429");
  });
  test("probes an exec ended without are run again, only they", async () => {
    const scripts: string[] = [];
    const got: string[] = [];
    const ids: number[] = [];
    const stats = await runProbes([plans[0]!], async (pod, command) => {
      scripts.push(command[2]!);
      const all = await answerAll(pod, command);
      return scripts.length === 1 ? { ...all, stdout: all.stdout.split("\n").slice(0, -2).join("\n") } : all;
    }, { concurrency: 1, strategy: "fanout", script: { timeout: 1, pingCount: 3, lanes: 8 }, retries: 2 }, (v) => {
      got.push(...v.map((x) => x.status));
      ids.push(...v.map((x) => x.probe.id));
    });
    expect(got).toEqual(["Succeeded", "Succeeded", "Succeeded", "Succeeded"]);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(stats).toEqual({ execs: 2, retries: 1, confirmations: 0 });
    expect(scripts[1]!.match(/^\(?[it] \d+/gm)).toHaveLength(2);
  });
  test("non-retryable exec failures are not retried", async () => {
    let calls = 0;
    await runProbes([plans[0]!], async () => {
      calls++;
      throw new ExecTransportError("pod gone", false);
    }, { concurrency: 1, strategy: "fanout", script: { timeout: 1, pingCount: 3, lanes: 8 }, retries: 2 }, () => {});
    expect(calls).toBe(1);
  });
});

describe("classify fast path", () => {
  test("the healthy mass reads exactly as the full rules would", async () => {
    const { classify } = await import("../../src/probe/classify.ts");
    const ping: Probe = { id: 1, protocol: "icmp", family: "ipv4", source: { cluster: "c", node: "a", ip: "1" }, target: { cluster: "c", node: "b", ip: "2" } };
    const out = "PING 10.0.0.2 (10.0.0.2): 56 data bytes --- 10.0.0.2 ping statistics --- 1 packets transmitted, 1 packets received, 0% packet loss round-trip min/avg/max = 0.099/0.150/0.234 ms";
    expect(classify(ping, { exitCode: 0, output: out }, 3)).toEqual({ probe: ping, status: "Succeeded", reason: "", reasonCode: "ok", rttMs: 0.15, lossPct: 0 });
    const lossy = "1 packets transmitted, 0 packets received, 100% packet loss 3 packets transmitted, 3 packets received, 0% packet loss round-trip min/avg/max = 0.1/0.2/0.3 ms";
    expect(classify(ping, { exitCode: 0, output: lossy }, 3)).toMatchObject({ status: "Succeeded", reasonCode: "loss", lossPct: 25 });
  });
  test("the script's short success line reads as the whole summary would: rtt is the average", async () => {
    const { classify } = await import("../../src/probe/classify.ts");
    const ping: Probe = { id: 1, protocol: "icmp", family: "ipv4", source: { cluster: "c", node: "a", ip: "1" }, target: { cluster: "c", node: "b", ip: "2" } };
    const whole = (rtt: string) => `PING 2 (2): 56 data bytes --- 2 ping statistics --- 3 packets transmitted, 3 packets received, 0% packet loss round-trip min/avg/max = ${rtt} ms`;
    for (const rtt of ["0.099/0.150/0.234", "1.234/12.345/123.456", "0.000/0.001/0.002", "4294967.295/4294967.295/4294967.295", "1/2/3", "0.1/.5/0.9", "1/2.50000000000000001/3"]) {
      const short = classify(ping, { exitCode: 0, output: `RTT ${rtt}` }, 3);
      expect(short).toEqual(classify(ping, { exitCode: 0, output: whole(rtt) }, 3));
      expect(short).toEqual({ probe: ping, status: "Succeeded", reason: "", reasonCode: "ok", rttMs: Number(rtt.split("/")[1]), lossPct: 0 });
    }
    // Never printed by the script, but still not a failure: no round trip to keep.
    expect(classify(ping, { exitCode: 0, output: "RTT x" }, 3)).toEqual({ probe: ping, status: "Succeeded", reason: "", reasonCode: "ok", lossPct: 0 });
    expect("rttMs" in classify(ping, { exitCode: 0, output: "RTT x" }, 3)).toBe(false);
    // Only a ping's, and only on success.
    expect(classify(ping, { exitCode: 1, output: "RTT 1/2/3" }, 3).status).not.toBe("Succeeded");
    expect(classify({ ...ping, protocol: "tcp", target: { ...ping.target, port: 8889 } }, { exitCode: 0, output: "RTT 1/2/3" }, 3).status).toBe("Failed");
  });
});

describe("classify fast path of the failing mass", () => {
  const { readFileSync } = require("node:fs") as typeof import("node:fs");
  const recorded = ["busybox-1.37.0", "busybox-1.35"].flatMap((build) =>
    Object.values(JSON.parse(readFileSync(`${import.meta.dir}/../fixtures/${build}/probes.json`, "utf8")).outcomes as Record<string, { probe: Probe; line: string }>),
  );
  const lost = (ip: string, sent: number) => `PING ${ip} (${ip}): 56 data bytes --- ${ip} ping statistics --- ${sent} packets transmitted, 0 packets received, 100% packet loss`;
  const ping: Probe = { id: 1, protocol: "icmp", family: "ipv4", source: { cluster: "c", node: "a", ip: "1" }, target: { cluster: "c", node: "b", ip: "2" } };
  const tcp: Probe = { ...ping, protocol: "tcp", target: { ...ping.target, port: 8889 } };
  // Shapes near the fast paths' own, which must fall through to the rules and read as they do.
  const near: [Probe, string][] = [
    [ping, lost("10.0.0.2", 1)],
    [ping, `${lost("10.0.0.2", 1)} ${lost("10.0.0.2", 3)}`],
    [ping, `${lost("fd00::2", 12)} ${lost("fd00::2", 3)}`],
    [ping, `${lost("10.0.0.2", 1)} ping: sendto: Network is unreachable`],
    [ping, `PING 10.0.0.2 (10.0.0.2): 56 data bytes ping: sendto: Host is unreachable --- 10.0.0.2 ping statistics --- 1 packets transmitted, 0 packets received, 100% packet loss`],
    [ping, `${lost("10.0.0.2", 1)} `],
    [ping, `${lost("10.0.0.2", 1)}x`],
    [ping, "PING 10.0.0.2 (10.0.0.2): 56 data bytes --- 10.0.0.2 ping statistics --- 2 packets transmitted, 1 packets received, 50% packet loss"],
    [ping, "ping: permission denied (are you root?)"],
    [tcp, "nc: 10.0.0.2 (10.0.0.2:8889): Connection timed out"],
    [tcp, "nc: [fd00::2] ([fd00::2]:8889): Connection refused sent 0, rcvd 0"],
    [tcp, "nc: 10.0.0.2 (10.0.0.2:8889): Host is unreachable sent 0, rcvd 0"],
    [tcp, "nc: timed out"],
    [tcp, "nc: bind: Permission denied: Connection refused"],
    [tcp, "nc: 10.0.0.2 (10.0.0.2:8889): Connection refused sent 0, rcvd 0 nc: net read: Connection timed out"],
    [tcp, "nc: 10.0.0.2 (10.0.0.2:8889): Operation not permitted sent 0, rcvd 0"],
    [{ ...tcp, protocol: "nodeport" }, "nc: 10.0.0.2 (10.0.0.2:30001): Connection refused sent 0, rcvd 0"],
    [{ ...tcp, protocol: "svc" }, "nc: can't connect to remote host (10.96.0.9): Connection refused"],
    [{ ...tcp, custom: true, target: { ...tcp.target, ip: "refused.example" } }, "nc: refused.example (10.0.0.2:8889): Connection timed out"],
  ];

  test("every recorded failure and every shape near one reads exactly as the full rules read it", async () => {
    const { parseOutput } = await import("../../src/probe/parse.ts");
    const { classifyByRules } = await import("../../src/probe/classify.ts");
    const cases: [Probe, { exitCode: number; output: string; confirmed?: boolean }][] = [
      // (A ping's short success line is the healthy fast path's alone: the rules never see it.)
      ...recorded.map(({ probe, line }): [Probe, { exitCode: number; output: string; rttMs?: number }] => [probe, parseOutput(line)[probe.id]!]).filter(([, raw]) => raw.rttMs === undefined),
      ...near.flatMap(([probe, output]): [Probe, { exitCode: number; output: string }][] => [[probe, { exitCode: 1, output }], [probe, { exitCode: 127, output }], [probe, { exitCode: 0, output }]]),
    ];
    for (const [probe, raw] of cases) expect([probe.protocol, raw.output, classify(probe, raw, 3)]).toEqual([probe.protocol, raw.output, classifyByRules(probe, raw, 3)]);
  });

  test("the failing mass's words are shared strings: a lost ping, a refused or timed-out connect", () => {
    const a = classify(ping, { exitCode: 1, output: `${lost("10.0.0.2", 1)} ${lost("10.0.0.2", 3)}` }, 3);
    const b = classify({ ...ping, id: 2 }, { exitCode: 1, output: `${lost("10.0.0.3", 1)} ${lost("10.0.0.3", 3)}` }, 3);
    expect(a).toMatchObject({ status: "Failed", reasonCode: "timeout", reason: "timeout: no reply to 4 pings", lossPct: 100 });
    expect(a.reason).toBe(b.reason);
    expect(classify(tcp, { exitCode: 1, output: "nc: 10.0.0.2 (10.0.0.2:8889): Connection refused sent 0, rcvd 0" }, 3)).toMatchObject({ reasonCode: "refused", reason: "connection refused on port 8889 (floater not listening, or a reject rule)" });
    expect(classify(tcp, { exitCode: 1, output: "nc: timed out" }, 3)).toMatchObject({ reasonCode: "timeout", reason: "timeout: no answer within 3s" });
  });
});

describe("confirmation of a lone failure", () => {
  test("a connect that failed is tried again, unless refused or unreachable; the second try is counted", async () => {
    const { probeScript } = await import("../../src/probe/script.ts");
    const script = probeScript([{ id: 1, protocol: "tcp", family: "ipv4", source: { cluster: "c", node: "a", ip: "1" }, target: { cluster: "c", node: "b", ip: "2", port: 8889 } }], { timeout: 2, pingCount: 1, lanes: 1 });
    expect(script).toContain('case "$r$o" in 0*OK*|*efused*|*nreachable*) ;; *) [ "$4" ] || { a="A "');
    const { parseOutput } = await import("../../src/probe/parse.ts");
    expect(parseOutput("@@ 1 0 A OK\n@@ 2 1 nc: timed out\n")[1]).toEqual({ exitCode: 0, output: "OK", confirmed: true });
    const floater = { cluster: "c", node: "a", pod: "p", namespace: "ns", network: "pod" as const, ips: ["1"], hostIps: [] };
    const plan = { source: floater, count: 1, probes: () => [{ id: 1, protocol: "tcp" as const, family: "ipv4" as const, source: { cluster: "c", node: "a", ip: "1" }, target: { cluster: "c", node: "b", ip: "2", port: 8889 } }] };
    const got: string[] = [];
    const stats = await runProbes([plan], async () => ({ exitCode: 0, stdout: "@@ 1 0 A OK\n", stderr: "" }), { concurrency: 1, strategy: "fanout", script: { timeout: 1, pingCount: 1, lanes: 1 }, retries: 0 }, (v) => got.push(...v.map((x) => x.status)));
    expect(got).toEqual(["Succeeded"]);
    expect(stats.confirmations).toBe(1);
  });
});
