import { describe, expect, test } from "bun:test";
import { CAP, Pacer, START, WINDOW_MS } from "../../src/probe/pace.ts";

/** Feeds `n` execs of `ms` setup latency, `gapMs` apart from `from`; returns the time after. */
function feed(p: Pacer, n: number, ms: number, from = 0, gapMs = 10): number {
  let now = from;
  for (let k = 0; k < n; k++) p.record({ setupMs: ms }, (now += gapMs));
  return now;
}

describe("adaptive exec concurrency", () => {
  test("starts at 10 and doubles per round in slow start while setup latency stays flat, never past the cap", () => {
    const p = new Pacer();
    expect(p.limit).toBe(START);
    feed(p, START, 20);
    expect(p.limit).toBe(2 * START);
    feed(p, 10_000, 20, 1_000);
    expect(p.limit).toBe(CAP);
  });
  test("after the first back-off it grows about one per round", () => {
    const p = new Pacer();
    let now = feed(p, 30, 20); // 40
    p.record({ throttled: true }, now);
    expect(p.limit).toBe(20);
    now = feed(p, 20, 20, now); // the round in flight when it backed off: no growth
    expect(p.limit).toBe(20);
    feed(p, 21, 20, now);
    expect(p.limit).toBe(21);
  });
  test("halves on throttling, once per round, down to 1", () => {
    const p = new Pacer();
    p.record({ throttled: true }, 0);
    p.record({ throttled: true }, 1);
    expect(p.limit).toBe(START / 2);
    for (let k = 0; k < 10; k++) {
      feed(p, p.limit, 20, 1000 * k); // the round ends
      p.record({ throttled: true }, 1000 * k + 999);
    }
    expect(p.limit).toBe(1);
  });
  test("backs off by a quarter when setup latency rises well above the recent best, never below 10", () => {
    const p = new Pacer();
    let now = feed(p, 30, 20);
    expect(p.limit).toBe(40);
    now = feed(p, 4, 500, now);
    expect(p.limit).toBe(30);
    p.record({ setupMs: 40 }, now + 1);
    expect(p.limit).toBe(30); // calm for the round in flight
    const q = new Pacer();
    feed(q, 1, 20);
    for (let k = 0; k < 20; k++) feed(q, q.limit + 1, 500, 100 + 200 * k, 1);
    expect(q.limit).toBe(START);
  });
  test("a lone spike of setup latency is not a trend", () => {
    const p = new Pacer();
    let now = feed(p, 5, 10);
    now = feed(p, 1, 550, now);
    feed(p, 4, 10, now);
    expect(p.limit).toBe(START + 10);
  });
  test("a lasting rise in setup latency becomes the norm once the best of an idle start ages out", () => {
    const p = new Pacer();
    let now = feed(p, 5, 10); // idle API server: 10 ms
    now = feed(p, 200, 300, now, 20); // loaded: 300 ms, backed off to START meanwhile
    const settled = p.limit;
    expect(settled).toBe(START);
    now = feed(p, 10, 300, now + WINDOW_MS); // the 10 ms have aged out: 300 ms is flat now
    feed(p, 100, 300, now);
    expect(p.limit).toBeGreaterThan(settled + 3);
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
