// The report on stdout in the chosen format. Pure.
import { dump } from "js-yaml";
import type { Output } from "../config/settings.ts";
import type { ResultsDocument } from "../results/document.ts";
import { renderSummary, renderTable } from "./table.ts";

export function renderReport(doc: ResultsDocument, output: Output, o: { columns: number; color: boolean }): string {
  switch (output) {
    case "json":
      return `${JSON.stringify(doc, null, 2)}\n`;
    case "yaml":
      return dump(doc, { noRefs: true, lineWidth: -1 });
    case "table":
    case "wide":
      return renderSummary(doc) + renderTable(doc.results, { wide: output === "wide", columns: o.columns, color: o.color }, !!doc.clusters.destination);
  }
}
