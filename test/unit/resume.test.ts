import { describe, expect, test } from "bun:test";
import { defaultSettings } from "../../src/config/settings.ts";
import { ResultSet } from "../../src/results/set.ts";
import type { ResultRecord, ResultsDocument } from "../../src/results/document.ts";
import { compare, fromNetctlResume, isDue, isEmpty, isNetctlResume, merge, whatToRecheck } from "../../src/results/resume.ts";
import { pairKey } from "../../src/results/compare.ts";
import { narrowPlans, planProbes } from "../../src/probe/plan.ts";
import type { Floater } from "../../src/probe/types.ts";

const rec = (src: string, dst: string, protocol: "icmp" | "tcp", status: ResultRecord["status"], ip = "10.0.0.1"): ResultRecord => ({
  source: { cluster: "c", node: src, ip: "10.9.9.9" }, target: { cluster: "c", node: dst, ip }, protocol, family: "ipv4", status, reason: status === "Succeeded" ? "" : "x",
});
function doc(results: ResultRecord[], skipped: string[] = []): ResultsDocument {
  return {
    apiVersion: "netdoctor.io/v1", kind: "CheckResults", partial: false, startedAt: "", finishedAt: "", clusters: { source: { context: "c", server: "s" } },
    run: { id: "r1", namespace: "netdoctor", kept: false }, settings: defaultSettings(), findings: [], skipped: skipped.map((node) => ({ cluster: "c", node, reason: "x" })), results: set(results),
    summary: { nodesTotal: 3, nodesChecked: 3 - skipped.length, pairs: results.length, succeeded: 0, failed: 0, errors: 0, skippedNodes: skipped.length, execs: 0, retries: 0, durationMs: 0 },
  };
}
const set = (records: ResultRecord[]) => ResultSet.fromRecords(records);
const floater = (node: string, ip: string): Floater => ({ cluster: "c", node, pod: `p-${node}`, namespace: "ns", network: "pod", ips: [ip], hostIps: [] });

describe("resume", () => {
  test("pairs are known by node names, not IPs", () => {
    expect(pairKey(rec("a", "b", "icmp", "Failed", "10.0.0.1"))).toBe(pairKey(rec("a", "b", "icmp", "Succeeded", "10.7.7.7")));
    expect(pairKey(rec("a", "b", "icmp", "Failed"))).not.toBe(pairKey(rec("a", "b", "tcp", "Failed")));
  });
  test("only Failed and Error pairs are re-checked, on floaters with new IPs", () => {
    const previous = doc([rec("a", "b", "icmp", "Failed"), rec("a", "b", "tcp", "Succeeded"), rec("b", "a", "tcp", "Error"), rec("c", "a", "icmp", "Succeeded")]);
    const r = whatToRecheck(previous);
    expect(r.nodes.map((n) => `${n.cluster}/${n.node}`)).toEqual(["c/a", "c/b"]);
    const now = [floater("a", "10.1.0.5"), floater("b", "10.1.1.5"), floater("c", "10.1.2.5")];
    const plans = narrowPlans(planProbes({ mode: "pod", protocols: ["icmp", "tcp"], ipFamily: "ipv4", port: 8889, targets: [], dnsName: "", dnsServer: "" }, now, now), isDue(r));
    expect(plans.flatMap((p) => p.probes().map((x) => `${x.source.node}->${x.target.node} ${x.protocol} ${x.target.ip}`))).toEqual(["a->b icmp 10.1.1.5", "b->a tcp 10.1.0.5"]);
  });
  test("nothing failed: nothing to re-check", () => {
    expect(isEmpty(whatToRecheck(doc([rec("a", "b", "icmp", "Succeeded")])))).toBe(true);
  });
  test("a node skipped last time brings all of its pairs back", () => {
    const r = whatToRecheck(doc([rec("a", "b", "icmp", "Succeeded")], ["c"]));
    expect(isEmpty(r)).toBe(false);
    expect(r.nodes.map((n) => n.node).sort()).toEqual(["a", "b", "c"]);
  });
  test("what changed, and the merged results", () => {
    const before = [rec("a", "b", "icmp", "Failed"), rec("b", "a", "tcp", "Error"), rec("c", "a", "tcp", "Failed"), rec("a", "c", "icmp", "Succeeded")];
    const after = [rec("a", "b", "icmp", "Succeeded"), rec("b", "a", "tcp", "Failed"), rec("c", "a", "tcp", "Failed")];
    const o = compare(set(before), set(after), whatToRecheck(doc(before)), []);
    expect(o).toMatchObject({ pairs: 3, fixed: [pairKey(after[0]!)], stillFailing: [pairKey(after[2]!)], newlyFailing: [pairKey(after[1]!)], notRechecked: [] });
    const merged = merge(doc(before), set(after), o, { skipped: [], partial: false, execs: 2, retries: 0, durationMs: 5 });
    expect(merged.results.size).toBe(4);
    expect(merged.summary).toMatchObject({ pairs: 4, succeeded: 2, failed: 2, errors: 0 });
  });
  test("netctl's resume.json", () => {
    const rows = [{ Status: 0, ResultStr: "exec error", srcNodeName: "a", dstNodeName: "b", targetIP: "10.0.2.29" }];
    expect(isNetctlResume(rows)).toBe(true);
    expect(isNetctlResume({ results: [] })).toBe(false);
    const d = fromNetctlResume(rows, { context: "c", server: "s", settings: { ...defaultSettings(), protocols: ["tcp"] } });
    expect(d.results.size).toBe(1);
    expect([...d.results][0]!.reason).toBe("netctl: exec error");
    expect(whatToRecheck(d).keys).toEqual(new Set([pairKey(rec("a", "b", "tcp", "Error"))]));
    expect(isNetctlResume([{ srcNodeName: "a", dstNodeName: "b" }])).toBe(false);
  });
  test("pairs of nodes the cluster no longer has: kept, marked not re-checked, still a problem", () => {
    const before = [rec("a", "b", "icmp", "Failed"), rec("a", "gone", "tcp", "Failed"), rec("gone", "a", "icmp", "Error")];
    const due = whatToRecheck(doc(before));
    const after = [rec("a", "b", "icmp", "Succeeded")];
    const o = compare(set(before), set(after), due, ["gone"]);
    expect(o.fixed).toEqual([pairKey(after[0]!)]);
    expect(o.notRechecked).toEqual([pairKey(before[1]!), pairKey(before[2]!)].sort());
    const merged = merge(doc(before), set(after), o, { skipped: [], partial: false, execs: 1, retries: 0, durationMs: 5 });
    const stale = [...merged.results].filter((r) => r.status !== "Succeeded");
    expect(stale).toHaveLength(2);
    expect(stale.map((r) => r.reason)).toEqual([
      "not re-checked (node 'gone' is not in the cluster); last run: x",
      "not re-checked (node 'gone' is not in the cluster); last run: x",
    ]);
    expect(merged.summary).toMatchObject({ pairs: 3, succeeded: 1, failed: 1, errors: 1 });
  });
  test("a sampled run stays sampled once resumed", () => {
    const before = [rec("a", "b", "icmp", "Failed")];
    const sampled = { ...doc(before), summary: { ...doc(before).summary, sampled: { targetsPerSource: 2, seed: "s", fullMesh: 6 } } };
    const after = [rec("a", "b", "icmp", "Succeeded")];
    const o = compare(set(before), set(after), whatToRecheck(sampled), []);
    expect(merge(sampled, set(after), o, { skipped: [], partial: false, execs: 1, retries: 0, durationMs: 1 }).summary.sampled).toEqual({ targetsPerSource: 2, seed: "s", fullMesh: 6 });
  });
  test("a pair not re-checked because the run was interrupted says so", () => {
    const before = [rec("a", "b", "icmp", "Failed")];
    const o = compare(set(before), set([]), whatToRecheck(doc(before)), []);
    const merged = merge(doc(before), set([]), o, { skipped: [], partial: true, execs: 0, retries: 0, durationMs: 1 });
    expect([...merged.results][0]!.reason).toBe("not re-checked (the resume was interrupted); last run: x");
    expect(merged.partial).toBe(true);
  });
});
