// Progress on stderr: an ora spinner line on a terminal, a plain line every few seconds otherwise,
// nothing with --no-progress. Stdout stays clean for the report or JSON.
import ora, { type Ora } from "ora";
import { useColor, type Io } from "../cli/io.ts";

export interface Progress {
  phase(text: string): void;
  probes(done: number, total: number, failed: number): void;
  done(text?: string): void;
}

export function createProgress(io: Io, enabled: boolean): Progress {
  if (!enabled) return { phase: () => {}, probes: () => {}, done: () => {} };
  if (io.stderrIsTTY) return spinner(io);
  return plainLines(io);
}

function eta(startedAt: number, done: number, total: number): string {
  if (done === 0) return "";
  const left = ((Date.now() - startedAt) / done) * (total - done);
  return `, ETA ${Math.ceil(left / 1000)}s`;
}

function spinner(io: Io): Progress {
  let s: Ora | undefined;
  let started = 0;
  const color = useColor(io, io.stderrIsTTY);
  return {
    phase(text) {
      if (s) s.succeed();
      s = ora({ text, stream: process.stderr, color: color ? "cyan" : false, isEnabled: true }).start();
      if (!color) s.spinner = "line";
      started = Date.now();
    },
    probes(done, total, failed) {
      if (s) s.text = `probing: ${done}/${total} pairs, ${failed} failed${eta(started, done, total)}`;
    },
    done(text) {
      if (s) (text ? s.succeed(text) : s.succeed());
      s = undefined;
    },
  };
}

function plainLines(io: Io): Progress {
  let started = 0;
  let lastPrint = 0;
  return {
    phase(text) {
      started = Date.now();
      lastPrint = 0;
      io.err(`${text}\n`);
    },
    probes(done, total, failed) {
      const now = Date.now();
      if (done < total && now - lastPrint < 5000) return;
      lastPrint = now;
      io.err(`probing: ${done}/${total} pairs, ${failed} failed${done < total ? eta(started, done, total) : ""}\n`);
    },
    done(text) {
      if (text) io.err(`${text}\n`);
    },
  };
}
