// Progress on stderr: an ora spinner line on a terminal, a plain line every few seconds otherwise,
// nothing with --no-progress. Stdout stays clean for the report or JSON.
import ora, { type Ora } from "ora";
import { useColor, type Io } from "../runtime/io.ts";
import type { RunEvents } from "../engine/events.ts";

/** A run's events as the terminal shows them: updates live on a terminal, every 5 s otherwise. */
export type Progress = RunEvents;

export function createProgress(io: Io, enabled: boolean): Progress {
  if (!enabled) return { phase: () => {}, update: () => {}, probes: () => {}, done: () => {} };
  const lines = io.stderrIsTTY ? spinner(io) : plainLines(io);
  // The rate since the phase began: a phase may begin mid-probing (stragglers joining it).
  let since: { at: number; done: number } | undefined;
  let lastDone = 0;
  return {
    ...lines,
    phase(text) {
      since = undefined;
      lines.phase(text);
    },
    probes(done, total, failed) {
      since ??= { at: lines.startedAt(), done: lastDone };
      lastDone = done;
      lines.update(`probing: ${done}/${total} pairs, ${failed} failed${done < total ? eta(since, done, total) : ""}`, done === total);
    },
  };
}

interface Lines {
  phase(text: string): void;
  /** `last`: printed even when the previous line was moments ago. */
  update(text: string, last?: boolean): void;
  done(text?: string): void;
  startedAt(): number;
}

function eta(since: { at: number; done: number }, done: number, total: number): string {
  if (done <= since.done) return "";
  const left = ((Date.now() - since.at) / (done - since.done)) * (total - done);
  return `, ETA ${Math.ceil(left / 1000)}s`;
}

function spinner(io: Io): Lines {
  let s: Ora | undefined;
  let started = 0;
  const color = useColor(io, io.stderrIsTTY);
  return {
    phase(text) {
      if (s) s.succeed();
      // discardStdin off: ora would put the terminal in raw mode, and Ctrl-C would never become
      // SIGINT (measured: three Ctrl-C in tmux, the run went on to its end).
      s = ora({ text, stream: process.stderr, color: color ? "cyan" : false, isEnabled: true, discardStdin: false }).start();
      if (!color) s.spinner = "line";
      started = Date.now();
    },
    update(text) {
      if (s) s.text = text;
    },
    done(text) {
      if (s) (text ? s.succeed(text) : s.succeed());
      s = undefined;
    },
    startedAt: () => started,
  };
}

function plainLines(io: Io): Lines {
  let started = 0;
  let lastPrint = 0;
  return {
    phase(text) {
      started = Date.now();
      lastPrint = started;
      io.err(`${text}\n`);
    },
    update(text, last = false) {
      const now = Date.now();
      if (!last && now - lastPrint < 5000) return;
      lastPrint = now;
      io.err(`${text}\n`);
    },
    done(text) {
      if (text) io.err(`${text}\n`);
    },
    startedAt: () => started,
  };
}
