// How a run ends for the user (src/cli/outcome.ts): whatever the engine hands back, the verdicts
// are saved (elsewhere when the results file cannot be written), the report is printed, what
// removal left is named, and the exit code (or the error) says why it ended.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { finishRun } from "../../src/cli/outcome.ts";
import { ClusterError, ExitCode, InterruptedError } from "../../src/errors.ts";
import type { Io } from "../../src/runtime/io.ts";
import { fourNodes } from "../helpers/docs.ts";

function io(): Io & { stdout: string; stderr: string } {
  const o = { stdout: "", stderr: "" };
  return Object.assign(o, { out: (s: string) => void (o.stdout += s), err: (s: string) => void (o.stderr += s), env: {}, cwd: "/", stdoutIsTTY: false, stderrIsTTY: false, columns: 120 });
}
const dir = mkdtempSync(join(tmpdir(), "nd-outcome-"));
const shown = (resultsFile: string) => ({ resultsFile, output: "table" as const, files: {} });

describe("how a run ends", () => {
  test("problems found: saved, reported, exit 1", () => {
    const out = io();
    expect(finishRun({ value: { document: fourNodes(), leftovers: [] } }, shown(join(dir, "a.json")), out)).toBe(ExitCode.ProblemsFound);
    expect(existsSync(join(dir, "a.json"))).toBe(true);
    expect(out.stdout).toContain("1 finding:");
  });
  test("an error after probing began: the verdicts saved and reported first, then the error leaves (exit 3 by main)", () => {
    const out = io();
    const error = new ClusterError("the API server of context 'a' stopped answering");
    expect(() => finishRun({ value: { document: { ...fourNodes(), partial: true }, error, leftovers: ["removing x failed; finish with: kubectl netdoctor clean"] } }, shown(join(dir, "b.json")), out)).toThrow(error);
    expect(out.stderr).toContain(`results (partial) saved to ${join(dir, "b.json")}`);
    expect(out.stderr).toContain("warning: removing x failed; finish with: kubectl netdoctor clean");
    expect(out.stdout).toContain("PARTIAL (the run ended early)");
  });
  test("a results file that cannot be written at the end: saved in the temporary directory instead, said, the report still printed", () => {
    const out = io();
    writeFileSync(join(dir, "clash"), "a file where a folder should be");
    const doc = fourNodes();
    expect(finishRun({ value: { document: doc, leftovers: [] } }, shown(join(dir, "clash", "r.json")), out)).toBe(ExitCode.ProblemsFound);
    const instead = join(tmpdir(), `netdoctor-${doc.run.id || "results"}.json`);
    expect(out.stderr).toContain(`warning: could not save the results to ${join(dir, "clash", "r.json")}`);
    expect(out.stderr).toContain(`saved to ${instead} instead`);
    expect(existsSync(instead)).toBe(true);
    expect(out.stdout).toContain("1 finding:");
  });
  test("interrupted: the report of what was probed, then exit 130", () => {
    const out = io();
    expect(() => finishRun({ value: { document: fourNodes(), leftovers: [] }, interruptedBy: "SIGINT" }, shown(join(dir, "c.json")), out)).toThrow(InterruptedError);
    expect(out.stdout).toContain("checked 4 of 4 nodes");
  });
});
