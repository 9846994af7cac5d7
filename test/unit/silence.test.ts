// A target every source so far found silent: the next source's timeout is not lone, so it is
// waited for briefly and not confirmed (src/probe/silence.ts).
import { describe, expect, test } from "bun:test";
import { classify } from "../../src/probe/classify.ts";
import { runProbes } from "../../src/probe/run.ts";
import { probeScript } from "../../src/probe/script.ts";
import { CORROBORATING, SilentTargets } from "../../src/probe/silence.ts";
import type { Probe, Verdict } from "../../src/probe/types.ts";

const dead = { cluster: "c", node: "dead", ip: "10.0.9.1" };
const deadTcp = { ...dead, port: 8889 };
const from = (k: number) => ({ cluster: "c", node: `n${k}`, ip: `10.0.0.${k}` });
const icmp = (k: number, target = dead): Probe => ({ id: 1, protocol: "icmp", family: "ipv4", source: from(k), target });
const tcp = (k: number): Probe => ({ id: 2, protocol: "tcp", family: "ipv4", source: from(k), target: deadTcp });
const timedOut = (p: Probe): Verdict => ({ probe: p, status: "Failed", reason: "timeout: no reply to 4 pings", reasonCode: "timeout", lossPct: 100 });

describe("silent targets", () => {
  test(`corroborated once ${CORROBORATING} sources timed out and none reached it; per target and protocol`, () => {
    const silence = new SilentTargets(() => false);
    for (let k = 1; k < CORROBORATING; k++) silence.record([timedOut(icmp(k))]);
    expect(silence.corroborating(icmp(9))).toBe(0);
    silence.record([timedOut(icmp(CORROBORATING)), { probe: icmp(7, { ...dead }), status: "Failed", reason: "connection refused", reasonCode: "refused" }]);
    expect(silence.corroborating(icmp(9))).toBe(CORROBORATING);
    expect(silence.corroborating(tcp(9))).toBe(0); // its tcp port was not found silent
  });
  test("a target that some source reached is not corroborated, for good", () => {
    let answered = true;
    const silence = new SilentTargets(() => answered);
    for (let k = 1; k <= 5; k++) silence.record([timedOut(icmp(k))]);
    expect(silence.corroborating(icmp(9))).toBe(0);
    answered = false;
    expect(silence.corroborating(icmp(9))).toBe(0);
  });
  test("custom targets and DNS are never corroborated: their failures are not confirmed anyway", () => {
    const silence = new SilentTargets(() => false);
    const custom: Probe = { ...icmp(1), custom: true };
    for (let k = 1; k <= 5; k++) silence.record([timedOut({ ...custom, source: from(k) })]);
    expect(silence.corroborating(custom)).toBe(0);
  });
  test("the script waits a second for a corroborated probe and does not try it again", () => {
    const script = probeScript([{ ...icmp(1), corroboratedBy: 3 }, { ...tcp(1), corroboratedBy: 3 }, { ...icmp(1), id: 3, target: { ...dead, node: "b", ip: "10.0.9.2" } }], { timeout: 3, pingCount: 1, lanes: 1 });
    expect(script).toContain("i 1 '10.0.9.1' 1;");
    expect(script).toContain("t 2 '10.0.9.1' 8889 1;");
    expect(script).toContain("i 3 '10.0.9.2')");
  });
  test("its timeout says why it was not tried again; an answer is an answer", () => {
    const p = { ...icmp(1), corroboratedBy: 4 };
    const lost = "1 packets transmitted, 0 packets received, 100% packet loss";
    expect(classify(p, { exitCode: 1, output: lost }, 3)).toMatchObject({
      status: "Failed", reasonCode: "timeout", reason: "timeout: no reply to 1 ping (at least 3 sources before found it silent: waited 1s, not tried again)",
    });
    const t = { ...tcp(1), corroboratedBy: 4 };
    expect(classify(t, { exitCode: 1, output: "nc: timed out" }, 3).reason).toBe("timeout: no answer within 1s (at least 3 sources before found it silent: waited 1s, not tried again)");
    expect(classify(t, { exitCode: 0, output: "OK" }, 3)).toMatchObject({ status: "Succeeded", reason: "" });
  });
  test("a run marks the probes of sources that start after the target was found silent", async () => {
    const sources = Array.from({ length: 6 }, (_, k) => ({
      source: { cluster: "c", node: `n${k}`, pod: `p${k}`, namespace: "ns", network: "pod" as const, ips: [from(k).ip], hostIps: [] },
      count: 1,
      probes: () => [icmp(k)],
    }));
    const silence = new SilentTargets(() => false);
    const scripts: string[] = [];
    await runProbes(sources, async (_pod, command) => {
      scripts.push(command[2]!);
      return { exitCode: 0, stdout: "@@ 1 1 1 packets transmitted, 0 packets received, 100% packet loss\n", stderr: "" };
    }, { concurrency: 1, strategy: "fanout", script: { timeout: 3, pingCount: 1, lanes: 1 }, retries: 0, silence }, () => {});
    expect(scripts.map((s) => / 1\)&/.test(s))).toEqual([false, false, false, true, true, true]);
  });
});

describe("the silence decision's cost", () => {
  test("does not scan the results: flat from 100 to 10,000 recorded failures", async () => {
    const { ResultSet } = await import("../../src/results/set.ts");
    const cost = (failures: number) => {
      const nodes = Array.from({ length: 101 }, (_, k) => ({ cluster: "c", node: `n${k}` }));
      const set = new ResultSet(nodes);
      // Failures as records, all to targets other than the one asked about.
      for (let k = 0; k < failures; k++) {
        set.addRecord({ source: { cluster: "c", node: `n${k % 100}`, ip: `10.0.0.${k % 100}` }, target: { cluster: "c", node: `n${(k + 1) % 100}`, ip: `10.1.${k >> 8}.${k & 255}`, port: 8889 }, protocol: "tcp", family: "ipv4", status: "Failed", reason: "timeout", reasonCode: "timeout" });
      }
      const silence = new SilentTargets((p) => set.answeredTo(p));
      const target = { cluster: "c", node: "n100", ip: "10.9.9.9", port: 8889 };
      const probe = (k: number): Probe => ({ id: 1, protocol: "tcp", family: "ipv4", source: from(k), target });
      for (let k = 1; k <= CORROBORATING; k++) silence.record([timedOut(probe(k))]);
      // The decision asks answeredTo each time until some source reached the target.
      const asks = 20_000;
      const started = performance.now();
      for (let k = 0; k < asks; k++) silence.corroborating(probe(k));
      return (performance.now() - started) / asks;
    };
    cost(10_000); // warm
    const [few, many] = [Math.min(cost(100), cost(100)), Math.min(cost(10_000), cost(10_000))];
    // A scan would make 100x the records cost ~100x; a lookup costs the same (within noise).
    expect(many).toBeLessThan(few * 3 + 0.001);
  });
});
