// The process surroundings a command needs, passed in so tests can capture output and set env.
import { writeAllSync } from "../results/write.ts";

export interface Io {
  /** Stdout: blocking writes, so a slow reader of a large report holds nothing in memory. */
  out(chunk: string | Uint8Array): void;
  err(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** True when stdout/stderr are terminals: decides colour, progress and table width. */
  stdoutIsTTY: boolean;
  stderrIsTTY: boolean;
  columns: number;
}

export function processIo(): Io {
  return {
    out: (chunk) => writeAllSync(1, chunk),
    err: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    columns: process.stdout.columns || 120,
  };
}

/** NO_COLOR (any value) or a non-terminal turns colour off. */
export function useColor(io: Io, tty = io.stdoutIsTTY): boolean {
  return tty && io.env.NO_COLOR === undefined && io.env.TERM !== "dumb";
}

/** "kubectl netdoctor" when run as a kubectl plugin binary, else the binary's own name. */
export function commandName(execPath: string = process.execPath): string {
  const base = execPath.split(/[\\/]/).pop()!.replace(/\.exe$/, "");
  if (base.startsWith("kubectl-")) return `kubectl ${base.slice("kubectl-".length).replace(/_/g, "-")}`;
  return "kubectl netdoctor";
}
