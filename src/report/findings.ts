// The first lines of the human report: what is broken, most important first. Pure.
import type { Finding } from "../results/finding.ts";

/** More would bury the first ones; the rest are in -o json and the results file. */
export const MAX_FINDINGS_SHOWN = 10;

const paint = (on: boolean, code: number, s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);

export function renderFindings(findings: Finding[], color: boolean): string {
  if (findings.length === 0) return "";
  const lines = [`${findings.length} finding${findings.length === 1 ? "" : "s"}:`];
  for (const f of findings.slice(0, MAX_FINDINGS_SHOWN)) {
    const tag = f.severity === "error" ? paint(color, 31, "error") : f.severity === "warning" ? paint(color, 33, "warning") : "info";
    const evidence = f.evidence.of ? ` (explains ${f.evidence.pairs} of ${f.evidence.of} pairs)` : "";
    lines.push(`  ${tag}: ${f.explanation}${evidence}`);
  }
  if (findings.length > MAX_FINDINGS_SHOWN) lines.push(`  ... and ${findings.length - MAX_FINDINGS_SHOWN} more: see -o json or the results file`);
  return `${lines.join("\n")}\n\n`;
}
