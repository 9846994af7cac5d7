// The HTML report: one self-contained page (no request leaves it: a strict Content-Security-Policy,
// inline style and script only) with the summary, the findings, the skipped nodes, a node x node
// matrix per protocol/family drawn on a canvas by matrix.client.js from compactly embedded data
// (matrix.ts), and the failing pairs as a list. Everything embedded is escaped. Pure.
import { MAX_FINDINGS_SHOWN } from "./findings.ts";
import { buildMatrices, NO_RTT, RTT_UNIT_MS, type MatrixData } from "./matrix.ts";
import { REASON_CODES } from "../probe/reasons.ts";
import { problemsFound, type ResultRecord, type ResultsDocument } from "../results/document.ts";
import type { Sink } from "../results/write.ts";
import clientScript from "./matrix.client.js" with { type: "text" };
import { plural } from "../words.ts";
import { addressText, nodeText, targetText } from "../names.ts";

/** The page forbids every fetch: images only as data: URLs, scripts and styles only inline. */
export const CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";
/** Failing pairs listed under the matrices; all of them are in the matrices and the results file. */
export const MAX_PAIRS_LISTED = 200;

const HTML_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** JSON safe inside <script>: no "</script>", no "<!--", and the two line separators JS once refused. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

const base64 = (a: Uint8Array | Uint16Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("base64");

/** The data the page's script reads: typed arrays as base64 (Uint16 little-endian, as every
 * browser's platform is). */
export function embeddedData(m: MatrixData): unknown {
  return {
    clusters: m.clusters,
    nodes: m.nodes.map((n) => n.name),
    nodeClusters: m.nodes.map((n) => n.cluster),
    codes: REASON_CODES,
    rttUnitMs: RTT_UNIT_MS,
    noRtt: NO_RTT,
    reasons: m.reasons,
    panels: m.panels.map((p) => ({
      id: p.id, protocol: p.protocol, family: p.family, ...(p.targets ? { targets: p.targets } : {}),
      sourceAddresses: p.sourceAddresses, targetAddresses: p.targetAddresses,
      cells: base64(p.cells), rtt: base64(p.rtt), ...(p.reasons ? { reasons: base64(p.reasons) } : {}),
    })),
  };
}

/** A pair's target in the failing list: its node and the address probed there, or what it probes. */
function targetCell(r: ResultRecord, showCluster: boolean): string {
  return r.target.node ? `${nodeText(r.target, showCluster)} (${addressText(r.target)})` : targetText(r);
}

function summarySection(doc: ResultsDocument): string {
  const s = doc.summary;
  const item = (field: string, label: string, value: number, cls = "") =>
    `<div class="stat${cls ? ` ${cls}` : ""}"><dt>${label}</dt><dd data-field="${field}" data-value="${value}">${value.toLocaleString("en-US")}</dd></div>`;
  const directions = (s.directions ?? []).map((d) =>
    `<li>${escapeHtml(d.from)} &rarr; ${escapeHtml(d.to)}: ${d.pairs} pairs, ${d.succeeded} succeeded, ${d.failed} failed, ${d.errors} could not be tested</li>`).join("");
  return `<section id="summary" aria-label="Summary">
<dl class="stats">${[
    item("nodesChecked", `nodes checked of ${s.nodesTotal}`, s.nodesChecked),
    item("pairs", "pairs", s.pairs),
    item("succeeded", "succeeded", s.succeeded, "ok"),
    item("failed", "failed", s.failed, s.failed ? "bad" : ""),
    item("errors", "could not be tested", s.errors, s.errors ? "warn" : ""),
    item("skippedNodes", "nodes skipped", s.skippedNodes, s.skippedNodes ? "warn" : ""),
  ].join("")}</dl>${directions ? `<ul class="directions">${directions}</ul>` : ""}
</section>`;
}

function findingsSection(doc: ResultsDocument): string {
  if (doc.findings.length === 0) return `<section id="findings"><h2>Findings</h2><p class="none">Nothing is broken.</p></section>`;
  const shown = doc.findings.slice(0, MAX_FINDINGS_SHOWN * 5);
  const items = shown.map((f) => {
    const evidence = f.evidence.of ? ` <span class="evidence">explains ${f.evidence.pairs} of ${f.evidence.of} pairs</span>` : "";
    return `<li class="finding ${f.severity}" data-kind="${escapeHtml(f.kind)}"><span class="severity">${f.severity}</span> ${escapeHtml(f.explanation)}${evidence}</li>`;
  }).join("\n");
  const more = doc.findings.length - shown.length;
  return `<section id="findings"><h2>${plural(doc.findings.length, "finding")}</h2><ol>\n${items}\n</ol>${more > 0 ? `<p>... and ${more} more: see the results file.</p>` : ""}</section>`;
}

function skippedSection(doc: ResultsDocument, showCluster: boolean): string {
  const late = doc.late ?? [];
  const rows = (nodes: { cluster: string; node: string; reason: string; readyAfterMs?: number }[]) =>
    nodes.map((k) => `<tr><td>${escapeHtml(nodeText(k, showCluster))}</td>${k.readyAfterMs !== undefined ? `<td>${(k.readyAfterMs / 1000).toFixed(1)}s</td>` : ""}<td>${escapeHtml(k.reason)}</td></tr>`).join("\n");
  return [
    doc.skipped.length ? `<section id="skipped"><h2>${plural(doc.skipped.length, "node")} skipped</h2><table><thead><tr><th>node</th><th>why (its floater never became ready)</th></tr></thead><tbody>\n${rows(doc.skipped)}\n</tbody></table></section>` : "",
    late.length ? `<section id="late"><h2>${plural(late.length, "node")} came late <small>probed after the others began</small></h2><table><thead><tr><th>node</th><th>ready after</th><th>what held it when probing began</th></tr></thead><tbody>\n${rows(late)}\n</tbody></table></section>` : "",
  ].join("\n");
}

function matricesSection(m: MatrixData): string {
  const check = (name: string, value: string, label: string) =>
    `<label><input type="checkbox" name="${name}" value="${escapeHtml(value)}" checked> ${label}</label>`;
  const verdicts = [["Succeeded", "succeeded"], ["Failed", "failed"], ["Error", "could not be tested"], ["none", "not tested"]] as const;
  return `<section id="matrices"><h2>Matrices <small>rows: sources, columns: targets</small></h2>
<form id="filters" class="controls" aria-label="Filters">
<fieldset><legend>Protocol</legend>${m.panels.map((p) => check("panel", p.id, escapeHtml(p.id))).join(" ")}</fieldset>
<fieldset><legend>Verdict</legend>${verdicts.map(([v, label]) => `${check("verdict", v, `<span class="swatch ${v}"></span>${label}`)}`).join(" ")}</fieldset>
<fieldset><legend>Cell size</legend><input type="range" name="zoom" min="0" max="40" value="0" aria-label="cell size in pixels (0: fit the width)"> <output name="zoomText">fit</output></fieldset>
</form>
<div id="legend" class="legend"></div>
<div id="details" class="details" role="status" aria-live="polite">Point at a cell, or select it (click, then arrow keys), for its pair.</div>
<div id="panels"></div>
<noscript><p>The matrices need JavaScript; the summary, findings and failing pairs do not.</p></noscript>
</section>`;
}

function failingSection(doc: ResultsDocument, showCluster: boolean): string {
  const count = doc.results.failingCount;
  if (count === 0) return "";
  const listed: ResultRecord[] = [];
  for (const r of doc.results.failing()) if (listed.push(r) >= MAX_PAIRS_LISTED) break;
  const rows = listed.map((r) => {
    const panel = `${r.custom ? "target " : ""}${r.protocol}/${r.family}`;
    // As the matrices label the target's column: the page finds the cell from it.
    const target = r.target.node ? nodeText(r.target, showCluster) : targetText(r);
    return `<tr class="${r.status}" data-panel="${escapeHtml(panel)}" data-src="${escapeHtml(nodeText(r.source, showCluster))}" data-dst="${escapeHtml(target)}">` +
      `<td>${escapeHtml(nodeText(r.source, showCluster))} (${escapeHtml(r.source.ip)})</td><td>${escapeHtml(targetCell(r, showCluster))}</td><td>${escapeHtml(panel)}</td>` +
      `<td class="verdict">${r.status}</td><td>${escapeHtml(r.reasonCode ?? "")}</td><td>${escapeHtml(r.reason)}</td></tr>`;
  }).join("\n");
  const more = count - MAX_PAIRS_LISTED;
  return `<section id="failing"><h2>${plural(count, "pair")} failed or could not be tested</h2>
<table><thead><tr><th>source</th><th>target</th><th>protocol</th><th>verdict</th><th>code</th><th>reason</th></tr></thead><tbody>
${rows}
</tbody></table>${more > 0 ? `<p>... and ${more} more: they are in the matrices and the results file.</p>` : ""}</section>`;
}

export function writeHtml(doc: ResultsDocument, sink: Sink): void {
  const showCluster = !!doc.clusters.destination;
  const where = `${doc.clusters.source.context}${doc.clusters.destination ? ` \u2194 ${doc.clusters.destination.context}` : ""}`;
  const s = doc.summary;
  const count = (n: number) => n.toLocaleString("en-US");
  const bad = problemsFound(doc);
  const verdict = s.failed + s.errors ? `${count(s.failed + s.errors)} of ${count(s.pairs)} pairs failing` : bad ? `${plural(s.skippedNodes, "node")} skipped` : `all ${count(s.pairs)} pairs pass`;
  const settings = doc.settings;
  const meta = [
    `mode ${settings.mode}`, `protocols ${settings.protocols.join(", ")}`, `IP family ${settings.ipFamily}`,
    doc.startedAt && `started ${doc.startedAt}`, doc.finishedAt && `finished ${doc.finishedAt}`,
  ].filter(Boolean).map((x) => escapeHtml(String(x))).join(" &middot; ");
  const matrices = buildMatrices(doc);
  sink.write(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>netdoctor ${escapeHtml(where)}: ${verdict}</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>netdoctor <span class="context">${escapeHtml(where)}</span> <span class="verdict ${bad ? "bad" : "ok"}">${verdict}</span></h1>
<p class="meta">${doc.partial ? `<strong>partial: the run ended early</strong> &middot; ` : ""}${meta}</p></header>
<main>
${summarySection(doc)}
${findingsSection(doc)}
${skippedSection(doc, showCluster)}
${matricesSection(matrices)}
${failingSection(doc, showCluster)}
</main>
<script type="application/json" id="netdoctor-data">`);
  sink.write(scriptJson(embeddedData(matrices)));
  sink.write(`</script>
<script>${clientScript}</script>
</body>
</html>
`);
}

const STYLE = `
:root { --ok: #2da44e; --bad: #cf222e; --warn: #d4a72c; --none: #c4c9d0; --self: #f2f3f5; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: #fff; }
header, main { max-width: 1400px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 14px; border-bottom: 1px solid var(--line); }
h1 { font-size: 20px; margin: 0 0 2px; }
h1 .context { font-family: ui-monospace, monospace; font-weight: 600; }
h1 .verdict { font-size: 13px; font-weight: 600; padding: 2px 8px; border-radius: 10px; vertical-align: 3px; color: #fff; }
h1 .verdict.ok { background: var(--ok); } h1 .verdict.bad { background: var(--bad); }
h2 { font-size: 16px; margin: 18px 0 8px; } h2 small { font-weight: 400; color: var(--muted); }
.meta { color: var(--muted); margin: 0 0 10px; }
.stats { display: flex; flex-wrap: wrap; gap: 10px; margin: 14px 0 0; }
.stat { border: 1px solid var(--line); border-radius: 6px; padding: 6px 14px; min-width: 120px; }
.stat dt { color: var(--muted); font-size: 12px; } .stat dd { margin: 0; font-size: 22px; font-weight: 600; }
.stat.ok dd { color: var(--ok); } .stat.bad dd { color: var(--bad); } .stat.warn dd { color: #9a6700; }
.directions { margin: 6px 0 0; color: var(--muted); }
#findings ol { margin: 0; padding-left: 22px; } .finding { margin: 3px 0; }
.severity { font-size: 11px; font-weight: 700; text-transform: uppercase; padding: 1px 6px; border-radius: 4px; color: #fff; background: var(--muted); }
.finding.error .severity { background: var(--bad); } .finding.warning .severity { background: #9a6700; }
.evidence { color: var(--muted); } .none { color: var(--ok); font-weight: 600; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f6f8fa; }
#failing tbody tr { cursor: pointer; } #failing tbody tr:hover { background: #f6f8fa; }
tr.Failed .verdict { color: var(--bad); font-weight: 600; } tr.Error .verdict { color: #9a6700; font-weight: 600; }
.controls { display: flex; flex-wrap: wrap; gap: 10px; margin: 0 0 8px; }
fieldset { border: 1px solid var(--line); border-radius: 6px; padding: 4px 10px 6px; margin: 0; }
legend { color: var(--muted); font-size: 12px; padding: 0 4px; }
label { margin-right: 8px; white-space: nowrap; cursor: pointer; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; vertical-align: -1px; margin-right: 3px; border: 1px solid rgba(0,0,0,.15); }
.swatch.Succeeded { background: var(--ok); } .swatch.Failed { background: var(--bad); } .swatch.Error { background: var(--warn); } .swatch.none { background: var(--none); } .swatch.self { background: var(--self); }
.legend { display: flex; flex-wrap: wrap; gap: 14px; align-items: center; color: var(--muted); font-size: 12px; margin-bottom: 6px; }
.legend .ramp { display: inline-block; width: 120px; height: 11px; vertical-align: -1px; border-radius: 2px; }
.details { min-height: 42px; border: 1px solid var(--line); border-radius: 6px; padding: 6px 10px; background: #f6f8fa; margin-bottom: 10px; font-size: 13px; }
.details b { font-weight: 600; } .details .Failed { color: var(--bad); font-weight: 600; } .details .Error { color: #9a6700; font-weight: 600; } .details .Succeeded { color: var(--ok); font-weight: 600; }
#panels { display: flex; flex-wrap: wrap; gap: 22px; align-items: flex-start; }
figure.panel { margin: 0; max-width: 100%; }
figure.panel[hidden] { display: none; }
figcaption { font-weight: 600; margin-bottom: 4px; } figcaption .counts { font-weight: 400; color: var(--muted); margin-left: 6px; }
.scroll { overflow: auto; width: fit-content; max-width: 100%; max-height: 85vh; border: 1px solid var(--line); border-radius: 4px; }
canvas { display: block; outline: none; } canvas:focus-visible { box-shadow: 0 0 0 2px #0969da inset; }
`;
