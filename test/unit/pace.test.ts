import { describe, expect, test } from "bun:test";
import { CAP, Pacer, START } from "../../src/probe/pace.ts";

/** `n` execs, each opening after `ms` and then finishing. */
function feed(p: Pacer, n: number, ms: number): void {
  for (let k = 0; k < n; k++) {
    p.opened(ms);
    p.finished();
  }
}

describe("adaptive exec concurrency", () => {
  test("starts at 10 and doubles per round in slow start while setup latency stays flat, never past the cap", () => {
    const p = new Pacer();
    expect(p.limit).toBe(START);
    feed(p, START, 20);
    expect(p.limit).toBe(2 * START);
    feed(p, 10_000, 20);
    expect(p.limit).toBe(CAP);
  });
  test("grows as execs finish, not as they open", () => {
    const p = new Pacer();
    for (let k = 0; k < 30; k++) p.opened(20);
    expect(p.limit).toBe(START);
  });
  test("after the first back-off it grows about one per round", () => {
    const p = new Pacer();
    feed(p, 30, 20); // 40
    p.throttled();
    expect(p.limit).toBe(20);
    feed(p, 20, 20); // the round in flight when it backed off: no growth
    expect(p.limit).toBe(20);
    feed(p, 21, 20);
    expect(p.limit).toBe(21);
  });
  test("halves on throttling, once per round, down to 1", () => {
    const p = new Pacer();
    p.throttled();
    p.throttled();
    expect(p.limit).toBe(START / 2);
    for (let k = 0; k < 10; k++) {
      for (let j = p.limit; j > 0; j--) p.finished(); // the round ends
      p.throttled();
    }
    expect(p.limit).toBe(1);
  });
  test("backs off by a quarter as soon as setup latency rises well above the best seen, never below 10", () => {
    const p = new Pacer();
    feed(p, 30, 20);
    expect(p.limit).toBe(40);
    for (let k = 0; k < 4; k++) p.opened(500); // while those execs are still running
    expect(p.limit).toBe(30);
    p.opened(40);
    expect(p.limit).toBe(30); // calm for the round in flight
    for (let k = 0; k < 20; k++) {
      for (let j = p.limit; j > 0; j--) p.finished();
      p.opened(500);
    }
    expect(p.limit).toBe(START);
  });
  test("a lone spike of setup latency is not a trend", () => {
    const p = new Pacer();
    feed(p, 5, 10);
    feed(p, 1, 550);
    feed(p, 4, 10);
    expect(p.limit).toBe(START + 10);
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
    await runProbes(plans, async (_pod, _cmd, _deadline, onOpen) => {
      most = Math.max(most, ++inFlight);
      onOpen?.(5);
      await Bun.sleep(2);
      inFlight--;
      return { exitCode: 0, stdout: "@@ 1 0 OK\n", stderr: "" };
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
      return { exitCode: 0, stdout: "@@ 1 0 OK\n", stderr: "" };
    }, options, () => {});
    expect(most).toBeLessThanOrEqual(START);
    // Setup latency rising from the first round on: it stays at 10.
    inFlight = 0;
    most = 0;
    calls = 0;
    await runProbes(plans, async (_pod, _cmd, _deadline, onOpen) => {
      most = Math.max(most, ++inFlight);
      onOpen?.(++calls <= 3 ? 5 : 2_000);
      await Bun.sleep(2);
      inFlight--;
      return { exitCode: 0, stdout: "@@ 1 0 OK\n", stderr: "" };
    }, options, () => {});
    expect(most).toBe(START);
  });
});
