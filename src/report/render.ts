// The report on stdout in the chosen format, written in pieces (a 500-node -o json is large).
import type { Output } from "../config/settings.ts";
import type { ResultsDocument } from "../results/document.ts";
import { writeJson, writeYaml, type Sink } from "../results/write.ts";
import { renderFindings } from "./findings.ts";
import { renderSummary, renderTable } from "./table.ts";

export function writeReport(doc: ResultsDocument, output: Output, sink: Sink, o: { columns: number; color: boolean }): void {
  switch (output) {
    case "json":
      return writeJson(doc, sink);
    case "yaml":
      return writeYaml(doc, sink);
    case "table":
    case "wide":
      return sink.write(renderFindings(doc.findings, o.color) + renderSummary(doc) + renderTable(doc.results, { wide: output === "wide", columns: o.columns, color: o.color }, !!doc.clusters.destination));
  }
}
