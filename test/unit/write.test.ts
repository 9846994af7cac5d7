import { describe, expect, test } from "bun:test";
import { load } from "js-yaml";
import { defaultSettings } from "../../src/config/settings.ts";
import type { ResultRecord, ResultsDocument } from "../../src/results/document.ts";
import { ResultSet } from "../../src/results/set.ts";
import { writeJson, writeYaml } from "../../src/results/write.ts";

const rec = (src: string, dst: string, protocol: "icmp" | "tcp"): ResultRecord => ({
  source: { cluster: "c", node: src, ip: "10.0.0.1" }, target: { cluster: "c", node: dst, ip: "10.0.0.2" }, protocol, family: "ipv4", status: "Succeeded", reason: "", rttMs: 0.1,
});
const doc = (results: ResultRecord[]): ResultsDocument => ({
  apiVersion: "netdoctor.io/v1", kind: "CheckResults", partial: false, startedAt: "s", finishedAt: "f", clusters: { source: { context: "c", server: "https://x" } },
  run: { id: "r", namespace: "n", kept: false }, settings: defaultSettings(), findings: [], skipped: [], results: ResultSet.fromRecords(results),
  summary: { nodesTotal: 2, nodesChecked: 2, pairs: results.length, succeeded: results.length, failed: 0, errors: 0, skippedNodes: 0, execs: 1, retries: 0, durationMs: 1 },
});
const collect = (fn: (s: { write(c: string | Uint8Array): void }) => void) => {
  const chunks: string[] = [];
  fn({ write: (c) => void chunks.push(typeof c === "string" ? c : new TextDecoder().decode(c)) });
  return chunks;
};

describe("streamed results", () => {
  test("JSON written in pieces parses back to the document", () => {
    const d = doc(Array.from({ length: 30_000 }, (_, k) => rec(`n${k % 100}`, `n${(k + 1) % 100}`, k % 2 ? "icmp" : "tcp")));
    const chunks = collect((s) => writeJson(d, s));
    expect(chunks.length).toBeGreaterThan(3);
    expect(JSON.parse(chunks.join(""))).toEqual(JSON.parse(JSON.stringify({ ...d, results: [...d.results] })));
  });
  test("byte for byte what JSON.stringify writes, escapes and optional fields included", () => {
    const odd: ResultRecord[] = [
      { ...rec("a", "b", "tcp"), target: { cluster: "c", node: "b", ip: "10.0.0.2", port: 8889 }, status: "Failed", reason: 'got "nothing" \\ back\nline\ttab \u0001 ünïcødé ✓' },
      { ...rec("a", "b", "icmp"), custom: true, rttMs: 0.047, lossPct: 33 },
      { ...rec("a", "b", "icmp"), rttMs: undefined, lossPct: Number.NaN },
      { ...rec("a", "dns", "icmp"), protocol: "dns", target: { cluster: "", node: "", ip: "", name: "kubernetes.default.svc.cluster.local" } },
    ];
    const d = doc(odd);
    const expected = `${JSON.stringify({ ...d, results: "@" }, null, 2).split('"@"').join(`[\n    ${[...d.results].map((r) => JSON.stringify(r)).join(",\n    ")}\n  ]`)}\n`;
    expect(collect((s) => writeJson(d, s)).join("")).toBe(expected);
  });
  test("an empty result list is valid JSON too", () => {
    expect(JSON.parse(collect((s) => writeJson(doc([]), s)).join("")).results).toEqual([]);
  });
  test("YAML written in pieces loads back to the document", () => {
    const d = doc([rec("a", "b", "icmp"), rec("b", "a", "tcp")]);
    expect(load(collect((s) => writeYaml(d, s)).join(""))).toEqual(JSON.parse(JSON.stringify({ ...d, results: [...d.results] })));
  });
  test("results sort by source, then target, in natural node order", () => {
    const sorted = [...ResultSet.fromRecords([rec("n10", "n2", "icmp"), rec("n2", "n10", "tcp"), rec("n2", "n10", "icmp"), rec("n2", "n3", "icmp")])];
    expect(sorted.map((r) => `${r.source.node}>${r.target.node} ${r.protocol}`)).toEqual(["n2>n3 icmp", "n2>n10 icmp", "n2>n10 tcp", "n10>n2 icmp"]);
  });
});

describe("table", () => {
  test("shows a screenful of what failed (-o wide: MAX_TABLE_ROWS) and says how many more there are", async () => {
    const { renderTable, MAX_TABLE_ROWS, SCREEN_ROWS } = await import("../../src/report/table.ts");
    const failed = Array.from({ length: MAX_TABLE_ROWS + 7 }, (_, k) => ({ ...rec(`n${k}`, "m", "icmp"), status: "Failed" as const, reason: "timeout" }));
    const set = ResultSet.fromRecords(failed);
    const text = renderTable(set, { wide: false, columns: 120, color: false }, false);
    expect(text).toContain(`... and ${MAX_TABLE_ROWS + 7 - SCREEN_ROWS} more failed or untested pairs: -o wide shows ${MAX_TABLE_ROWS}, the results file and -o json every one`);
    expect(text.split("\n").filter((l) => l.includes("timeout"))).toHaveLength(SCREEN_ROWS);
    const wide = renderTable(set, { wide: true, columns: 120, color: false }, false);
    expect(wide).toContain("... and 7 more pairs");
    expect(wide.split("\n").filter((l) => l.includes("timeout"))).toHaveLength(MAX_TABLE_ROWS);
  });
});
