// Steps shared by check and resume: probe a plan with progress, and finish a run (save the
// results, print the report, pick the exit code).
import type { Settings } from "../config/settings.ts";
import { ExitCode } from "../errors.ts";
import type { KubeApi } from "../kube/client.ts";
import { createExec } from "../kube/exec.ts";
import { runProbes, type RunStats } from "../probe/run.ts";
import type { SourcePlan, Verdict } from "../probe/types.ts";
import type { Progress } from "../report/progress.ts";
import { renderReport } from "../report/render.ts";
import { problemsFound, type ResultsDocument } from "../results/document.ts";
import { saveResults } from "../results/store.ts";
import { useColor, type Io } from "./io.ts";
import type { Lifecycle } from "./lifecycle.ts";

export async function probeAll(plans: SourcePlan[], api: KubeApi, settings: Settings, life: Lifecycle, progress: Progress): Promise<{ verdicts: Verdict[]; stats: RunStats }> {
  const total = plans.reduce((n, p) => n + p.probes.length, 0);
  const how = settings.strategy === "fanout" ? "one exec per source" : "one exec per pair";
  progress.phase(`probing ${total} pairs from ${plans.length} floaters (${how}, ${settings.concurrency} at a time)`);
  const verdicts: Verdict[] = [];
  let failed = 0;
  const stats = await runProbes(plans, createExec(api.target), {
    concurrency: settings.concurrency,
    strategy: settings.strategy,
    script: { timeout: settings.timeout, pingCount: settings.pingCount, lanes: settings.probeConcurrency },
    retries: 2,
    signal: life.signal,
  }, (batch) => {
    verdicts.push(...batch);
    failed += batch.filter((v) => v.status !== "Succeeded").length;
    progress.probes(verdicts.length, total, failed);
  });
  progress.done(`probed ${verdicts.length} of ${total} pairs`);
  return { verdicts, stats };
}

/** Save, print, and say whether something is broken. `extra` is printed after the report. */
export function finishRun(doc: ResultsDocument, file: string, output: Settings["output"], io: Io, extra = ""): ExitCode {
  saveResults(file, doc);
  // Said before the report, so a large report on a shared pipe (2>&1) is never split by it.
  io.err(`results saved to ${file}\n`);
  io.out(renderReport(doc, output, { columns: io.columns, color: useColor(io) }) + (output === "json" || output === "yaml" ? "" : extra));
  return problemsFound(doc) ? ExitCode.ProblemsFound : ExitCode.Ok;
}
