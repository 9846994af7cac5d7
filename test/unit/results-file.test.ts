import { describe, expect, test } from "bun:test";
import { ResultSet } from "../../src/results/set.ts";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { defaultSettings } from "../../src/config/settings.ts";
import type { ResultsDocument } from "../../src/results/document.ts";
import { loadPrevious, loadResults, saveResults } from "../../src/results/store.ts";
import { validateResults } from "../../src/results/validate.ts";
import { usageErrorOf } from "../helpers/usage.ts";
import { collect } from "../helpers/docs.ts";
import { writeJson } from "../../src/results/write.ts";
import { analyzed } from "../../src/engine/document.ts";

const expectUsageError = (fn: () => unknown, part: string) => expect(usageErrorOf(fn)).toContain(part);

const dir = mkdtempSync(join(tmpdir(), "nd-results-"));
const good = (): ResultsDocument => ({
  apiVersion: "netdoctor.io/v1", kind: "CheckResults", partial: false, startedAt: "t0", finishedAt: "t1",
  clusters: { source: { context: "c", server: "https://s" } }, run: { id: "r1", namespace: "netdoctor", kept: false }, settings: defaultSettings(), findings: [],
  summary: { nodesTotal: 2, nodesChecked: 2, pairs: 1, succeeded: 0, failed: 1, errors: 0, skippedNodes: 0, execs: 2, retries: 0, durationMs: 9 },
  skipped: [],
  results: ResultSet.fromRecords([{ source: { cluster: "c", node: "a", ip: "10.0.0.1" }, target: { cluster: "c", node: "b", ip: "10.0.0.2", port: 8889 }, protocol: "tcp", family: "ipv4", status: "Failed", reason: "timeout" }]),
});
/** The document as -o json writes it (every pair a record, netdoctor.io/v1): a file to tamper with. */
const goodJson = () => JSON.parse(collect((sink) => writeJson(good(), sink)));
const write = (name: string, content: unknown) => {
  const f = join(dir, name);
  writeFileSync(f, typeof content === "string" ? content : JSON.stringify(content));
  return f;
};

describe("results files are user input", () => {
  test("a saved document loads back equal", () => {
    const f = join(dir, "round.json");
    saveResults(f, good());
    const loaded = loadResults(f);
    const { findings: _, ...stored } = good();
    // A cluster is named by its context in files from before it had a name of its own.
    expect({ ...loaded, results: [...loaded.results] }).toEqual({ ...stored, clusters: { source: { ...stored.clusters.source, name: "c" } }, results: [...good().results] });
    // Loading does not analyse: findings are asked for.
    expect("findings" in loaded).toBe(false);
    expect(analyzed(loaded).findings.map((x) => x.kind)).toEqual(["link"]);
  });
  test("a missing field names the file and the field", () => {
    const d = goodJson();
    delete d.results[0].status;
    const f = write("nostatus.json", d);
    expectUsageError(() => loadResults(f), `results file ${f}: results[0].status is missing`);
    const e = goodJson();
    delete e.clusters;
    expectUsageError(() => loadResults(write("noclusters.json", e)), "clusters is missing");
    const g = goodJson();
    g.results[0].source = "a";
    expectUsageError(() => loadResults(write("badsource.json", g)), "results[0].source is not an object");
    const h = goodJson();
    h.results[0].protocol = "udp";
    expectUsageError(() => loadResults(write("badproto.json", h)), 'results[0].protocol is "udp", not one of icmp, tcp, dns');
  });
  test("saved settings are checked as settings, and filled from defaults", () => {
    const d = goodJson();
    d.settings = { port: "x" };
    expectUsageError(() => loadResults(write("badport.json", d)), "field settings.port");
    d.settings = { nonsense: 1 };
    expectUsageError(() => loadResults(write("unknownsetting.json", d)), "settings.nonsense is not a netdoctor setting");
    d.settings = { port: 9000 };
    expect(loadResults(write("partialsettings.json", d)).settings).toEqual({ ...defaultSettings(), port: 9000 });
  });
  test("truncated, empty, foreign", () => {
    const text = JSON.stringify(goodJson(), null, 2);
    expectUsageError(() => loadResults(write("trunc.json", text.slice(0, text.length / 2))), "is not valid JSON, perhaps truncated");
    expectUsageError(() => loadResults(write("empty.json", "")), "is empty");
    expectUsageError(() => loadResults(write("foreign.json", { apiVersion: "v1", kind: "Pod" })), "is not a netdoctor CheckResults file");
    expectUsageError(() => loadResults(write("list.json", [{ a: 1 }])), "is a list but not netctl's resume.json");
    expectUsageError(() => loadResults(join(dir, "absent.json")), "no results file at");
  });
  test("an older file without optional fields still loads", () => {
    const d = goodJson();
    delete d.run;
    delete d.skipped;
    delete d.partial;
    const doc = validateResults(d, "old.json");
    expect(doc.skipped).toEqual([]);
    expect(doc.run).toEqual({ id: "", namespace: "", kept: false });
  });
  test("netctl's resume.json is read as netctl's, another cluster's file is refused", () => {
    const here = { context: "c", server: "https://s", settings: defaultSettings() };
    const netctl = write("resume.json", [{ Status: 2, ResultStr: "timeout", srcNodeName: "a", dstNodeName: "b", targetIP: "10.0.0.2" }]);
    const p = loadPrevious(netctl, here);
    expect(p.writtenBy).toBe("netctl");
    expect([...p.doc.results].map((r) => r.protocol)).toEqual(["icmp", "tcp"]);
    expect(loadPrevious(write("ours.json", goodJson()), here).writtenBy).toBe("netdoctor");
    // A cluster is its server: another context name for it is the same cluster, another server is not.
    expect(loadPrevious(write("renamed.json", goodJson()), { ...here, context: "prod" }).writtenBy).toBe("netdoctor");
    expectUsageError(() => loadPrevious(write("other.json", goodJson()), { ...here, server: "https://other:6443" }), "is for context 'c' (https://s), not 'c' (https://other:6443)");
  });
  test("the saved file is complete JSON and no temporary file is left", () => {
    const f = join(dir, "sync.json");
    saveResults(f, good());
    const saved = JSON.parse(readFileSync(f, "utf8"));
    // The one failure has no reason code (a file from before them): it stays a record.
    expect(saved.results).toHaveLength(1);
    expect(saved.mesh.outcomes).toEqual([]);
    expect(readdirSync(dir).filter((n) => n.endsWith(".tmp"))).toEqual([]);
  });
});
