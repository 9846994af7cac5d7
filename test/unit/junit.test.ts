import { describe, expect, test } from "bun:test";
import { ResultSet } from "../../src/results/set.ts";
import { join } from "node:path";
import { writeJUnit, xmlEscape } from "../../src/report/junit.ts";
import type { ResultsDocument } from "../../src/results/document.ts";
import { collect, fourNodes } from "../helpers/docs.ts";

const XSD = join(import.meta.dir, "..", "fixtures", "junit.xsd");

/** xmllint (libxml2-utils, installed by scripts/setup) is the real XML parser and XSD validator. */
function xmllint(args: string[], xml: string): { code: number; out: string; err: string } {
  if (!Bun.which("xmllint")) throw new Error("xmllint is missing: run scripts/setup (or apt-get install -y libxml2-utils)");
  const p = Bun.spawnSync(["xmllint", ...args, "-"], { stdin: Buffer.from(xml), stdout: "pipe", stderr: "pipe" });
  return { code: p.exitCode, out: p.stdout.toString(), err: p.stderr.toString() };
}
const validate = (xml: string) => {
  const r = xmllint(["--noout", "--schema", XSD], xml);
  expect(r.err).toContain("- validates");
  expect(r.code).toBe(0);
};
const xpath = (xml: string, expr: string) => xmllint(["--xpath", expr], xml).out.trim();

describe("junit", () => {
  test("the 4-node run: valid against the JUnit schema; a suite per protocol/family, a case per pair", () => {
    const xml = collect((sink) => writeJUnit(fourNodes(), sink));
    validate(xml);
    expect(xpath(xml, "string(/testsuites/@tests)")).toBe("24");
    expect(xpath(xml, "string(/testsuites/@failures)")).toBe("2");
    expect(xpath(xml, "string(/testsuites/@errors)")).toBe("0");
    expect(xpath(xml, "count(//testsuite)")).toBe("2");
    expect(xpath(xml, "string(//testsuite[@name='icmp/ipv4']/@tests)")).toBe("12");
    expect(xpath(xml, "string(//testsuite[@name='tcp/ipv4']/@failures)")).toBe("1");
    expect(xpath(xml, "string(//testcase[failure][1]/@name)")).toBe("node-a1 -> node-a2");
    expect(xpath(xml, "string(//testsuite[@name='tcp/ipv4']//failure/@message)")).toBe("timeout: no answer within 3s");
    expect(xpath(xml, "string(//testsuite[@name='tcp/ipv4']//failure/@type)")).toBe("timeout");
    // A pair's time is its RTT (icmp), to the microsecond.
    expect(xpath(xml, "string(//testsuite[@name='icmp/ipv4']/testcase[2]/@time)")).toBe("0.000071");
  });
  test("errors, skipped nodes, and names and reasons that need escaping", () => {
    const doc = fourNodes();
    const nasty = `</testcase><x a="1">&amp; 'q' \u0001</script>`;
    const results = [...doc.results].map((r, k) => (k === 0 ? { ...r, status: "Error" as const, reason: nasty, reasonCode: "exec-failed" as const } : k === 1 ? { ...r, source: { ...r.source, node: `a<b>&"c"` } } : r));
    const d: ResultsDocument = { ...doc, results: ResultSet.fromRecords(results), skipped: [{ cluster: "kind-netdoctor", node: "node-a5", reason: "Pending: <ImagePullBackOff>" }],
      summary: { ...doc.summary, errors: 1, succeeded: doc.summary.succeeded - 1, skippedNodes: 1 } };
    const xml = collect((sink) => writeJUnit(d, sink));
    validate(xml);
    expect(xpath(xml, "string(//error[@type='exec-failed']/@message)")).toBe(`</testcase><x a="1">&amp; 'q' </script>`);
    expect(xpath(xml, "count(//testcase[starts-with(@name, 'a<b>&\"c\"')])")).toBe("1");
    expect(xpath(xml, "string(//testsuite[@name='floaters']/testcase/error/@message)")).toBe("floater never became ready: Pending: <ImagePullBackOff>");
    expect(xpath(xml, "string(/testsuites/@errors)")).toBe("2");
    expect(xpath(xml, "string(/testsuites/@tests)")).toBe("25");
  });
  test("xmlEscape: the five entities, and no character XML cannot carry", () => {
    expect(xmlEscape(`<a href="x">&'\u0000\u0007\t\n`)).toBe("&lt;a href=&quot;x&quot;&gt;&amp;&apos;\t\n");
  });
});
