// Micro-benchmark: the plugin's cost per pair of reading one source's probe output (parse) and
// turning it into verdicts (classify), for a healthy source of N probes (the recorded success
// lines of the image's busybox, test/fixtures/busybox-1.37.0), in CPU time. Also runProbes as a
// whole for that one source (script, probes, parse, classify, order), with the exec replaced.
//   bun scripts/bench-probe-parse.ts [--probes 5000] [--pairs 20000000] [--tree DIR]
// --tree: another checkout's root (its src/ and test/fixtures/), to measure it the same way
// (e.g. `git archive main src test/fixtures | tar -x -C /tmp/before`).
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Probe, Verdict } from "../src/probe/types.ts";

const { values } = parseArgs({ options: { probes: { type: "string", default: "5000" }, pairs: { type: "string", default: "20000000" }, tree: { type: "string" } } });
const tree = resolve(values.tree ?? join(import.meta.dir, ".."));
const n = Number(values.probes);
const { parseOutput } = await import(join(tree, "src/probe/parse.ts"));
const { classify } = await import(join(tree, "src/probe/classify.ts"));
const { lanesOf } = await import(join(tree, "src/probe/script.ts"));
const { runProbes } = await import(join(tree, "src/probe/run.ts"));
const outcomes = JSON.parse(readFileSync(join(tree, "test/fixtures/busybox-1.37.0/probes.json"), "utf8")).outcomes;
const answer = { icmp: outcomes["ping success"].line.replace(/^@@ \d+ /, ""), tcp: outcomes["tcp success"].line.replace(/^@@ \d+ /, "") } as Record<string, string>;

/** Either API: a Map by id (before) or an array indexed by id. */
const lookup = (raw: unknown, id: number) => (raw instanceof Map ? raw.get(id) : (raw as unknown[])[id]);

function source(protocols: ("icmp" | "tcp")[]) {
  // As planProbes makes them: targets in turn from the one after the source, ids in node order.
  const probes: Probe[] = [];
  const start = Math.floor(n / protocols.length / 2);
  for (let k = 0; k < n; k++) {
    const node = (start + Math.floor(k / protocols.length)) % (n / protocols.length);
    const protocol = protocols[k % protocols.length]!;
    probes.push({
      id: node * protocols.length + (k % protocols.length) + 1, protocol, family: "ipv4",
      source: { cluster: "b", node: "node-0", ip: "10.128.0.0" },
      target: { cluster: "b", node: `node-${node + 1}`, ip: `10.129.${node >> 8}.${node & 255}`, port: protocol === "tcp" ? 8889 : undefined },
    });
  }
  // Lines in the order the lanes finish them: round robin over the lanes.
  const lanes: Probe[][] = lanesOf(probes, 32);
  let stdout = "";
  for (let j = 0; lanes.some((l) => j < l.length); j++) for (const l of lanes) if (j < l.length) stdout += `@@ ${l[j]!.id} ${answer[l[j]!.protocol]}\n`;
  return { probes, stdout };
}

const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) * 1000; // ns
};

function measure(label: string, protocols: ("icmp" | "tcp")[]): void {
  const { probes, stdout } = source(protocols);
  const rounds = Math.max(1, Math.round(Number(values.pairs) / n));
  let sink = 0;
  const once = (doParse: boolean, doClassify: boolean, raw: unknown) => {
    const r = doParse ? parseOutput(stdout) : raw;
    if (!doClassify) return r;
    const verdicts: Verdict[] = [];
    for (const p of probes) verdicts.push(classify(p, lookup(r, p.id), 3));
    for (const v of verdicts) if (v.status !== "Succeeded" || v.reasonCode !== "ok") throw new Error(`not a healthy verdict: ${JSON.stringify(v)}`);
    sink += verdicts.length;
    return r;
  };
  const parsed = once(true, true, undefined);
  for (let k = 0; k < Math.min(rounds, 200); k++) once(true, true, undefined); // warm up
  const time = (doParse: boolean, doClassify: boolean) => {
    const t0 = cpu();
    for (let k = 0; k < rounds; k++) once(doParse, doClassify, parsed);
    return (cpu() - t0) / (rounds * n);
  };
  const parse = time(true, false);
  const classifyOnly = time(false, true);
  const both = time(true, true);
  console.log(`${label}: ${(stdout.length / n).toFixed(0)} bytes/line | parse ${parse.toFixed(0)} ns/pair | classify ${classifyOnly.toFixed(0)} ns/pair | parse+classify ${both.toFixed(0)} ns/pair = ${(1e9 / both / 1e6).toFixed(2)} M pairs/CPU-s`);
  if (sink === 0) throw new Error("nothing measured");
}

async function measureRun(label: string, protocols: ("icmp" | "tcp")[]): Promise<void> {
  const { probes, stdout } = source(protocols);
  const plan = { source: { cluster: "b", node: "node-0", pod: "f-0", namespace: "nd", network: "pod", ips: ["10.128.0.0"], hostIps: [] }, count: n, probes: () => probes.map((p) => ({ ...p })) };
  const exec = async () => ({ exitCode: 0, stdout, stderr: "" });
  const opts = { concurrency: 1, strategy: "fanout", script: { timeout: 3, pingCount: 1, lanes: 32 }, retries: 0 };
  const rounds = Math.max(1, Math.round(Number(values.pairs) / n / 4));
  let got = 0;
  for (let k = 0; k < Math.min(rounds, 100); k++) await runProbes([plan], exec, opts, (v: Verdict[]) => (got += v.length));
  const t0 = cpu();
  for (let k = 0; k < rounds; k++) await runProbes([plan], exec, opts, (v: Verdict[]) => (got += v.length));
  const per = (cpu() - t0) / (rounds * n);
  console.log(`${label}: runProbes, one source (script, probes, parse, classify, order) ${per.toFixed(0)} ns/pair = ${(1e9 / per / 1e6).toFixed(2)} M pairs/CPU-s`);
  if (got === 0) throw new Error("nothing measured");
}

console.log(`${tree}: ${n} probes from one source, Bun ${Bun.version}`);
measure("icmp      ", ["icmp"]);
measure("icmp+tcp  ", ["icmp", "tcp"]);
await measureRun("icmp      ", ["icmp"]);
await measureRun("icmp+tcp  ", ["icmp", "tcp"]);
