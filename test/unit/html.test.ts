import { describe, expect, test } from "bun:test";
import { ResultSet } from "../../src/results/set.ts";
import { CONTENT_SECURITY_POLICY, escapeHtml, scriptJson, writeHtml } from "../../src/report/html.ts";
import { ABSENT_CODE, buildMatrices, NO_RTT, STATUS_CODES } from "../../src/report/matrix.ts";
import { REASON_CODES } from "../../src/probe/reasons.ts";
import type { ResultsDocument } from "../../src/results/document.ts";
import { collect, fourNodes, mesh } from "../helpers/docs.ts";

const html = (doc: ResultsDocument) => collect((sink) => writeHtml(doc, sink));
const embedded = (page: string) => JSON.parse(page.match(/<script type="application\/json" id="netdoctor-data">([^]*?)<\/script>/)![1]!);

describe("html report", () => {
  test("structure: CSP, summary numbers, findings, filters, failing pairs, data, no external reference", () => {
    const page = html(fourNodes());
    expect(page).toStartWith("<!DOCTYPE html>");
    expect(page).toContain(`<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`);
    expect(page).toContain('<dd data-field="failed" data-value="2">2</dd>');
    expect(page).toContain('<dd data-field="pairs" data-value="24">24</dd>');
    expect(page).toContain('data-kind="link"');
    expect(page).toContain('<input type="checkbox" name="panel" value="icmp/ipv4" checked>');
    expect(page).toContain('<tr class="Failed" data-panel="tcp/ipv4" data-src="node-a1" data-dst="node-a2">');
    // Nothing that would load: no src=, href= or url( anywhere.
    expect(page).not.toMatch(/\s(src|href)=|url\(|@import/);
    expect(page.match(/<script/g)!.length).toBe(2);
  });
  test("data: the node list once, a byte of verdict and two of RTT per cell", () => {
    const doc = fourNodes();
    const m = buildMatrices(doc);
    expect(m.nodes.map((n) => n.name)).toEqual(["node-a1", "node-a2", "node-a3", "node-a4"]);
    expect(m.panels.map((p) => p.id)).toEqual(["icmp/ipv4", "tcp/ipv4"]);
    const tcp = m.panels[1]!;
    expect(tcp.cells[0 * 4 + 1]).toBe((STATUS_CODES.Failed << 5) | REASON_CODES.indexOf("timeout"));
    expect(tcp.cells[1 * 4 + 0]).toBe((STATUS_CODES.Succeeded << 5) | REASON_CODES.indexOf("ok"));
    expect(tcp.cells[0]).toBe(0);
    expect(m.reasons[tcp.reasons![1]!]).toBe("timeout: no answer within 3s");
    expect(tcp.targetAddresses[1]).toBe("10.244.2.7:8889");
    const icmp = m.panels[0]!;
    const r13 = [...doc.results].find((r) => r.protocol === "icmp" && r.source.node === "node-a1" && r.target.node === "node-a3")!;
    expect(icmp.rtt[2]).toBe(Math.round(r13.rttMs! / 0.01));
    expect(icmp.rtt[1]).toBe(NO_RTT);
    const data = embedded(html(doc));
    expect(data.nodes).toEqual(["node-a1", "node-a2", "node-a3", "node-a4"]);
    expect(Buffer.from(data.panels[1].cells, "base64")).toEqual(Buffer.from(tcp.cells));
  });
  test("results from before reason codes; DNS and --target results have their own columns", () => {
    const doc = fourNodes();
    const results = [...[...doc.results].map((r) => ({ ...r, reasonCode: undefined })),
      { ...[...doc.results][0]!, protocol: "dns" as const, target: { cluster: "kind-netdoctor", node: "", ip: "10.96.0.10", name: "kubernetes.default" }, status: "Succeeded" as const, reason: "" },
      { ...[...doc.results][0]!, custom: true, target: { cluster: "", node: "", ip: "10.0.0.5", port: 443 }, status: "Error" as const, reason: "exec failed" }];
    const m = buildMatrices({ ...doc, results: ResultSet.fromRecords(results) });
    expect(m.panels.map((p) => p.id)).toEqual(["icmp/ipv4", "tcp/ipv4", "dns/ipv4", "target icmp/ipv4"]);
    expect(m.panels[0]!.cells[1]! & 31).toBe(ABSENT_CODE);
    expect(m.panels[2]!.targets).toEqual(["kubernetes.default @10.96.0.10"]);
    expect(m.panels[3]!.cells[0]! >> 5).toBe(STATUS_CODES.Error);
  });
  test("everything embedded is escaped: node names, reasons, contexts", () => {
    const evil = `</script><script>alert(1)</script><img src=x onerror=alert(2)>&"'`;
    const doc = fourNodes();
    const results = [...doc.results].map((r, k) => (k === 0 ? { ...r, source: { ...r.source, node: evil }, reason: evil } : r));
    const page = html({ ...doc, results: ResultSet.fromRecords(results), clusters: { source: { context: evil, server: "" } }, skipped: [{ cluster: evil, node: evil, reason: evil }] });
    expect(page).not.toContain("<script>alert");
    expect(page).not.toContain("<img");
    expect(page.match(/<\/script>/g)!.length).toBe(2);
    expect(page).toContain("&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(embedded(page).nodes).toContain(evil);
    expect(embedded(page).reasons).toContain(evil);
    expect(escapeHtml(`<a b="c">'&`)).toBe("&lt;a b=&quot;c&quot;&gt;&#39;&amp;");
    expect(scriptJson({ a: "</script>\u2028<!--" })).toBe('{"a":"\\u003c/script\\u003e\\u2028\\u003c!--"}');
  });
  test("500 nodes: compact (a few MB), made in about a second", () => {
    const doc = mesh(500);
    const started = performance.now();
    const page = html(doc);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(page.length).toBeLessThan(4.5 * 2 ** 20);
    expect(embedded(page).panels[0].cells.length).toBe(Math.ceil((500 * 500) / 3) * 4);
  });
});
