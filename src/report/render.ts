// The report in the chosen format, on stdout or into a file, written in pieces (a 500-node -o json
// is large). Every view is made from a results document: a run's, or a saved one (`report`).
import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import type { ReportFormat } from "../config/settings.ts";
import { UsageError } from "../errors.ts";
import type { ResultsDocument } from "../results/document.ts";
import { writeFileAtomically, writeJson, writeYaml, type Sink } from "../results/write.ts";
import { renderFindings } from "./findings.ts";
import { writeHtml } from "./html.ts";
import { writeJUnit } from "./junit.ts";
import { renderSummary, renderTable } from "./table.ts";

export function writeReport(doc: ResultsDocument, format: ReportFormat, sink: Sink, o: { columns: number; color: boolean }): void {
  switch (format) {
    case "json":
      return writeJson(doc, sink);
    case "yaml":
      return writeYaml(doc, sink);
    case "html":
      return writeHtml(doc, sink);
    case "junit":
      return writeJUnit(doc, sink);
    case "table":
    case "wide":
      return sink.write(renderFindings(doc.findings, o.color) + renderSummary(doc) + renderTable(doc.results, { wide: format === "wide", columns: o.columns, color: o.color }, !!doc.clusters.destination));
  }
}

/** A report file, written atomically; a failure is the user's path, said in one line. */
export function writeOutputFile(path: string, write: (sink: Sink) => void): void {
  assertWritable(path);
  try {
    writeFileAtomically(path, write);
  } catch (err) {
    throw new UsageError(`cannot write ${path}: ${(err as Error).message}`);
  }
}

export function writeReportFile(doc: ResultsDocument, format: ReportFormat, path: string): void {
  writeOutputFile(path, (sink) => writeReport(doc, format, sink, { columns: 120, color: false }));
}

/** Said before a long run rather than after it: the directory must exist, the path not be one. */
export function assertWritable(path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UsageError(`cannot write ${path}: directory ${dir} does not exist`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UsageError(`cannot write ${path}: it is a directory`);
}
