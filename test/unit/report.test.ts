import { describe, expect, test } from "bun:test";
import { ResultSet } from "../../src/results/set.ts";
import { defaultSettings } from "../../src/config/settings.ts";
import { summarize, type ResultRecord, type ResultsDocument } from "../../src/results/document.ts";
import { renderSummary, renderTable } from "../../src/report/table.ts";

const rec = (src: string, dst: string, status: ResultRecord["status"], o: Partial<ResultRecord> = {}): ResultRecord => ({
  source: { cluster: "a", node: src, ip: "10.0.0.1" }, target: { cluster: "a", node: dst, ip: "10.0.0.2", port: 8889 }, protocol: "tcp", family: "ipv4",
  status, reason: status === "Succeeded" ? "" : "timeout: no answer within 3s", ...o,
});
const counts = { nodesTotal: 3, nodesChecked: 3, skippedNodes: 0, execs: 3, retries: 1, durationMs: 1234 };
function doc(results: ResultRecord[], o: Partial<Omit<ResultsDocument, "findings" | "results">> = {}): ResultsDocument {
  return {
    apiVersion: "netdoctor.io/v1", kind: "CheckResults", partial: false, startedAt: "", finishedAt: "", clusters: { source: { context: "a", server: "s" } },
    run: { id: "r", namespace: "n", kept: false }, settings: defaultSettings(), summary: summarize(ResultSet.fromRecords(results), counts), findings: [], skipped: [], results: ResultSet.fromRecords(results), ...o,
  };
}

describe("summary", () => {
  test("counts, execs, retries and time on one line; skipped nodes with their reason", () => {
    const d = doc([rec("n1", "n2", "Succeeded"), rec("n1", "n3", "Failed"), rec("n2", "n1", "Error", { reason: "could not test: exec failed" })],
      { skipped: [{ cluster: "a", node: "n4", reason: "Pending: ..." }] });
    expect(renderSummary(d)).toBe(
      "checked 3 of 3 nodes: 3 pairs, 1 succeeded, 1 failed, 1 could not be tested (3 execs, 1 retried, 1.2s)\nskipped node n4: Pending: ...\n");
    expect(renderSummary({ ...d, partial: true })).toStartWith("PARTIAL (the run ended early): checked");
  });
  test("cross-cluster: a line per direction, counted apart", () => {
    const x = (s: string, t: string, status: ResultRecord["status"]) =>
      rec("n1", "m1", status, { source: { cluster: s, node: "n1", ip: "1" }, target: { cluster: t, node: "m1", ip: "2" } });
    const results = [x("a", "b", "Succeeded"), x("a", "b", "Failed"), x("b", "a", "Succeeded"), rec("n1", "n2", "Succeeded")];
    const s = summarize(ResultSet.fromRecords(results), counts);
    expect(s.directions).toEqual([
      { from: "a", to: "b", pairs: 2, succeeded: 1, failed: 1, errors: 0 },
      { from: "b", to: "a", pairs: 1, succeeded: 1, failed: 0, errors: 0 },
    ]);
    const text = renderSummary(doc(results, { clusters: { source: { context: "a", server: "s" }, destination: { context: "b", server: "t" } } }));
    expect(text.split("\n").slice(1, 3)).toEqual(["  a -> b: 2 pairs, 1 succeeded, 1 failed, 0 could not be tested", "  b -> a: 1 pairs, 1 succeeded, 0 failed, 0 could not be tested"]);
  });
});

describe("tables", () => {
  const results = [rec("n1", "n2", "Succeeded", { rttMs: 0.5 }), rec("n1", "n3", "Failed"), rec("n2", "n1", "Error", { reason: "could not test" })];
  test("default: only what failed or could not be tested", () => {
    const text = renderTable(ResultSet.fromRecords(results), { wide: false, columns: 120, color: false }, false);
    expect(text).toContain("SRC NODE NAME");
    expect(text).not.toContain("RTT");
    expect(text.split("\n").filter((l) => /^║ \d/.test(l)).map((l) => l.split(/[│║]/).map((c) => c.trim()).slice(1, 7))).toEqual([
      ["1", "n1", "n3", "10.0.0.2:8889", "tcp", "Failed"],
      ["2", "n2", "n1", "10.0.0.2:8889", "tcp", "Error"],
    ]);
  });
  test("wide: every pair, with RTT", () => {
    const text = renderTable(ResultSet.fromRecords(results), { wide: true, columns: 160, color: false }, false);
    expect(text).toContain("RTT");
    expect(text).toContain("0.50ms");
    expect(text.match(/Succeeded|Failed|Error/g)).toEqual(["Succeeded", "Failed", "Error"]);
  });
  test("colour: green, red, yellow status; none without it", () => {
    const text = renderTable(ResultSet.fromRecords(results), { wide: true, columns: 160, color: true }, false);
    expect(text).toContain("\u001b[32mSucceeded\u001b[");
    expect(text).toContain("\u001b[31mFailed\u001b[");
    expect(text).toContain("\u001b[33mError\u001b[");
    expect(renderTable(ResultSet.fromRecords(results), { wide: true, columns: 160, color: false }, false)).not.toContain("\u001b[");
  });
  test("cross-cluster tables name each endpoint's context; nothing failed: no table", () => {
    expect(renderTable(ResultSet.fromRecords(results), { wide: false, columns: 120, color: false }, true)).toContain("a/n1");
    expect(renderTable(ResultSet.fromRecords([results[0]!]), { wide: false, columns: 120, color: false }, false)).toBe("");
  });
});
