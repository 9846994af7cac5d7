// How check and resume end, for the user: the results saved (or, when they cannot be, where they
// went instead), the report printed with whatever was probed, what the removal left named, and an
// exit code that says why the run ended.
import type { Settings } from "../config/settings.ts";
import { ExitCode, InterruptedError } from "../errors.ts";
import type { RunOutcome } from "../engine/run.ts";
import { writeReport, writeReportFile } from "../report/render.ts";
import { problemsFound, type ResultsDocument } from "../results/document.ts";
import { saveResults } from "../results/store.ts";
import { useColor, type Io } from "../runtime/io.ts";
import type { Interruptible } from "../runtime/signals.ts";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ReportFiles } from "./flags.ts";

export interface Shown {
  resultsFile: string;
  output: Settings["output"];
  files: ReportFiles;
  /** Printed after a table report (resume: what changed). */
  extra?: (doc: NonNullable<RunOutcome["document"]>) => string;
}

/** Save, report, name the leftovers; then the exit code, or the error that ended the run (main
 * prints it in one line with its code: 3 for the cluster, 4 for a bug). */
export function finishRun(ended: Interruptible<RunOutcome>, shown: Shown, io: Io): ExitCode {
  const { document, error, leftovers } = ended.value;
  if (document) {
    save(document, shown.resultsFile, io);
    writeReportFiles(document, shown.files, io);
    writeReport(document, shown.output, { write: io.out }, { columns: io.columns, color: useColor(io) });
    if (shown.extra && (shown.output === "table" || shown.output === "wide")) io.out(shown.extra(document));
  }
  for (const line of leftovers) io.err(`warning: ${line}\n`);
  if (error !== undefined) {
    if (document) io.err("the run ended early: the results above are what was probed until then\n");
    throw error;
  }
  if (ended.interruptedBy) throw new InterruptedError(ended.interruptedBy);
  return document && problemsFound(document) ? ExitCode.ProblemsFound : ExitCode.Ok;
}

/** The results where asked; should that fail now (the disk filled, a mount went read-only), in
 * the temporary directory, and said: a run is not lost for want of its file. */
function save(doc: ResultsDocument, file: string, io: Io): void {
  try {
    saveResults(file, doc);
    // Said before the report, so a large report on a shared pipe (2>&1) is never split by it.
    io.err(`results ${doc.partial ? "(partial) " : ""}saved to ${file}\n`);
  } catch (err) {
    const instead = join(tmpdir(), `netdoctor-${doc.run.id || "results"}.json`);
    try {
      saveResults(instead, doc);
      io.err(`warning: could not save the results to ${file} (${(err as Error).message}); saved to ${instead} instead\n`);
    } catch {
      io.err(`warning: could not save the results to ${file} (${(err as Error).message}), nor to ${instead}: the report below is all that is left\n`);
    }
  }
}

/** --html / --junit: the same results as files beside the normal output. */
export function writeReportFiles(doc: ResultsDocument, files: ReportFiles, io: Io): void {
  for (const format of ["html", "junit"] as const) {
    const path = files[format];
    if (!path) continue;
    writeReportFile(doc, format, path);
    io.err(`${format === "html" ? "HTML report" : "JUnit XML"} written to ${path}\n`);
  }
}
