// Running commands for the harness: synchronously for setup steps (with the command in the error),
// and detached long-running daemons whose PIDs are recorded for teardown.
import { poll, timeoutMessage } from "../../src/runtime/poll.ts";
import { spawn, spawnSync } from "node:child_process";
import { closeSync, openSync } from "node:fs";

export function run(cmd: string[], opts: { allowFail?: boolean; input?: string } = {}): string {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: "utf8", input: opts.input });
  if (r.status !== 0 && !opts.allowFail) {
    throw new Error(`${cmd.join(" ")} failed (${r.status ?? r.signal}): ${(r.stderr || r.stdout || "").trim()}`);
  }
  return r.stdout ?? "";
}

/** run() inside a network namespace. */
export function inNetns(netns: string, cmd: string[], opts: { allowFail?: boolean } = {}): string {
  return run(["ip", "netns", "exec", netns, ...cmd], opts);
}

/** Start a daemon in its own session, output to a log file; returns its PID. */
export function daemon(cmd: string[], log: string, env: Record<string, string> = {}): number {
  const fd = openSync(log, "a");
  const child = spawn(cmd[0]!, cmd.slice(1), {
    detached: true,
    stdio: ["ignore", fd, fd],
    env: { ...process.env, ...env },
  });
  closeSync(fd);
  child.unref();
  if (!child.pid) throw new Error(`could not start ${cmd.join(" ")}`);
  return child.pid;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** SIGTERM, then SIGKILL after a grace period; by PID only, never by name. */
export async function stop(pids: number[], graceMs = 3000): Promise<void> {
  const live = pids.filter(alive);
  for (const pid of live) killQuietly(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  while (live.some(alive) && Date.now() < deadline) await Bun.sleep(50);
  for (const pid of live.filter(alive)) killQuietly(pid, "SIGKILL");
  while (live.some(alive) && Date.now() < deadline + 2000) await Bun.sleep(20);
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  // A look that throws (a daemon not listening yet) is a state too: its message is the last seen.
  const r = await poll({
    look: async () => {
      try {
        return { value: await probe(), error: "" };
      } catch (err) {
        return { value: undefined, error: (err as Error).message };
      }
    },
    done: (s) => s.value !== undefined && s.value !== false,
    timeoutMs,
    intervalMs: 200,
  });
  if (!r.met) throw new Error(timeoutMessage(what, timeoutMs, r.state?.error || undefined));
  return r.state.value as T;
}
