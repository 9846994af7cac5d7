// Measures `check` on the test cluster's scale mode: per size, pairs, execs, wall time, pairs/s,
// the plugin's peak RSS and CPU time; and, where it finishes in reasonable time, the same check
// with --strategy pair at equal concurrency, and the ratio. Needs root (it runs the test cluster).
//   scripts/bench [--sizes 50,100,200,500] [--pair-sizes 20,50] [--concurrency 10] [--protocols icmp,tcp] [--sample K]
//   --sample K: after each size's full mesh, the same check with --sample K (K targets per source), on the same cluster.
//   --outage: after each size's full mesh, the same check with every node's listener down (a cluster-wide outage of
//   tcp): its wall time should be the probes', its CPU near the healthy run's, its findings one line.
//   scripts/bench --replay [--sizes 1000,2000,5000] [--protocols icmp] [--fail 0,0.01,1]   the plugin alone, no
//   cluster (replay.ts); --fail: each size with each fraction of the pairs failing (0: healthy)
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { adminApi, down, up } from "./cluster/harness.ts";
import { heal, injectFault } from "./cluster/faults.ts";

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "50,100,200,500" },
    "pair-sizes": { type: "string", default: "20,50" },
    concurrency: { type: "string", default: "10" },
    protocols: { type: "string", default: "icmp,tcp" },
    replay: { type: "boolean", default: false },
    sample: { type: "string", default: "0" },
    fail: { type: "string", default: "0" },
    outage: { type: "boolean", default: false },
  },
});
if (values.replay) {
  await replayTable(values.sizes!.split(",").map(Number), values.protocols!, values.fail!.split(","));
  process.exit(0);
}
const sizes = values.sizes!.split(",").map(Number);
const pairSizes = new Set(values["pair-sizes"]!.split(",").map(Number));
const binary = join(import.meta.dir, "..", "dist", "kubectl-netdoctor");
const dir = mkdtempSync(join(tmpdir(), "nd-bench-"));

interface Measure {
  pairs: number;
  execs: number;
  failed: number;
  wallS: number;
  rssMB: number;
  cpuS: number;
  /** Error findings of the run. */
  errors: number;
}

/** A run leaves its namespace to finish terminating; the next run would wait for it, which is
 * not the cost of that run. */
async function namespaceGone(): Promise<void> {
  while ((await adminApi("a").request("GET", "/api/v1/namespaces/netdoctor")).status !== 404) await Bun.sleep(250);
}

async function measure(kubeconfig: string, strategy: "fanout" | "pair", size: number, sample = 0): Promise<Measure> {
  await namespaceGone();
  const results = join(dir, `${strategy}-${size}${sample ? `-sample${sample}` : ""}.json`);
  const started = performance.now();
  const proc = Bun.spawn([binary, "check", "--kubeconfig", kubeconfig, "--no-progress", "--results", results, "-p", values.protocols!,
    "--concurrency", values.concurrency!, "--strategy", strategy, "--pod-wait-timeout", "600",
    ...(sample ? ["--sample", String(sample)] : [])], { stdout: "ignore", stderr: "pipe" });
  const code = await proc.exited;
  const wallS = (performance.now() - started) / 1000;
  if (code !== 0 && code !== 1) throw new Error(`check exited ${code}: ${await new Response(proc.stderr).text()}`);
  const usage = proc.resourceUsage()!;
  const { summary, findings } = JSON.parse(readFileSync(results, "utf8"));
  return {
    pairs: summary.pairs, execs: summary.execs, failed: summary.failed + summary.errors, wallS,
    errors: findings.filter((f: { severity: string }) => f.severity === "error").length,
    rssMB: usage.maxRSS / 1024 / 1024, cpuS: Number(usage.cpuTime.total) / 1e6,
  };
}

const rows: string[] = [];
const header = "| nodes | strategy | pairs | execs | failed | wall s | pairs/s | peak RSS MB | CPU s | fanout speed-up |";
console.log(header);
console.log("|---|---|---|---|---|---|---|---|---|---|");
try {
  for (const size of sizes) {
    const { kubeconfig } = await up({ clusters: 1, nodes: 0, scale: size });
    const fan = await measure(kubeconfig, "fanout", size);
    const line = (strategy: string, m: Measure, ratio = "") =>
      `| ${size} | ${strategy} | ${m.pairs} | ${m.execs} | ${m.failed} | ${m.wallS.toFixed(1)} | ${(m.pairs / m.wallS).toFixed(0)} | ${m.rssMB.toFixed(0)} | ${m.cpuS.toFixed(1)} | ${ratio} |`;
    rows.push(line("fanout", fan));
    console.log(rows.at(-1));
    const sample = Number(values.sample);
    if (sample > 0) {
      rows.push(line(`fanout, --sample ${sample}`, await measure(kubeconfig, "fanout", size, sample)));
      console.log(rows.at(-1));
    }
    if (values.outage) {
      for (let k = 1; k <= size; k++) await injectFault({ kind: "listener-down", node: `scale-${String(k).padStart(3, "0")}` });
      const outage = await measure(kubeconfig, "fanout", size);
      await heal();
      rows.push(line(`fanout, every listener down: ${outage.errors} error finding${outage.errors === 1 ? "" : "s"}`, outage, `CPU ${(outage.cpuS / fan.cpuS).toFixed(2)}x healthy`));
      console.log(rows.at(-1));
    }
    if (pairSizes.has(size)) {
      const pair = await measure(kubeconfig, "pair", size);
      rows.push(line("pair", pair, `${(pair.wallS / fan.wallS).toFixed(1)}x`));
      console.log(rows.at(-1));
    }
  }
} finally {
  await down({ quiet: true });
}

/** One replay per size and failing fraction, each in its own process (its peak RSS its own),
 * stopped past 4 GB RSS or 20 minutes: a size that cannot finish says so instead of taking the
 * machine down. */
async function replayTable(sizes: number[], protocols: string, fails: string[]): Promise<void> {
  // pairs/s: per CPU-second of the plugin (the replay's own time left out).
  console.log("| nodes | fail | pairs | not succeeded | pairs/s | CPU s | wall s | peak RSS MB | results file MB |");
  console.log("|---|---|---|---|---|---|---|---|---|");
  for (const nodes of sizes) for (const fail of fails) {
    const proc = Bun.spawn([process.execPath, join(import.meta.dir, "replay.ts"), "--nodes", String(nodes), "--protocols", protocols, "--fail", fail], { stdout: "pipe", stderr: "pipe" });
    let stopped = "";
    const started = Date.now();
    const watch = setInterval(() => {
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSyncSafe(`/proc/${proc.pid}/status`))?.[1] ?? 0) / 1024;
      if (rss > 4096) stopped = `stopped at ${rss.toFixed(0)} MB RSS`;
      else if (Date.now() - started > 20 * 60_000) stopped = "stopped after 20 min";
      if (stopped) proc.kill("SIGKILL");
    }, 500);
    const out = await new Response(proc.stdout).text();
    await proc.exited;
    clearInterval(watch);
    const r = out.trim() ? JSON.parse(out.trim().split("\n").at(-1)!) : undefined;
    console.log(r
      ? `| ${nodes} | ${fail} | ${r.pairs} | ${r.notSucceeded} | ${Math.round(r.pairsPerCpuS)} | ${r.cpuS.toFixed(1)} | ${r.wallS.toFixed(1)} | ${r.peakRssMB.toFixed(0)} | ${r.fileMB.toFixed(1)} |`
      : `| ${nodes} | ${fail} | ${nodes * (nodes - 1)} | | - | - | - | ${stopped || `failed: ${(await new Response(proc.stderr).text()).split("\n")[0]}`} | |`);
  }
}

function readFileSyncSafe(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}
