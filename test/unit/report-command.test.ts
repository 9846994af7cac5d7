import { describe, expect, test } from "bun:test";
import { ResultSet } from "../../src/results/set.ts";
import { mkdirSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runCli } from "../../src/cli/index.ts";
import { complete } from "../../src/cli/completion.ts";
import { ExitCode, NetdoctorError } from "../../src/errors.ts";
import type { Io } from "../../src/runtime/io.ts";
import { compareRuns } from "../../src/results/compare.ts";
import { saveResults } from "../../src/results/store.ts";
import type { ResultsDocument } from "../../src/results/document.ts";
import { FOUR_NODES, fourNodes } from "../helpers/docs.ts";

function ctx() {
  const cwd = mkdtempSync(join(tmpdir(), "nd-report-"));
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => void out.push(typeof t === "string" ? t : new TextDecoder().decode(t)), err: (t) => void err.push(t), env: {}, cwd, stdoutIsTTY: false, stderrIsTTY: false, columns: 120 };
  return { io, cwd, out: () => out.join(""), err: () => err.join("") };
}
async function run(argv: string[], c = ctx()): Promise<{ code: number; message?: string }> {
  try {
    return { code: await runCli(argv, c.io) };
  } catch (err) {
    if (err instanceof NetdoctorError) return { code: err.exitCode, message: err.message };
    throw err;
  }
}
/** The 4-node run with node-a1 -> node-a2 fixed and node-a3 -> node-a4 tcp broken, node-a4 gone as a source... */
function later(): ResultsDocument {
  const doc = fourNodes();
  const results = [...doc.results]
    .filter((r) => r.source.node !== "node-a4" && r.target.node !== "node-a4")
    .map((r) => (r.source.node === "node-a1" && r.target.node === "node-a2" ? { ...r, status: "Succeeded" as const, reason: "", reasonCode: "ok" as const }
      : r.source.node === "node-a3" && r.target.node === "node-a1" && r.protocol === "tcp" ? { ...r, status: "Failed" as const, reason: "connection refused", reasonCode: "refused" as const } : r));
  return { ...doc, results: ResultSet.fromRecords(results), summary: { ...doc.summary, pairs: results.length, failed: 1, succeeded: results.length - 1 } };
}

describe("report", () => {
  test("a saved file again, as check prints it; exit 1 as check would", async () => {
    const c = ctx();
    expect((await run(["report", FOUR_NODES], c)).code).toBe(ExitCode.ProblemsFound);
    expect(c.out()).toContain("the link from node-a1 to node-a2 is broken one way");
    expect(c.out()).toContain("checked 4 of 4 nodes: 24 pairs, 22 succeeded, 2 failed");
    const j = ctx();
    await run(["report", FOUR_NODES, "-o", "json"], j);
    expect(JSON.parse(j.out()).summary.failed).toBe(2);
  });
  test("-o html and -o junit into --out; a bad --out directory is a usage error naming it", async () => {
    const c = ctx();
    const html = join(c.cwd, "r.html");
    expect((await run(["report", FOUR_NODES, "-o", "html", "--out", html], c)).code).toBe(ExitCode.ProblemsFound);
    expect(readFileSync(html, "utf8")).toStartWith("<!DOCTYPE html>");
    await run(["report", FOUR_NODES, "-o", "junit", "--out", join(c.cwd, "r.xml")], c);
    expect(readFileSync(join(c.cwd, "r.xml"), "utf8")).toContain('<testsuite name="tcp/ipv4" tests="12" failures="1"');
    expect(await run(["report", FOUR_NODES, "-o", "html", "--out", join(c.cwd, "no", "r.html")])).toEqual({ code: ExitCode.Usage, message: `cannot write ${join(c.cwd, "no", "r.html")}: directory ${join(c.cwd, "no")} does not exist` });
  });
  test("no FILE: the last results for --kubeconfig/--context, as resume finds them; no cluster is contacted", async () => {
    const c = ctx();
    const kc = join(c.cwd, "kubeconfig");
    // An address nothing listens on: any API call would fail the command.
    writeFileSync(kc, "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: kind-netdoctor, context: {cluster: c, user: u}}]\ncurrent-context: kind-netdoctor\n");
    // Named by context and server: two kubeconfigs with the same context name get two files.
    expect((await run(["report", "--kubeconfig", kc], c)).message).toBe(`no results file at ${join(c.cwd, "netdoctor", "kind-netdoctor@127.0.0.1_1.json")} (run check first, or pass --results FILE)`);
    mkdirSync(join(c.cwd, "netdoctor"));
    // Where versions before the server was in the name saved it: found too.
    writeFileSync(join(c.cwd, "netdoctor", "kind-netdoctor.json"), readFileSync(FOUR_NODES));
    expect((await run(["report", "--kubeconfig", kc, "--context", "kind-netdoctor", "-o", "json"], c)).code).toBe(ExitCode.ProblemsFound);
    // netctl's resume.json in the working directory, newer: read as resume reads it, best effort.
    writeFileSync(join(c.cwd, "resume.json"), JSON.stringify([{ Status: 2, ResultStr: "timeout", srcNodeName: "a", dstNodeName: "b", targetIP: "10.0.0.2" }]));
    utimesSync(join(c.cwd, "resume.json"), new Date(), new Date(Date.now() + 60_000));
    const n = ctx();
    Object.assign(n.io, { cwd: c.cwd });
    expect((await run(["report", "--kubeconfig", kc], n)).code).toBe(ExitCode.ProblemsFound);
    expect(n.err()).toContain("is netctl's resume.json: only its failing rows are known");
    expect(n.out()).toContain("netctl: timeout");
  });
  test("truncated, corrupt or foreign files: one line, exit 2; an older file without reason codes or findings: a report", async () => {
    const c = ctx();
    const text = readFileSync(FOUR_NODES, "utf8");
    writeFileSync(join(c.cwd, "t.json"), text.slice(0, 2000));
    expect(await run(["report", join(c.cwd, "t.json")])).toMatchObject({ code: ExitCode.Usage, message: expect.stringContaining("is not valid JSON, perhaps truncated") });
    writeFileSync(join(c.cwd, "x.json"), "\u0000\u0001garbage");
    expect((await run(["report", join(c.cwd, "x.json")])).code).toBe(ExitCode.Usage);
    const old = JSON.parse(text);
    delete old.findings;
    for (const r of old.results) delete r.reasonCode;
    writeFileSync(join(c.cwd, "old.json"), JSON.stringify(old));
    const o = ctx();
    expect((await run(["report", join(c.cwd, "old.json"), "-o", "html"], o)).code).toBe(ExitCode.ProblemsFound);
    expect(o.out()).toContain('data-kind="link"');
    const j = ctx();
    await run(["report", join(c.cwd, "old.json"), "-o", "junit"], j);
    expect(j.out()).toContain('type="other"');
  });
  test("--compare OLD [NEW]: fixed, newly failing, still failing, nodes gone; exit 1 only when something newly fails", async () => {
    const c = ctx();
    const newer = join(c.cwd, "new.json");
    saveResults(newer, later());
    const forward = ctx();
    expect((await run(["report", "--compare", FOUR_NODES, newer], forward)).code).toBe(ExitCode.ProblemsFound);
    expect(forward.out()).toContain("2 fixed, 1 newly failing, 0 still failing; 0 nodes added, 1 gone");
    expect(forward.out()).toContain("newly failing: kind-netdoctor/node-a3 -> kind-netdoctor/node-a1 tcp/ipv4: Failed (connection refused), was Succeeded");
    expect(forward.out()).toContain("node gone: kind-netdoctor/node-a4");
    const j = ctx();
    await run(["report", "--compare", FOUR_NODES, newer, "-o", "json"], j);
    const data = JSON.parse(j.out());
    expect(data.fixed.map((x: { pair: string }) => x.pair)).toEqual(["kind-netdoctor/node-a1 -> kind-netdoctor/node-a2 icmp/ipv4", "kind-netdoctor/node-a1 -> kind-netdoctor/node-a2 tcp/ipv4"]);
    expect(data.newlyFailing[0]).toMatchObject({ now: { status: "Failed", reasonCode: "refused" }, was: { status: "Succeeded" } });
    expect(data.nodesGone).toEqual(["kind-netdoctor/node-a4"]);
    // The other way round nothing newly fails that was not failing: node-a1 -> node-a2 fails again.
    const back = ctx();
    expect((await run(["report", "--compare", newer, FOUR_NODES], back)).code).toBe(ExitCode.ProblemsFound);
    expect(back.out()).toContain("1 fixed, 2 newly failing");
    const same = ctx();
    expect((await run(["report", "--compare", FOUR_NODES, FOUR_NODES], same)).code).toBe(ExitCode.Ok);
    expect((await run(["report", "--compare", FOUR_NODES, FOUR_NODES, "-o", "html"])).code).toBe(ExitCode.Usage);
  });
  test("compareRuns: nodes added count, pairs only in the old run", () => {
    const c = compareRuns(later(), fourNodes());
    expect(c.nodesAdded).toEqual(["kind-netdoctor/node-a4"]);
    expect(c.pairsGone).toBe(0);
    expect(compareRuns(fourNodes(), later()).pairsGone).toBe(24 - 12);
  });
  test("completion and help know report", async () => {
    expect(complete(["report", "--"], [])).toContain("--compare\n");
    expect(complete(["report", "--output", "h"], [])).toBe("html\n:4\n");
    expect(complete(["report", ""], [])).toBe(":0\n");
    expect(complete(["check", "--ht"], [])).toBe("--html\n:4\n");
    const c = ctx();
    await run(["report", "--help"], c);
    expect(c.out()).toContain("--compare");
    expect(c.out()).toContain('"html"');
  });
});
