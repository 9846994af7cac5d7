import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../src/cli/index.ts";
import { commandName, type Io } from "../../src/runtime/io.ts";
import { complete, completionScript } from "../../src/cli/completion.ts";
import { ExitCode, NetdoctorError } from "../../src/errors.ts";
import { HOSTILE } from "../helpers/hostile.ts";
import { runPlugin } from "../helpers/plugin.ts";

function io(cwd = mkdtempSync(join(tmpdir(), "nd-cli-")), env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const value: Io = { out: (t) => void out.push(typeof t === "string" ? t : new TextDecoder().decode(t)), err: (t) => void err.push(t), env, cwd, stdoutIsTTY: false, stderrIsTTY: false, columns: 100 };
  return { io: value, out, err, cwd };
}

/** A kubeconfig whose only server cannot be reached. */
const UNREACHABLE = "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: dev, context: {cluster: c, user: u}}]\ncurrent-context: dev\n";

async function exitOf(argv: string[], ctx = io()): Promise<number> {
  try {
    return await runCli(argv, ctx.io);
  } catch (err) {
    if (err instanceof NetdoctorError) return err.exitCode;
    throw err;
  }
}

describe("cli", () => {
  test("--help lists the commands and the exit codes", async () => {
    const ctx = io();
    expect(await runCli(["--help"], ctx.io)).toBe(ExitCode.Ok);
    const text = ctx.out.join("");
    for (const c of ["init", "check", "resume", "clean", "version", "completion"]) expect(text).toContain(`kubectl netdoctor ${c}`);
    expect(text).toContain("1  connectivity problems found");
  });
  test("no command, an unknown command or flag: usage error (2)", async () => {
    expect(await exitOf([])).toBe(ExitCode.Usage);
    expect(await exitOf(["chek"])).toBe(ExitCode.Usage);
    expect(await exitOf(["check", "--bogus"])).toBe(ExitCode.Usage);
  });
  test("a bad setting flag: usage error (2)", async () => {
    expect(await exitOf(["check", "--port", "0"])).toBe(ExitCode.Usage);
  });
  test("a hostile --dns-name or --dns-server: usage error (2), before the cluster is asked anything", async () => {
    const ctx = io();
    // A server that cannot answer: a value checked only after connecting would fail with 3.
    const kc = join(ctx.cwd, "kubeconfig");
    writeFileSync(kc, UNREACHABLE);
    for (const value of HOSTILE) {
      for (const flag of ["--dns-name", "--dns-server"]) expect(await exitOf(["check", "-p", "dns", "--kubeconfig", kc, flag, value], ctx)).toBe(ExitCode.Usage);
    }
  });
  test("the binary refuses issue 24's --dns-name with exit 2 and one line naming flag and value", async () => {
    const run = await runPlugin(["check", "-p", "dns", "--dns-name", "a'b$(id)"], { env: { KUBECONFIG: "/nonexistent" } });
    expect(run.code).toBe(ExitCode.Usage);
    expect(run.stderr.trim().split("\n")).toEqual([expect.stringContaining("--dns-name: 'a'b$(id)' is not a DNS name")]);
  });
  test("an unknown context: usage error (2) naming context and file", async () => {
    const ctx = io();
    const kc = join(ctx.cwd, "kubeconfig");
    writeFileSync(kc, "apiVersion: v1\nkind: Config\ncontexts: []\nclusters: []\nusers: []\n");
    let message = "";
    try {
      await runCli(["check", "--kubeconfig", kc, "--context", "nope"], ctx.io);
    } catch (err) {
      message = (err as Error).message;
      expect((err as NetdoctorError).exitCode).toBe(ExitCode.Usage);
    }
    expect(message).toBe(`context 'nope' not found in ${kc} (contexts: none)`);
  });
  test("an unreachable server: cluster error (3) naming context and server", async () => {
    const ctx = io();
    const kc = join(ctx.cwd, "kubeconfig");
    writeFileSync(kc, UNREACHABLE);
    try {
      await runCli(["check", "--kubeconfig", kc], ctx.io);
      throw new Error("expected a ClusterError");
    } catch (err) {
      expect((err as NetdoctorError).exitCode).toBe(ExitCode.Cluster);
      expect((err as Error).message).toContain("context 'dev' (https://127.0.0.1:1)");
    }
  });
  test("init writes netdoctor.yaml and refuses to overwrite it", async () => {
    const ctx = io();
    expect(await runCli(["init"], ctx.io)).toBe(ExitCode.Ok);
    expect(readFileSync(join(ctx.cwd, "netdoctor.yaml"), "utf8")).toContain("podWaitTimeout: 120");
    expect(await exitOf(["init"], ctx)).toBe(ExitCode.Usage);
    expect(await runCli(["init", "--force"], ctx.io)).toBe(ExitCode.Ok);
  });
  test("version prints build info, as JSON too", async () => {
    const ctx = io();
    await runCli(["version", "-o", "json"], ctx.io);
    expect(JSON.parse(ctx.out.join(""))).toMatchObject({ version: expect.any(String), platform: `${process.platform}/${process.arch}` });
  });
  test("help says how the plugin was invoked", () => {
    expect(commandName("/usr/local/bin/kubectl-netdoctor")).toBe("kubectl netdoctor");
    expect(commandName("C:\\bin\\kubectl-net_doctor.exe")).toBe("kubectl net-doctor");
  });
});

describe("completion", () => {
  test("commands, flags, and values of enum and context flags", () => {
    expect(complete([""], [])).toBe("init\ncheck\nresume\nreport\nclean\nversion\ncompletion\n:4\n");
    expect(complete(["check", "--mo"], [])).toBe("--mode\n:4\n");
    expect(complete(["check", "--mode", "n"], [])).toBe("node\nnode-to-pod\n:4\n");
    expect(complete(["check", "--context", ""], ["prod", "dev"])).toBe("prod\ndev\n:4\n");
    expect(complete(["check", "--output=j"], [])).toBe("--output=json\n:4\n");
    expect(complete(["check", "--kubeconfig", ""], [])).toBe(":0\n");
  });
  test("scripts for each shell call back into the binary", () => {
    for (const shell of ["bash", "zsh", "fish"] as const) expect(completionScript(shell)).toContain("kubectl-netdoctor __complete");
  });
});
