// What changed between runs, in words: after a resume (the re-checked pairs) and for
// `report --compare` (two whole runs; -o json|yaml gives the same as data). Pure.
import { dump } from "js-yaml";
import type { PairChange, RunComparison } from "../results/compare.ts";
import type { RecheckOutcome } from "../results/resume.ts";
import type { ResultsDocument } from "../results/document.ts";

/** At most this many pairs are named per kind; the results file has them all. */
const LISTED = 20;

function listed(label: string, items: string[]): string[] {
  const lines = items.slice(0, LISTED).map((item) => `  ${label}: ${item}`);
  if (items.length > LISTED) lines.push(`  ... and ${items.length - LISTED} more ${label}`);
  return lines;
}

export function renderRecheck(o: RecheckOutcome): string {
  const lines = [`re-checked ${o.pairs} pairs: ${o.fixed.length} fixed, ${o.stillFailing.length} still failing, ${o.newlyFailing.length} newly failing` +
    (o.notRechecked.length ? `, ${o.notRechecked.length} not re-checked` : "")];
  if (o.missingNodes.length) lines.push(`  not in the cluster any more: ${o.missingNodes.join(", ")}`);
  for (const [label, keys] of [["fixed", o.fixed], ["still failing", o.stillFailing], ["newly failing", o.newlyFailing], ["not re-checked", o.notRechecked]] as const) {
    lines.push(...listed(label, keys));
  }
  return `${lines.join("\n")}\n`;
}

/** A run as the comparison names it. */
export interface RunRef {
  file: string;
  doc: ResultsDocument;
}

const verdictOf = (r: PairChange["after"]) => `${r.status}${r.reason ? ` (${r.reason})` : ""}`;

function changeText(c: PairChange): string {
  return c.before ? `${c.pair}: ${verdictOf(c.after)}, was ${verdictOf(c.before)}` : `${c.pair}: ${verdictOf(c.after)}, not in the old run`;
}

function runLine(label: string, run: RunRef): string {
  const s = run.doc.summary;
  return `${label} ${run.file} (${run.doc.finishedAt || "time unknown"}): ${s.pairs} pairs, ${s.failed} failed, ${s.errors} could not be tested`;
}

export function renderComparison(older: RunRef, newer: RunRef, c: RunComparison): string {
  const lines = [
    runLine("old:", older),
    runLine("new:", newer),
    `${c.fixed.length} fixed, ${c.newlyFailing.length} newly failing, ${c.stillFailing.length} still failing; ${c.nodesAdded.length} nodes added, ${c.nodesGone.length} gone` +
      (c.pairsGone ? `; ${c.pairsGone} pairs of the old run are not in the new one` : ""),
    ...listed("newly failing", c.newlyFailing.map(changeText)),
    ...listed("still failing", c.stillFailing.map(changeText)),
    ...listed("fixed", c.fixed.map((x) => x.pair)),
    ...listed("node added", c.nodesAdded),
    ...listed("node gone", c.nodesGone),
  ];
  return `${lines.join("\n")}\n`;
}

/** -o json|yaml: every change, with both verdicts. */
export function comparisonData(older: RunRef, newer: RunRef, c: RunComparison): unknown {
  const run = (r: RunRef) => ({ file: r.file, context: r.doc.clusters.source.context, finishedAt: r.doc.finishedAt, summary: r.doc.summary });
  const verdict = (r: PairChange["after"] | undefined) => r && { status: r.status, reason: r.reason, ...(r.reasonCode ? { reasonCode: r.reasonCode } : {}) };
  const changes = (cs: PairChange[]) => cs.map((x) => ({ pair: x.pair, now: verdict(x.after), ...(x.before ? { was: verdict(x.before) } : {}) }));
  return {
    old: run(older), new: run(newer),
    fixed: changes(c.fixed), newlyFailing: changes(c.newlyFailing), stillFailing: changes(c.stillFailing),
    nodesAdded: c.nodesAdded, nodesGone: c.nodesGone, pairsGone: c.pairsGone,
  };
}

export function renderComparisonAs(output: "json" | "yaml", data: unknown): string {
  return output === "json" ? `${JSON.stringify(data, null, 2)}\n` : dump(data, { noRefs: true, lineWidth: -1 });
}
