// kubectl netdoctor report [FILE]: saved results rendered again (table, wide, json, yaml, html,
// junit), or two runs compared (--compare OLD [NEW]), without any cluster: the kubeconfig is read
// only to find the default file, no API server is asked anything.
import { ExitCode, UsageError } from "../../errors.ts";
import type { ReportFormat } from "../../config/settings.ts";
import { comparisonData, renderComparison, renderComparisonAs, type RunRef } from "../../report/changes.ts";
import { writeOutputFile, writeReport, writeReportFile } from "../../report/render.ts";
import { compareRuns } from "../../results/compare.ts";
import { problemsFound } from "../../results/document.ts";
import { analyzed } from "../../engine/document.ts";
import { lastResultsFile, loadAnyResults } from "../../results/store.ts";
import { useColor, type Io } from "../../runtime/io.ts";
import type { Args } from "../index.ts";
import { loadSettings, resolveTargets } from "../prepare.ts";
import { REPORT_SETTINGS } from "../flags.ts";

export default async function report(args: Args, io: Io): Promise<ExitCode> {
  const settings = loadSettings(args, io, REPORT_SETTINGS);
  const format = (args.output as ReportFormat | undefined) ?? settings.output;
  const out = typeof args.out === "string" && args.out !== "" ? args.out : undefined;
  // The kubeconfig is read only when no file is named: a report of a copied file needs none.
  const targets = typeof args.file === "string" || settings.results ? undefined : resolveTargets(args, settings, io);
  const file = typeof args.file === "string" ? args.file : lastResultsFile(settings.results, targets!, io.cwd);
  const load = (path: string): RunRef => {
    const { doc, writtenBy } = loadAnyResults(path, { context: targets?.source.contextName ?? "netctl", server: targets?.source.server ?? "", settings });
    if (writtenBy === "netctl") io.err(`${path} is netctl's resume.json: only its failing rows are known, as ${settings.protocols.filter((p) => p !== "dns").join(" and ")} pairs\n`);
    return { file: path, doc: analyzed(doc) };
  };

  if (typeof args.compare === "string") {
    if (format === "html" || format === "junit") throw new UsageError(`report --compare prints table, wide, json or yaml, not ${format}`);
    const [older, newer] = [load(args.compare), load(file)];
    const [was, now] = [older.doc.clusters.source.context, newer.doc.clusters.source.context];
    if (was !== now) io.err(`warning: comparing context '${was}' with '${now}': pairs are matched by context and node names\n`);
    const comparison = compareRuns(older.doc, newer.doc);
    const text = format === "json" || format === "yaml" ? renderComparisonAs(format, comparisonData(older, newer, comparison)) : renderComparison(older, newer, comparison);
    if (out) writeOutputFile(out, (sink) => sink.write(text));
    else io.out(text);
    return comparison.newlyFailing.length ? ExitCode.ProblemsFound : ExitCode.Ok;
  }

  const { doc } = load(file);
  if (out) {
    writeReportFile(doc, format, out);
    io.err(`report written to ${out}\n`);
  } else {
    writeReport(doc, format, { write: io.out }, { columns: io.columns, color: useColor(io) });
  }
  return problemsFound(doc) ? ExitCode.ProblemsFound : ExitCode.Ok;
}
