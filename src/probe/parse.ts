// The script's output lines back into raw outcomes per probe id. Pure.
import { RESULT_MARK } from "./script.ts";

export interface RawOutcome {
  exitCode: number;
  output: string;
  /** The probe was tried a second time to confirm a first failure (script's "A " mark). */
  confirmed?: boolean;
}

export function parseOutput(stdout: string): Map<number, RawOutcome> {
  const out = new Map<number, RawOutcome>();
  for (const line of stdout.split("\n")) {
    if (!line.startsWith(`${RESULT_MARK} `)) continue;
    // Tool output may carry \r (HTTP headers), which "." would not match.
    const m = /^@@ (\d+) (\d+) ?(.*)$/.exec(line.replace(/\r/g, ""));
    if (!m) continue;
    const output = m[3]!.trim();
    out.set(Number(m[1]), output.startsWith("A ") ? { exitCode: Number(m[2]), output: output.slice(2), confirmed: true } : { exitCode: Number(m[2]), output });
  }
  return out;
}
