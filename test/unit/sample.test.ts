import { describe, expect, test } from "bun:test";
import { sampleTargets } from "../../src/probe/sample.ts";

const nodes = (n: number, prefix = "n") => Array.from({ length: n }, (_, k) => `${prefix}${k + 1}`);
function inDegrees(m: Map<string, Set<string>>): Map<string, number> {
  const d = new Map<string, number>();
  for (const ts of m.values()) for (const t of ts) d.set(t, (d.get(t) ?? 0) + 1);
  return d;
}

describe("sampling", () => {
  test("every node is a source of K targets and a target of about K sources, never itself", () => {
    const all = nodes(200);
    const m = sampleTargets(all, all, { k: 20, seed: "run1" });
    expect([...m.values()].map((s) => s.size)).toEqual(Array(200).fill(20));
    for (const [s, ts] of m) expect(ts.has(s)).toBe(false);
    const d = inDegrees(m);
    expect(d.size).toBe(200);
    expect(new Set(d.values())).toEqual(new Set([20]));
  });
  test("few nodes, K = 1: still every node a target (a ring)", () => {
    for (const seed of ["a", "b", "c", "d", "e"]) {
      const all = nodes(4);
      expect(inDegrees(sampleTargets(all, all, { k: 1, seed })).size).toBe(4);
    }
  });
  test("deterministic for a seed, different for another", () => {
    const all = nodes(50);
    const a = sampleTargets(all, all, { k: 5, seed: "x" });
    expect(sampleTargets(all, all, { k: 5, seed: "x" })).toEqual(a);
    expect(sampleTargets(all, all, { k: 5, seed: "y" })).not.toEqual(a);
  });
  test("K at least the mesh: the full mesh", () => {
    const all = nodes(6);
    const m = sampleTargets(all, all, { k: 10, seed: "s" });
    expect([...m.values()].map((s) => s.size)).toEqual(Array(6).fill(5));
  });
  test("two clusters: every target covered about K * sources / targets times", () => {
    const m = sampleTargets(nodes(100, "a"), nodes(50, "b"), { k: 4, seed: "s" });
    const d = inDegrees(m);
    expect(d.size).toBe(50);
    expect(Math.min(...d.values())).toBeGreaterThanOrEqual(7);
    expect(Math.max(...d.values())).toBeLessThanOrEqual(9);
  });
  test("zones: every ordered pair of zones keeps at least one probe", () => {
    const all = nodes(300);
    const zoneOf = (n: string) => `z${Number(n.slice(1)) % 7}`;
    const m = sampleTargets(all, all, { k: 1, seed: "s", zoneOf });
    const pairs = new Set<string>();
    for (const [s, ts] of m) for (const t of ts) pairs.add(`${zoneOf(s)}>${zoneOf(t)}`);
    expect(pairs.size).toBe(49);
  });
});

describe("sampled plans", () => {
  test("planProbes keeps only the sampled targets, counted right", async () => {
    const { planProbes } = await import("../../src/probe/plan.ts");
    const floaters = Array.from({ length: 10 }, (_, k) => ({ cluster: "c", node: `n${k + 1}`, pod: `p${k}`, namespace: "ns", network: "pod" as const, ips: [`10.0.${k}.1`], hostIps: [] }));
    const plans = planProbes({ mode: "pod", protocols: ["icmp", "tcp"], ipFamily: "ipv4", port: 8889, targets: [], dnsName: "", dnsServer: "", sampling: { k: 3, seed: "r" } }, floaters, floaters);
    expect(plans.map((p) => p.count)).toEqual(Array(10).fill(6));
    expect(plans.map((p) => p.probes().length)).toEqual(Array(10).fill(6));
    const targetsOf = (k: number) => [...new Set(plans[k]!.probes().map((p) => p.target.node))].length;
    expect(targetsOf(0)).toBe(3);
  });
});
