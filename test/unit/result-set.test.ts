import { describe, expect, test } from "bun:test";
import { gzipSync } from "node:zlib";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { median } from "../../src/analysis/findings.ts";
import type { ResultRecord } from "../../src/results/document.ts";
import { ResultSet } from "../../src/results/set.ts";
import { loadResults, saveResults } from "../../src/results/store.ts";
import { analyzed } from "../../src/engine/document.ts";
import { collect, mesh } from "../helpers/docs.ts";
import { writeJson } from "../../src/results/write.ts";
import { usageErrorOf } from "../helpers/usage.ts";

const dir = mkdtempSync(join(tmpdir(), "nd-set-"));
const ok = (s: string, t: string, protocol: ResultRecord["protocol"], o: Partial<ResultRecord> = {}): ResultRecord => ({
  source: { cluster: "c", node: s, ip: `10.0.0.${s.slice(1)}` },
  target: { cluster: "c", node: t, ip: `10.0.0.${t.slice(1)}`, ...(protocol === "tcp" || protocol === "nodeport" ? { port: 8889 } : {}) },
  protocol, family: "ipv4", status: "Succeeded", reason: "", reasonCode: "ok", ...(protocol === "icmp" ? { rttMs: 0.25, lossPct: 0 } : {}), ...o,
});

describe("the result set", () => {
  test("whether some source reached a target, on a protocol and family: held or kept", () => {
    const set = ResultSet.fromRecords([
      ok("n1", "n2", "icmp"), ok("n3", "n2", "tcp", { status: "Failed", reason: "timeout", reasonCode: "timeout" }),
      ok("n1", "n3", "icmp", { rttMs: 3, lossPct: 25, reasonCode: "loss", reason: "packet loss 25%" }),
    ]);
    const to = (t: string, protocol: ResultRecord["protocol"]) => ok("n9", t, protocol);
    expect(set.answeredTo(to("n2", "icmp"))).toBe(true);
    expect(set.answeredTo(to("n2", "tcp"))).toBe(false);
    expect(set.answeredTo(to("n3", "icmp"))).toBe(true);
    expect(set.answeredTo(to("n1", "icmp"))).toBe(false);
    expect(set.answeredTo({ ...to("n2", "icmp"), family: "ipv6" })).toBe(false);
  });
  test("plain successes are held in matrices, the rest as records; iterated, every pair comes back in report order", () => {
    const records = [
      ok("n2", "n1", "tcp"), ok("n1", "n2", "icmp"), ok("n1", "n10", "icmp", { rttMs: 0.125 }),
      ok("n1", "n2", "tcp", { status: "Failed", reason: "timeout", reasonCode: "timeout" }),
      ok("n1", "n2", "icmp", { family: "ipv6", source: { cluster: "c", node: "n1", ip: "fd00::1" }, target: { cluster: "c", node: "n2", ip: "fd00::2" } }),
      ok("n10", "n1", "icmp", { rttMs: 3, lossPct: 25, reasonCode: "loss", reason: "packet loss 25%" }),
      ok("n1", "", "dns", { target: { cluster: "", node: "", ip: "", name: "kubernetes.default" } }),
      ok("n2", "n1", "mtu"), ok("n2", "n1", "nodeport"),
    ];
    const set = ResultSet.fromRecords(records);
    expect(set.size).toBe(records.length);
    // Held: every plain success of a node-to-node layer, and the failure as a cell naming its
    // outcome; records: the loss, the DNS probe.
    expect(set.records().map((r) => `${r.source.node}>${r.target.node || r.target.name} ${r.protocol}`)).toEqual(["n1>kubernetes.default dns", "n10>n1 icmp"]);
    expect(set.outcomes).toEqual([{ status: "Failed", reasonCode: "timeout", reason: "timeout" }]);
    expect([...set.failing()].map((r) => `${r.source.node}>${r.target.node} ${r.protocol} ${r.reason}`)).toEqual(["n1>n2 tcp timeout"]);
    const order = [...set].map((r) => `${r.source.node}>${r.target.node || r.target.name} ${r.protocol}/${r.family}`);
    expect(order).toEqual([
      "n1>kubernetes.default dns/ipv4", "n1>n2 icmp/ipv4", "n1>n2 icmp/ipv6", "n1>n2 tcp/ipv4", "n1>n10 icmp/ipv4",
      "n2>n1 mtu/ipv4", "n2>n1 nodeport/ipv4", "n2>n1 tcp/ipv4", "n10>n1 icmp/ipv4",
    ]);
    // A held pair comes back as it went in.
    const key = (r: ResultRecord) => JSON.stringify(r);
    expect(new Set([...set].map(key))).toEqual(new Set(records.map(key)));
    expect(set.counts()).toMatchObject({ pairs: 9, succeeded: 8, failed: 1, errors: 0 });
  });

  test("the failing pairs are the iteration's, in its order: cells and records alike, no success made to be dropped", () => {
    const records = [
      ok("n1", "n2", "tcp", { status: "Failed", reason: "timeout", reasonCode: "timeout" }),
      ok("n1", "n3", "icmp"),
      ok("n2", "n1", "icmp", { status: "Failed", reason: "from a file without reason codes" }),
      ok("n3", "", "dns", { target: { cluster: "", node: "", ip: "", name: "kubernetes.default" }, status: "Failed", reason: "nxdomain", reasonCode: "nxdomain" }),
      ok("n3", "n1", "tcp", { status: "Error", reason: "exec failed", reasonCode: "exec-failed" }),
    ];
    const set = ResultSet.fromRecords(records);
    expect(set.outcomes.length).toBe(2);
    expect([...set.failing()]).toEqual([...set].filter((r) => r.status !== "Succeeded"));
    expect([...set.failing()].length).toBe(set.failingCount);
    expect(set.failingCount).toBe(4);
  });

  test("an RTT two bytes cannot hold exactly keeps its pair a record: nothing is rounded", () => {
    const rtts = [0.001, 32.767, 32.8, 45.1, 45.123, 3276.5, 3276.6, 5000];
    const set = ResultSet.fromRecords(rtts.map((rttMs, k) => ok("n1", `n${k + 2}`, "icmp", { rttMs })));
    expect([...set].map((r) => r.rttMs)).toEqual(rtts);
    expect(set.records().map((r) => r.rttMs)).toEqual([45.123, 3276.6, 5000]);
  });

  test("a source's Services in plan order, whatever their ClusterIPs", () => {
    const svc = (name: string, ip: string) => ok("n1", "", "svc", { target: { cluster: "", node: "", ip, port: 8889, name } });
    const set = ResultSet.fromRecords([svc("service-local", "10.96.0.5"), svc("service", "10.96.0.200")]);
    expect([...set].map((r) => r.target.name)).toEqual(["service", "service-local"]);
  });

  test("the same pair twice, or a second address of a node: a record, never lost", () => {
    const set = ResultSet.fromRecords([ok("n1", "n2", "icmp"), ok("n1", "n2", "icmp"), ok("n3", "n2", "icmp", { target: { cluster: "c", node: "n2", ip: "10.9.9.9" } })]);
    expect(set.size).toBe(3);
    expect(set.records()).toHaveLength(2);
  });

  test("the results file: matrices in gzip+base64 chunks beside the records; loads back pair for pair", () => {
    const doc = mesh(40, (s, t, p) => (s === 3 && t === 7 && p === "tcp" ? { status: "Failed", reason: "connection refused", reasonCode: "refused" } : s === 5 && p === "icmp" ? { rttMs: 70 + t } : undefined));
    const file = join(dir, "mesh.json");
    saveResults(file, doc);
    const raw = JSON.parse(readFileSync(file, "utf8"));
    expect(raw.apiVersion).toBe("netdoctor.io/v3");
    // The failure is a cell of the tcp matrix naming its outcome; no pair is a record.
    expect(raw.results).toHaveLength(0);
    expect(raw.mesh.outcomes).toEqual([{ status: "Failed", reasonCode: "refused", reason: "connection refused" }]);
    expect(raw.mesh.layers.map((l: any) => !!l.failed)).toEqual([false, true]);
    expect(raw.mesh.layers.map((l: any) => `${l.protocol}/${l.family}`)).toEqual(["icmp/ipv4", "tcp/ipv4"]);
    // An RTT past 65.5 ms: four bytes each.
    expect(raw.mesh.layers[0].rttBytes).toBe(4);
    const loaded = analyzed(loadResults(file));
    expect([...loaded.results]).toEqual([...doc.results]);
    expect(loaded.summary).toEqual(doc.summary);
    expect(loaded.findings).toEqual(doc.findings);
    // -o json of it: every pair a record, as v1.
    expect(JSON.parse(collect((sink) => writeJson(loaded, sink))).results).toHaveLength(40 * 39 * 2);
  });

  test("a healthy 300-node mesh's file: a few bytes a pair", () => {
    const doc = mesh(300);
    const file = join(dir, "big.json");
    saveResults(file, doc);
    expect(statSync(file).size / doc.summary.pairs).toBeLessThan(2);
    expect(loadResults(file).summary.pairs).toBe(300 * 299 * 2);
  });

  test("a damaged matrix is named, with the file", () => {
    const file = join(dir, "damaged.json");
    saveResults(file, mesh(5));
    const raw = JSON.parse(readFileSync(file, "utf8"));
    const damage = (change: (m: any) => void, name: string) => {
      const copy = structuredClone(raw);
      change(copy.mesh);
      const f = join(dir, name);
      writeFileSync(f, JSON.stringify(copy));
      return usageErrorOf(() => loadResults(f));
    };
    expect(damage((m) => (m.layers[0].succeeded[0] = "not base64 gzip"), "a.json")).toContain(`results file ${join(dir, "a.json")}: mesh.layers[0].succeeded[0] is not gzip+base64 data`);
    expect(damage((m) => (m.layers[1].succeeded[0] = gzipSync(new Uint8Array(3)).toString("base64")), "b.json")).toContain("mesh.layers[1].succeeded[0] holds 3 bytes, not 25");
    expect(damage((m) => m.nodes.pop(), "c.json")).toContain("mesh.sources.ipv4 is not a list of 4 strings");
    expect(damage((m) => (m.layers[0].protocol = "udp"), "d.json")).toContain("mesh.layers[0] has no known protocol and family");
    expect(damage((m) => delete m.encoding, "e.json")).toContain('mesh.encoding is undefined, not "gzip+base64"');
  });

  test("the median by selection is the sort's", () => {
    for (let n = 1; n < 60; n++) {
      const xs = Array.from({ length: n }, (_, k) => ((k * 7919) % 31) / 4);
      const sorted = [...xs].sort((a, b) => a - b);
      expect(median(xs)).toBe(n % 2 ? sorted[(n - 1) / 2]! : (sorted[n / 2 - 1]! + sorted[n / 2]!) / 2);
    }
  });
});
