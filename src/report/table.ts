// The human report: a summary, the skipped nodes, and a table of the pairs that failed or could not
// be tested (-o wide: every pair, with RTT), sized to the terminal. Pure.
import { table, type TableUserConfig } from "table";
import type { ResultRecord, ResultsDocument } from "../results/document.ts";
import type { ResultSet } from "../results/set.ts";
import { nodeText, targetText } from "../names.ts";

export interface RenderOptions {
  wide: boolean;
  columns: number;
  color: boolean;
}

const paint = (on: boolean, code: number, s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

export function statusText(status: ResultRecord["status"], color: boolean): string {
  return status === "Succeeded" ? paint(color, 32, status) : status === "Failed" ? paint(color, 31, status) : paint(color, 33, status);
}


export function renderSummary(doc: ResultsDocument): string {
  const s = doc.summary;
  const lines = [
    `${doc.partial ? "PARTIAL (the run ended early): " : ""}checked ${s.nodesChecked} of ${s.nodesTotal} nodes: ${s.pairs} pairs, ${s.succeeded} succeeded, ${s.failed} failed, ${s.errors} could not be tested` +
      ` (${s.execs} execs${s.retries ? `, ${s.retries} retried` : ""}${s.confirmations ? `, ${s.confirmations} failure${s.confirmations === 1 ? "" : "s"} confirmed by a second try` : ""}, ${(s.durationMs / 1000).toFixed(1)}s)`,
  ];
  for (const d of s.directions ?? []) {
    lines.push(`  ${d.from} -> ${d.to}: ${d.pairs} pairs, ${d.succeeded} succeeded, ${d.failed} failed, ${d.errors} could not be tested`);
  }
  const where = (k: { cluster: string }) => (doc.clusters.destination ? ` (${k.cluster})` : "");
  for (const k of doc.skipped) lines.push(`skipped node ${k.node}${where(k)}: ${k.reason}`);
  for (const k of doc.late ?? []) lines.push(`late node ${k.node}${where(k)}: ready after ${(k.readyAfterMs / 1000).toFixed(1)}s, probed after the others began (when they began: ${k.reason})`);
  return `${lines.join("\n")}\n`;
}

/** -o wide: a terminal table past this many rows helps nobody and costs memory (the table package
 * builds the whole text): the rest is in the results file and -o json. */
export const MAX_TABLE_ROWS = 500;
/** The default view: a screenful of what failed, under the findings that say what it means. */
export const SCREEN_ROWS = 30;

export function renderTable(results: ResultSet, o: RenderOptions, showCluster: boolean): string {
  // Wide: the first rows of every pair, never all of them expanded.
  const [shown, total] = o.wide ? [firstOf(results, MAX_TABLE_ROWS), results.size] : [firstOf(results.failing(), SCREEN_ROWS), results.failingCount];
  if (total === 0) return "";
  const more = total - shown.length;
  const header = ["S/N", "SRC NODE NAME", "DST NODE NAME", "TARGET IP", "PROTOCOL", "RESULT", ...(o.wide ? ["RTT"] : []), "REASON"];
  const rows = shown.map((r, k) => [
    String(k + 1),
    nodeText(r.source, showCluster),
    r.target.node ? nodeText(r.target, showCluster) : "-",
    targetText(r),
    r.protocol + (r.family === "ipv6" ? "/v6" : ""),
    statusText(r.status, o.color),
    ...(o.wide ? [r.rttMs !== undefined ? `${r.rttMs.toFixed(2)}ms` : "-"] : []),
    r.reason || "-",
  ]);
  // The REASON column takes whatever width the terminal leaves, and wraps.
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => visibleLength(row[c]!))));
  const fixed = widths.slice(0, -1).reduce((a, w) => a + w + 3, 0) + 4;
  const reasonWidth = Math.max(20, Math.min(widths.at(-1)!, o.columns - fixed));
  const config: TableUserConfig = {
    columns: { [header.length - 1]: { width: reasonWidth, wrapWord: true } },
    drawHorizontalLine: (line, count) => line === 0 || line === 1 || line === count,
  };
  const text = table([header, ...rows], config);
  return more > 0 ? `${text}... and ${more} more ${o.wide ? "pairs: see the results file, or -o json" : `failed or untested pairs: -o wide shows ${MAX_TABLE_ROWS}, the results file and -o json every one`}\n` : text;
}

function firstOf<T>(items: Iterable<T>, max: number): T[] {
  const out: T[] = [];
  for (const item of items) {
    if (out.length >= max) break;
    out.push(item);
  }
  return out;
}

function visibleLength(s: string): number {
  return s.replace(/\u001b\[\d+m/g, "").length;
}
