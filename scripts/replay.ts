// The plugin's own cost at scale, without a cluster: synthetic floaters for N nodes, the same
// planning, scripting, parsing, classifying, aggregating (summary, findings) and saving as a real
// check, with the exec replaced by a replay of recorded probe output of real floaters (busybox
// 1.37.0, test/fixtures). One size per process, so each peak RSS is its own:
//   bun scripts/replay.ts --nodes 1000 [--protocols icmp]    prints one JSON line
import { readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { defaultSettings, type Protocol } from "../src/config/settings.ts";
import type { ExecFn } from "../src/kube/exec.ts";
import { planLegs } from "../src/probe/plan.ts";
import { runProbes } from "../src/probe/run.ts";
import type { Floater } from "../src/probe/types.ts";
import { buildDocument, recordOf, type ResultRecord } from "../src/results/document.ts";
import { saveResults } from "../src/results/store.ts";
import { writeReport } from "../src/report/render.ts";

const { values } = parseArgs({ options: { nodes: { type: "string" }, protocols: { type: "string", default: "icmp" } } });
const nodes = Number(values.nodes);
const protocols = values.protocols!.split(",") as Protocol[];

// What a healthy floater answers, per protocol, recorded from the image's busybox.
const recorded = JSON.parse(readFileSync(join(import.meta.dir, "..", "test", "fixtures", "busybox-1.37.0", "probes.json"), "utf8")).outcomes;
const answer: Record<string, string> = {
  i: (recorded["ping success"].line as string).replace(/^@@ \d+ /, ""),
  t: (recorded["tcp success"].line as string).replace(/^@@ \d+ /, ""),
};

// The exec boundary: the script's calls ("i 12 10.0.0.5", "t 13 10.0.0.5 8889") answered as the
// floater would. Its own time is measured and left out of the plugin's.
let replayMs = 0;
const exec: ExecFn = async (_pod, command) => {
  const started = performance.now();
  const script = command[2]!;
  let out = "";
  for (const m of script.matchAll(/[(;]([it]) (\d+) /g)) out += `@@ ${m[2]} ${answer[m[1]!]}\n`;
  replayMs += performance.now() - started;
  return { exitCode: 0, stdout: out, stderr: "" };
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

const legs = planLegs(settings, "both", { context: "replay", floaters });
const batches: ResultRecord[][] = [];
const stats = await runProbes(legs[0]!.plans, exec, { concurrency: 10, strategy: "fanout", script: { timeout: 3, pingCount: 1, lanes: 32 }, retries: 0 },
  (v) => batches.push(v.map(recordOf)));
const target = { contextName: "replay", server: "https://replay", files: [join(tmpdir(), "kubeconfig")] } as never;
const doc = buildDocument({ settings, startedAt: new Date(), partial: false, clusters: [target], floaters: [{ runId: "replay", nodesTotal: nodes, nodesSelected: floaters.map((f) => f.node), notReady: [] }], batches, stats });
saveResults(join(tmpdir(), `netdoctor-replay-${nodes}.json`), doc);
writeReport(doc, "table", { write: () => {} }, { columns: 120, color: false });

const wallS = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
clearInterval(sample);
peakRss = Math.max(peakRss, process.memoryUsage().rss);
const cpuS = (cpu.user + cpu.system) / 1e6 - replayMs / 1000;
console.log(JSON.stringify({ nodes, pairs: doc.summary.pairs, cpuS, wallS, pairsPerCpuS: doc.summary.pairs / cpuS, peakRssMB: peakRss / 2 ** 20, replayS: replayMs / 1000 }));
