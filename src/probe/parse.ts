// The script's output lines back into raw outcomes per probe id. Pure.
import { RESULT_MARK } from "./script.ts";

export interface RawOutcome {
  exitCode: number;
  output: string;
}

export function parseOutput(stdout: string): Map<number, RawOutcome> {
  const out = new Map<number, RawOutcome>();
  for (const line of stdout.split("\n")) {
    if (!line.startsWith(`${RESULT_MARK} `)) continue;
    // Tool output may carry \r (HTTP headers), which "." would not match.
    const m = /^@@ (\d+) (\d+) ?(.*)$/.exec(line.replace(/\r/g, ""));
    if (!m) continue;
    out.set(Number(m[1]), { exitCode: Number(m[2]), output: m[3]!.trim() });
  }
  return out;
}
