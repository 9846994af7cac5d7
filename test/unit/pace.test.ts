import { describe, expect, test } from "bun:test";
import { CAP, Pacer, START } from "../../src/probe/pace.ts";

describe("adaptive exec concurrency", () => {
  test("starts at 10 and grows about one per round while setup latency stays flat, never past the cap", () => {
    const p = new Pacer();
    expect(p.limit).toBe(START);
    for (let k = 0; k < 11; k++) p.record({ setupMs: 20 });
    expect(p.limit).toBe(11);
    for (let k = 0; k < 10_000; k++) p.record({ setupMs: 20 });
    expect(p.limit).toBe(CAP);
  });
  test("halves on throttling, once per round, then grows again", () => {
    const p = new Pacer();
    for (let k = 0; k < 200; k++) p.record({ setupMs: 20 });
    const before = p.limit;
    p.record({ throttled: true });
    p.record({ throttled: true });
    expect(p.limit).toBeWithin(Math.floor(before / 2), Math.ceil(before / 2) + 1);
    for (let k = 0; k < 200; k++) p.record({ setupMs: 20 });
    expect(p.limit).toBeGreaterThan(Math.floor(before / 2));
  });
  test("backs off when setup latency rises well above the best seen", () => {
    const p = new Pacer();
    for (let k = 0; k < 100; k++) p.record({ setupMs: 20 });
    const before = p.limit;
    p.record({ setupMs: 500 });
    const after = p.limit;
    expect(after).toBeWithin(Math.floor(before * 0.75), Math.ceil(before * 0.75) + 1);
    p.record({ setupMs: 40 });
    expect(p.limit).toBe(after);
  });
});

describe("adaptive runs", () => {
  test("concurrency 0: more execs at once while the API server keeps up, fewer when it throttles", async () => {
    const { runProbes } = await import("../../src/probe/run.ts");
    const { ExecTransportError } = await import("../../src/kube/exec.ts");
    const plans = Array.from({ length: 300 }, (_, k) => ({
      source: { cluster: "c", node: `n${k}`, pod: `p${k}`, namespace: "ns", network: "pod" as const, ips: ["1"], hostIps: [] },
      count: 1,
      probes: () => [{ id: 1, protocol: "tcp" as const, family: "ipv4" as const, source: { cluster: "c", node: `n${k}`, ip: "1" }, target: { cluster: "c", node: "x", ip: "2", port: 8889 } }],
    }));
    const options = { concurrency: 0, strategy: "fanout" as const, script: { timeout: 1, pingCount: 1, lanes: 1 }, retries: 3, backoffMs: () => 1 };
    let inFlight = 0;
    let most = 0;
    await runProbes(plans, async () => {
      most = Math.max(most, ++inFlight);
      await Bun.sleep(2);
      inFlight--;
      return { exitCode: 0, stdout: "@@ 1 0 OK\n", stderr: "", setupMs: 5 };
    }, options, () => {});
    expect(most).toBeGreaterThan(START);
    inFlight = 0;
    most = 0;
    let calls = 0;
    await runProbes(plans.slice(0, 100), async () => {
      most = Math.max(most, ++inFlight);
      await Bun.sleep(2);
      inFlight--;
      if (++calls % 2 === 0) throw new ExecTransportError("exec failed: HTTP 429", true, true);
      return { exitCode: 0, stdout: "@@ 1 0 OK\n", stderr: "", setupMs: 5 };
    }, options, () => {});
    expect(most).toBeLessThanOrEqual(START);
  });
});
