// Runs the compiled binary, as a user would, and captures what it says.
import { join } from "node:path";

export const BINARY = join(import.meta.dir, "..", "..", "dist", "kubectl-netdoctor");

export interface PluginRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

export async function runPlugin(args: string[], opts: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<PluginRun> {
  const started = Date.now();
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: "1", ...opts.env })) if (v !== undefined) env[k] = v;
  const proc = Bun.spawn([BINARY, ...args], { cwd: opts.cwd, env, stdout: "pipe", stderr: "pipe", stdin: "ignore" });
  const timer = setTimeout(() => proc.kill("SIGKILL"), opts.timeoutMs ?? 240_000);
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  clearTimeout(timer);
  return { code, stdout, stderr, ms: Date.now() - started };
}

export function json<T = any>(run: PluginRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}): ${run.stdout.slice(0, 300)}\nstderr: ${run.stderr}`);
  }
}
