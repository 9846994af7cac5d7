// kubectl netdoctor check: floaters up, plan every pair, probe, report, save, exit 0/1.
import { ExitCode } from "../../errors.ts";
import { SETTING_KEYS } from "../../config/settings.ts";
import { bringUpFloaters } from "../../floater/session.ts";
import { createExec } from "../../kube/exec.ts";
import { networksOf, planProbes } from "../../probe/plan.ts";
import { runProbes } from "../../probe/run.ts";
import type { Verdict } from "../../probe/types.ts";
import { createProgress } from "../../report/progress.ts";
import { renderReport } from "../../report/render.ts";
import { problemsFound, recordOf, summarize, type ResultsDocument } from "../../results/document.ts";
import { defaultResultsPath, saveResults } from "../../results/store.ts";
import type { Args } from "../index.ts";
import { useColor, type Io } from "../io.ts";
import { Lifecycle } from "../lifecycle.ts";
import { prepare } from "../prepare.ts";

export default async function check(args: Args, io: Io): Promise<ExitCode> {
  const { settings, source } = await prepare(args, io, SETTING_KEYS);
  const resultsFile = settings.results || defaultResultsPath(source.target);
  const progress = createProgress(io, settings.progress);
  const startedAt = new Date();

  return new Lifecycle(io).run(async (life) => {
    const floaters = await bringUpFloaters(source, settings, life, progress);

    const { source: from, target: to } = networksOf(settings.mode);
    const plans = planProbes(settings, floaters.ready.filter((f) => f.network === from), floaters.ready.filter((f) => f.network === to));
    const total = plans.reduce((n, p) => n + p.probes.length, 0);

    progress.phase(`probing ${total} pairs from ${plans.length} floaters (${settings.strategy === "fanout" ? "one exec per source" : "one exec per pair"}, ${settings.concurrency} at a time)`);
    const verdicts: Verdict[] = [];
    let failed = 0;
    const stats = await runProbes(plans, createExec(source.target), {
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

    const results = verdicts.map(recordOf);
    const skippedNodes = new Set(floaters.notReady.map((s) => s.node)).size;
    const doc: ResultsDocument = {
      apiVersion: "netdoctor.io/v1",
      kind: "CheckResults",
      partial: life.interrupted,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      clusters: { source: { context: source.target.contextName, server: source.target.server } },
      settings,
      summary: summarize(results, {
        nodesTotal: floaters.nodesTotal,
        nodesChecked: floaters.nodesSelected.length - skippedNodes,
        skippedNodes,
        execs: stats.execs,
        retries: stats.retries,
        durationMs: Date.now() - startedAt.getTime(),
      }),
      skipped: floaters.notReady,
      results,
    };
    saveResults(resultsFile, doc);
    io.out(renderReport(doc, settings.output, { columns: io.columns, color: useColor(io) }));
    io.err(`results saved to ${resultsFile}\n`);
    return problemsFound(doc) ? ExitCode.ProblemsFound : ExitCode.Ok;
  });
}
