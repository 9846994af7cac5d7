// The plugin's own cost at scale, without a cluster: synthetic floaters for N nodes, the same
// planning, scripting, parsing, classifying, aggregating (summary, findings) and saving as a real
// check, with the exec replaced by a replay of recorded probe output of real floaters (busybox
// 1.37.0, test/fixtures). --fail F: a fraction F of the pairs answered with recorded failures
// instead (replay-answers.ts). One size per process, so each peak RSS is its own:
//   bun scripts/replay.ts --nodes 1000 [--protocols icmp] [--fail 0.01] [--reports table,html,junit,json]
//   prints one JSON line; each report is written to a file after the results, its cost a phase.
import { readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { defaultSettings, type Protocol } from "../src/config/settings.ts";
import type { ExecFn } from "../src/kube/exec.ts";
import { planLegs } from "../src/probe/plan.ts";
import { runProbes } from "../src/probe/run.ts";
import { SilentTargets } from "../src/probe/silence.ts";
import { GarbagePacer } from "../src/runtime/memory.ts";
import type { Floater } from "../src/probe/types.ts";
import { analyzed, buildDocument } from "../src/engine/document.ts";
import type { RunCluster } from "../src/engine/clusters.ts";
import { ResultSet } from "../src/results/set.ts";
import { saveResults } from "../src/results/store.ts";
import { writeReportFile } from "../src/report/render.ts";
import type { ReportFormat } from "../src/config/settings.ts";
import { failureAnswer, FailureChooser, recordedFailures, type CallKind } from "./replay-answers.ts";

const { values } = parseArgs({ options: { nodes: { type: "string" }, protocols: { type: "string", default: "icmp" }, fail: { type: "string", default: "0" }, reports: { type: "string", default: "table" } } });
const nodes = Number(values.nodes);
const protocols = values.protocols!.split(",") as Protocol[];
const fail = Number(values.fail);
if (!(fail >= 0 && fail <= 1)) throw new Error(`--fail ${values.fail}: a fraction from 0 to 1`);
const failing = new FailureChooser(fail, recordedFailures());

// What a healthy floater answers, per protocol, recorded from the image's busybox.
const recorded = JSON.parse(readFileSync(join(import.meta.dir, "..", "test", "fixtures", "busybox-1.37.0", "probes.json"), "utf8")).outcomes;
const answer: Record<string, string> = {
  i: (recorded["ping success"].line as string).replace(/^@@ \d+ /, ""),
  t: (recorded["tcp success"].line as string).replace(/^@@ \d+ /, ""),
};

// A cluster's RTTs vary: each ping's answer carries its own (0.050-0.849 ms, as ping prints them),
// so the results file compresses as a real one does rather than as one repeated value.
const [before, after] = answer.i!.split(/\d+\.\d+\/\d+\.\d+\/\d+\.\d+/) as [string, string];
let seed = 12345;

// The exec boundary: the script's calls ("i 12 '10.0.0.5'", "t 13 '10.0.0.5' 8889", either with a
// wait " 1" after) answered as the floater would. Its own CPU time, failing answers' included, is
// measured and left out of the plugin's. Its output is made as a real exec's is, bytes decoded into
// one string: a string per line would be garbage collected on the plugin's time.
let replayMs = 0;
let out = Buffer.alloc(1 << 20);
let n = 0;
const put = (s: string) => {
  if (n + s.length * 3 > out.length) {
    const bigger = Buffer.alloc(out.length * 2);
    out.copy(bigger, 0, 0, n);
    out = bigger;
  }
  n += out.write(s, n, "latin1");
};
const putRtt = () => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  const us = 50 + (seed % 800);
  out[n++] = 48;
  out[n++] = 46;
  for (const d of [Math.floor(us / 100), Math.floor(us / 10) % 10, us % 10]) out[n++] = 48 + d;
};
/** The answer to the call whose arguments follow script[from] (the quoted address, a tcp call's
 * port, then the wait of a corroborated one), if its pair fails. */
const failedAnswer = (source: string, kind: CallKind, script: string, from: number): string | undefined => {
  const semi = script.indexOf(";", from);
  const paren = script.indexOf(")", from); // a lane's last call
  const [quoted, ...rest] = script.slice(from + 1, semi < 0 || paren < semi ? paren : semi).split(" ");
  const ip = quoted!.slice(1, -1);
  const failure = failing.pick(source, kind, ip);
  return failure && failureAnswer(failure, ip, kind === "t" ? rest[0]! : "", rest.length > (kind === "t" ? 1 : 0));
};
const exec: ExecFn = async (pod, command) => {
  const started = process.cpuUsage();
  const script = command[2]!;
  n = 0;
  // Calls are "(i 12 '10.0.0.5';" or ";t 13 '10.0.0.5' 8889": scanned, not matched.
  for (let at = script.indexOf("\n(") + 1; at > 0 && at < script.length; at++) {
    const c = script.charCodeAt(at);
    if (c !== 40 && c !== 59) continue; // "(" or ";"
    const kind = script[at + 1] as CallKind;
    if ((kind !== "i" && kind !== "t") || script[at + 2] !== " ") continue;
    const end = script.indexOf(" ", at + 3);
    put("@@ ");
    n += out.write(script.slice(at + 3, end), n, "latin1");
    put(" ");
    // Looked at only on a bad day: a healthy replay costs what it did.
    const failed = fail > 0 ? failedAnswer(pod.name, kind, script, end) : undefined;
    if (failed) put(failed);
    else if (kind === "t" || after === undefined) put(answer[kind]!);
    else {
      put(before);
      putRtt();
      put("/");
      putRtt();
      put("/");
      putRtt();
      put(after);
    }
    put("\n");
    at = end;
  }
  const stdout = out.toString("latin1", 0, n);
  const spent = process.cpuUsage(started);
  replayMs += (spent.user + spent.system) / 1000;
  return { exitCode: 0, stdout, stderr: "" };
};

const settings = { ...defaultSettings(), protocols, concurrency: 10 };
const floaters: Floater[] = Array.from({ length: nodes }, (_, k) => ({
  cluster: "replay", node: `node-${k + 1}`, pod: `floater-${k + 1}`, namespace: "netdoctor", network: "pod",
  ips: [`10.${128 + (k >> 16)}.${(k >> 8) & 255}.${k & 255}`], hostIps: [],
}));

let peakRss = 0;
const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
const cpuBefore = process.cpuUsage();
const started = performance.now();

const legs = planLegs(settings, "both", { cluster: "replay", floaters });
const results = new ResultSet(floaters);
const stats = await runProbes(legs[0]!.plans, exec, { concurrency: 10, strategy: "fanout", script: { timeout: 3, pingCount: 1, lanes: 32 }, retries: 0, silence: new SilentTargets((p) => results.answeredTo(p)), memory: new GarbagePacer() },
  (verdicts) => {
    for (const v of verdicts) results.add(v);
  });
const rss = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const cpuNow = () => {
  const c = process.cpuUsage(cpuBefore);
  return Math.round((c.user + c.system) / 1e3 - replayMs) / 1000;
};
// RSS and the plugin's CPU seconds after each phase: where the peak and the time come from.
const phases: Record<string, [number, number]> = { run: [rss(), cpuNow()] };
const cluster = { name: "replay", api: { target: { contextName: "replay", server: "https://replay", files: [join(tmpdir(), "kubeconfig")] } }, exec } as unknown as RunCluster;
const ended = { cluster, runId: "replay", nodesTotal: nodes, nodesSelected: floaters.map((f) => f.node), ready: floaters, notReady: [], late: [] };
const doc = analyzed(buildDocument({ settings, startedAt: new Date(), partial: false, floaters: [ended], results, stats }));
const file = join(tmpdir(), `netdoctor-replay-${nodes}${fail ? `-fail${fail}` : ""}.json`);
phases.document = [rss(), cpuNow()];
saveResults(file, doc);
phases.save = [rss(), cpuNow()];
// Each report as a user would ask for it (-o FORMAT --out FILE), after the other: its RSS and the
// plugin's CPU seconds after it, and its size.
const reportMB: Record<string, number> = {};
for (const format of values.reports!.split(",").filter(Boolean) as ReportFormat[]) {
  const path = join(tmpdir(), `netdoctor-replay-${nodes}${fail ? `-fail${fail}` : ""}.${format}`);
  writeReportFile(doc, format, path);
  phases[format] = [rss(), cpuNow()];
  reportMB[format] = statSync(path).size / 2 ** 20;
}

const wallS = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
clearInterval(sample);
// The kernel's high-water mark: the sampler above cannot look while the plugin computes.
peakRss = Math.max(peakRss, process.resourceUsage().maxRSS * 1024);
const cpuS = (cpu.user + cpu.system) / 1e6 - replayMs / 1000;
console.log(JSON.stringify({ nodes, pairs: doc.summary.pairs, notSucceeded: doc.summary.failed + doc.summary.errors, cpuS, wallS, pairsPerCpuS: doc.summary.pairs / cpuS, peakRssMB: peakRss / 2 ** 20, replayS: replayMs / 1000, fileMB: statSync(file).size / 2 ** 20, reportMB, rssMBAndCpuSAfter: phases }));
