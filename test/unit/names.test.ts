import { describe, expect, test } from "bun:test";
import { analyze } from "../../src/analysis/findings.ts";
import { addressText, nodeText, pairText, targetText } from "../../src/names.ts";
import { writeHtml } from "../../src/report/html.ts";
import { writeJUnit } from "../../src/report/junit.ts";
import { renderTable } from "../../src/report/table.ts";
import { pairKey } from "../../src/results/compare.ts";
import type { ResultRecord, ResultsDocument } from "../../src/results/document.ts";
import { collect, fourNodes } from "../helpers/docs.ts";

const src = { cluster: "arn:aws:eks:us-east-1:123456789012:cluster/prod-1", node: "node-a1", ip: "fd00::1" };
const record = (target: ResultRecord["target"], protocol: ResultRecord["protocol"], extra: Partial<ResultRecord> = {}): ResultRecord =>
  ({ source: src, target, protocol, family: "ipv6", status: "Failed", reason: "timeout", reasonCode: "timeout", ...extra });

describe("one shape for a node, an address, a target", () => {
  test("a node: cluster/node across two clusters, else the node", () => {
    expect(nodeText(src, true)).toBe("arn:aws:eks:us-east-1:123456789012:cluster/prod-1/node-a1");
    expect(nodeText(src, false)).toBe("node-a1");
  });
  test("an address: ip, ip:port, [ipv6]:port", () => {
    expect(addressText({ ip: "10.0.0.5" })).toBe("10.0.0.5");
    expect(addressText({ ip: "10.0.0.5", port: 443 })).toBe("10.0.0.5:443");
    expect(addressText({ ip: "fd00::5" })).toBe("fd00::5");
    expect(addressText({ ip: "fd00::5", port: 443 })).toBe("[fd00::5]:443");
  });
  test("a target: DNS name @server (or the resolver), a Service by name and address, an address", () => {
    expect(targetText(record({ cluster: "", node: "", ip: "fd00::a", name: "kubernetes.default" }, "dns"))).toBe("kubernetes.default @fd00::a");
    expect(targetText(record({ cluster: "", node: "", ip: "", name: "kubernetes.default" }, "dns"))).toBe("kubernetes.default @resolver");
    expect(targetText(record({ cluster: "", node: "", ip: "fd00::96", port: 8889, name: "service-local" }, "svc"))).toBe("service-local [fd00::96]:8889");
    expect(targetText(record({ cluster: "", node: "", ip: "fd00::5", port: 443 }, "tcp", { custom: true }))).toBe("[fd00::5]:443");
  });
  test("a pair: source -> target node, or what it probes", () => {
    const mesh = record({ cluster: src.cluster, node: "node-a2", ip: "fd00::2", port: 8889 }, "tcp");
    expect(pairText(mesh, false)).toBe("node-a1 -> node-a2");
    expect(pairText(mesh, true)).toBe(`${src.cluster}/node-a1 -> ${src.cluster}/node-a2`);
    expect(pairText(record({ cluster: "", node: "", ip: "fd00::5", port: 443 }, "tcp", { custom: true }), false)).toBe("node-a1 -> [fd00::5]:443");
  });
  test("an IPv6 target with a port is bracketed everywhere: table, HTML, JUnit, comparisons, findings", () => {
    const doc: ResultsDocument = fourNodes();
    const custom = (node: string): ResultRecord => ({ ...record({ cluster: "", node: "", ip: "fd00::5", port: 443 }, "tcp", { custom: true }), source: { cluster: "kind-netdoctor", node, ip: "fd00::1" } });
    for (const node of ["node-a1", "node-a2", "node-a3", "node-a4"]) doc.results.addRecord(custom(node));
    const outputs = {
      table: renderTable(doc.results, { wide: false, columns: 200, color: false }, false),
      html: collect((sink) => writeHtml(doc, sink)),
      junit: collect((sink) => writeJUnit(doc, sink)),
      compare: pairKey(custom("node-a1")),
      findings: JSON.stringify(analyze(doc)),
    };
    for (const [where, text] of Object.entries(outputs)) {
      expect({ where, bracketed: text.includes("[fd00::5]:443") }).toEqual({ where, bracketed: true });
      expect({ where, bare: text.includes("fd00::5:443") }).toEqual({ where, bare: false });
    }
  });
});

describe("a round trip's text", () => {
  test("with the precision it needs", async () => {
    const { millis } = await import("../../src/words.ts");
    expect([0, 0.0421, 0.05, 0.8, 1.234, 12.345, 130.7].map(millis)).toEqual(["0 ms", "0.042 ms", "0.05 ms", "0.8 ms", "1.23 ms", "12.3 ms", "130.7 ms"]);
  });
});
