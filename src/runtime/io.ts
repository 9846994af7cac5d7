// The process surroundings a command needs, passed in so tests can capture output and set env.
import { writeSync } from "node:fs";

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
    out: stdoutWriter(),
    err: (text) => void process.stderr.write(text),
    env: process.env,
    cwd: process.cwd(),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stderrIsTTY: Boolean(process.stderr.isTTY),
    columns: process.stdout.columns || 120,
  };
}

/** Stdout, blocking. A reader that went away (`| head`) ends the output, not the run: the rest
 * is dropped and the command still saves its results, cleans up and exits with its own code. */
function stdoutWriter(): (chunk: string | Uint8Array) => void {
  let closed = false;
  return (chunk) => {
    if (closed) return;
    try {
      writeAllSync(1, chunk);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EPIPE") throw err;
      closed = true;
    }
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

/** Blocking write of all of `data`: a pipe's reader sets the pace and nothing queues in memory
 * (process.stdout.write queued a whole 50 MB report when the reader was slow). A non-blocking
 * descriptor that is full (EAGAIN) is waited on. */
export function writeAllSync(fd: number, data: string | Uint8Array): void {
  let bytes = typeof data === "string" ? Buffer.from(data) : data;
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
      Bun.sleepSync(2);
    }
  }
}
