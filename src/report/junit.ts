// JUnit XML for CI systems (GitLab, Jenkins): one testsuite per protocol/family, one testcase per
// pair, Failed as <failure>, Error as <error>, the reason as message; nodes that could not take
// part are errors of a "floaters" suite. Written in pieces, never held whole (half a million pairs
// at 500 nodes). Pure.
import type { ResultRecord, ResultsDocument } from "../results/document.ts";
import type { Sink } from "../results/write.ts";
import { nodeText, pairText } from "../names.ts";

const XML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" };

/** Text and attribute values; characters XML 1.0 cannot carry at all (most C0 controls) are dropped. */
export function xmlEscape(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "").replace(/[&<>"']/g, (c) => XML_ESCAPES[c]!);
}

/** Seconds as JUnit wants them; a pair's time is its RTT, to the microsecond. */
const seconds = (ms: number, digits = 3) => (ms / 1000).toFixed(digits);

/** The suite a record belongs to: its protocol and family, custom targets apart from the mesh. */
function suiteOf(r: ResultRecord): string {
  return `${r.custom ? "target " : ""}${r.protocol}/${r.family}`;
}

function testcase(r: ResultRecord, classname: string, showCluster: boolean): string {
  const head = `    <testcase classname="${xmlEscape(classname)}" name="${xmlEscape(pairText(r, showCluster))}" time="${seconds(r.rttMs ?? 0, 6)}"`;
  if (r.status === "Succeeded") return `${head}/>\n`;
  const tag = r.status === "Failed" ? "failure" : "error";
  const message = xmlEscape(r.reason || r.status);
  return `${head}>\n      <${tag} message="${message}" type="${xmlEscape(r.reasonCode ?? "other")}">${message}</${tag}>\n    </testcase>\n`;
}

export function writeJUnit(doc: ResultsDocument, sink: Sink): void {
  const showCluster = !!doc.clusters.destination;
  // A suite's counts head it, so they are counted first; its cases follow in a pass of their own
  // over the set: no pair is held (25 million at 5,000 nodes).
  const suites = new Map<string, { tests: number; failed: number; errors: number; ms: number }>();
  for (const r of doc.results) {
    const name = suiteOf(r);
    let c = suites.get(name);
    if (!c) suites.set(name, (c = { tests: 0, failed: 0, errors: 0, ms: 0 }));
    c.tests++;
    if (r.status === "Failed") c.failed++;
    else if (r.status === "Error") c.errors++;
    c.ms += r.rttMs ?? 0;
  }
  const s = doc.summary;
  const errors = s.errors + doc.skipped.length;
  const title = `netdoctor ${doc.clusters.source.context}${doc.clusters.destination ? ` <-> ${doc.clusters.destination.context}` : ""}`;
  sink.write(`<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEscape(title)}" tests="${s.pairs + doc.skipped.length}" failures="${s.failed}" errors="${errors}" skipped="0" time="${seconds(s.durationMs)}">\n`);
  const timestamp = doc.startedAt ? ` timestamp="${xmlEscape(doc.startedAt.replace(/(\.\d+)?Z$/, ""))}"` : "";
  for (const [name, c] of [...suites].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    sink.write(`  <testsuite name="${xmlEscape(name)}" tests="${c.tests}" failures="${c.failed}" errors="${c.errors}" skipped="0" time="${seconds(c.ms, 6)}"${timestamp}>\n`);
    let chunk = "";
    for (const r of doc.results) {
      if (suiteOf(r) !== name) continue;
      chunk += testcase(r, name, showCluster);
      if (chunk.length > 1 << 20) {
        sink.write(chunk);
        chunk = "";
      }
    }
    sink.write(`${chunk}  </testsuite>\n`);
  }
  if (doc.skipped.length) {
    sink.write(`  <testsuite name="floaters" tests="${doc.skipped.length}" failures="0" errors="${doc.skipped.length}" skipped="0" time="0.000"${timestamp}>\n`);
    for (const k of doc.skipped) {
      const message = xmlEscape(`floater never became ready: ${k.reason}`);
      sink.write(`    <testcase classname="floaters" name="${xmlEscape(nodeText(k, showCluster))}" time="0.000">\n      <error message="${message}" type="node-not-ready">${message}</error>\n    </testcase>\n`);
    }
    sink.write("  </testsuite>\n");
  }
  sink.write("</testsuites>\n");
}
