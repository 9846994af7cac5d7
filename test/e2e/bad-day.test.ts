// The ways real users meet netdoctor on a bad day: Ctrl-C on a real terminal, results files that
// are stale, foreign or broken, and missing permissions. Each ends in a clear message, the
// documented exit code, and nothing left behind.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load, loadAll } from "js-yaml";
import { adminApi } from "../../scripts/cluster/harness.ts";
import { injectFault } from "../../scripts/cluster/faults.ts";
import { requiredPermissions, describeCheck } from "../../src/floater/permissions.ts";
import { ensureCluster, heal } from "../helpers/cluster.ts";
import { netdoctorObjects } from "../helpers/leftovers.ts";
import { BINARY, json, runPlugin } from "../helpers/plugin.ts";

let kubeconfig = "";
const dir = mkdtempSync(join(tmpdir(), "nd-badday-"));
const plugin = (args: string[], opts: { cwd?: string } = {}) => runPlugin([...args, "--no-progress"], opts);

beforeAll(async () => {
  const shared = await ensureCluster();
  // A kubeconfig of our own: default results paths land next to it, in this test's directory.
  kubeconfig = join(dir, "kubeconfig");
  copyFileSync(shared, kubeconfig);
});
afterEach(async () => {
  await heal();
});

function tmux(...args: string[]): string {
  const r = Bun.spawnSync(["tmux", ...args], { stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`tmux ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString();
}

describe("Ctrl-C on a real terminal", () => {
  const session = `nd-ctrlc-${process.pid}`;
  afterAll(() => {
    Bun.spawnSync(["tmux", "kill-session", "-t", session]);
  });

  test("mid-probe: stops within 2 s, exit 130, partial results saved, nothing left, terminal sane", async () => {
    await injectFault({ kind: "drop", from: "node-a1", to: "node-a2" });
    await injectFault({ kind: "drop", from: "node-a3", to: "node-a4" });
    const file = join(dir, "ctrlc.json");
    tmux("new-session", "-d", "-s", session, "-x", "160", "-y", "40", "env", "-u", "NO_COLOR", "bash", "--norc", "--noprofile");
    const pane = () => tmux("capture-pane", "-p", "-t", session);
    const waitFor = async (re: RegExp, ms: number) => {
      const deadline = Date.now() + ms;
      while (!re.test(pane())) {
        if (Date.now() > deadline) throw new Error(`no ${re} on the terminal after ${ms} ms:\n${pane()}`);
        await Bun.sleep(100);
      }
    };
    tmux("send-keys", "-t", session,
      `${BINARY} check --kubeconfig ${kubeconfig} --results ${file} --timeout 10 --concurrency 1 --probe-concurrency 1; echo EXIT=$?; stty -a | grep -o -- '-*isig\\|-*icanon\\|-*echo ' | tr '\\n' ' '; echo STTY-$((40+2))`, "Enter");
    await waitFor(/probing: \d+\/24 pairs/, 60_000);
    await Bun.sleep(1000);
    const pressed = Date.now();
    tmux("send-keys", "-t", session, "C-c");
    await waitFor(/SIGINT: stopping/, 5_000);
    const reaction = Date.now() - pressed;
    // Markers the typed command line does not contain: they appear only once it has run.
    await waitFor(/STTY-42/, 60_000);
    const screen = pane();
    expect(reaction).toBeLessThan(2_000);
    expect(screen).toContain("EXIT=130");
    // The terminal is back in its normal (cooked) mode: signals, line editing and echo on.
    expect(screen).toMatch(/(^|\s)isig icanon echo\s+STTY-42/m);
    const doc = JSON.parse(readFileSync(file, "utf8"));
    expect(doc.partial).toBe(true);
    expect(doc.summary.pairs).toBeLessThan(24);
    expect(await netdoctorObjects()).toEqual([]);
  });
});

describe("permissions", () => {
  const limited = ["--kubeconfig", "", "--context", "netdoctor-a-limited"];
  const args = (...more: string[]) => ["check", ...limited.map((a) => a || kubeconfig), ...more];

  test("a user without RBAC: every missing permission listed at once with the grant, exit 3, nothing created", async () => {
    const r = await plugin(args());
    expect(r.code).toBe(3);
    for (const c of requiredPermissions("netdoctor", false)) expect(r.stderr).toContain(describeCheck(c));
    expect(r.stderr).toContain("for user 'netdoctor-limited'");
    expect(r.stderr).toContain("kubectl apply -f - <<'EOF'");
    expect(r.stderr).toContain("nothing was created");
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(await netdoctorObjects()).toEqual([]);
  });

  test("the printed grant is exactly enough: applied by an admin, the same user's check passes", async () => {
    const r = await plugin(args());
    const yaml = /kubectl apply -f - <<'EOF'\n([\s\S]*?)\nEOF/.exec(r.stderr)![1]!;
    const api = adminApi("a");
    const objects = loadAll(yaml) as any[];
    const path = (o: any) => o.kind.startsWith("Cluster")
      ? `/apis/rbac.authorization.k8s.io/v1/${o.kind.toLowerCase()}s`
      : `/apis/rbac.authorization.k8s.io/v1/namespaces/${o.metadata.namespace}/${o.kind.toLowerCase()}s`;
    try {
      for (const o of objects) await api.ok("POST", path(o), o);
      const granted = await plugin(args("-o", "json", "--results", join(dir, "granted.json")));
      expect(granted.stderr).toBe("results saved to " + join(dir, "granted.json") + "\n");
      expect(granted.code).toBe(0);
      expect(json(granted).summary).toMatchObject({ pairs: 24, succeeded: 24 });
    } finally {
      for (const o of objects) await api.request("DELETE", `${path(o)}/${o.metadata.name}`);
    }
    expect(await netdoctorObjects()).toEqual([]);
  });

  test("--dry-run: what would be created and the missing permissions; nothing changes", async () => {
    const admin = await plugin(["check", "--kubeconfig", kubeconfig, "--dry-run"]);
    expect(admin.code).toBe(0);
    expect(admin.stdout).toContain("dry run: nothing was created or changed");
    expect(admin.stdout).toMatch(/would create daemonset netdoctor\/netdoctor-\w+-pod on 4 nodes: node-a1, node-a2, node-a3, node-a4/);
    expect(admin.stdout).toContain("permissions: all granted");
    const yaml = await plugin(["check", "--kubeconfig", kubeconfig, "--dry-run", "-o", "yaml"]);
    expect((load(yaml.stdout) as any).items.map((i: any) => i.kind)).toEqual(["Namespace", "ServiceAccount", "DaemonSet"]);
    const denied = await plugin(args("--dry-run"));
    expect(denied.code).toBe(3);
    expect(denied.stdout).toContain("missing permissions: list nodes");
    const clean = await plugin(["clean", "--kubeconfig", kubeconfig, "--dry-run"]);
    expect(clean.code).toBe(0);
    expect(await netdoctorObjects()).toEqual([]);
  });
});

describe("resume from results that do not fit", () => {
  test("pairs naming nodes the cluster does not have: named, the rest re-checked, not passed off as fresh, exit 1", async () => {
    const file = join(dir, "stale.json");
    await injectFault({ kind: "drop", from: "node-a1", to: "node-a2" });
    expect((await plugin(["check", "--kubeconfig", kubeconfig, "--results", file])).code).toBe(1);
    await heal();
    // The results file (netdoctor.io/v3) holds what failed alike as cells of matrices; a pair of a
    // node the matrices do not have is a record.
    const doc = JSON.parse(readFileSync(file, "utf8"));
    expect(doc.apiVersion).toBe("netdoctor.io/v3");
    expect(doc.mesh.outcomes.map((o: any) => o.reasonCode)).toContain("timeout");
    doc.results.push({
      source: { cluster: "netdoctor-a", node: "node-gone", ip: "10.244.9.1" }, target: { cluster: "netdoctor-a", node: "node-a2", ip: "10.244.2.1" },
      protocol: "icmp", family: "ipv4", status: "Failed", reason: "timeout: old", reasonCode: "timeout", lossPct: 100,
    });
    writeFileSync(file, JSON.stringify(doc));
    const r = await plugin(["resume", "--kubeconfig", kubeconfig, "--results", file]);
    expect(r.stderr).toContain("not in context 'netdoctor-a': node-gone; their pairs are not re-checked");
    expect(r.stdout).toMatch(/re-checked 2 pairs: 2 fixed, 0 still failing, 0 newly failing, 1 not re-checked/);
    expect(r.code).toBe(1);
    const saved = JSON.parse(readFileSync(file, "utf8"));
    expect(saved.results.filter((x: any) => x.status !== "Succeeded").map((x: any) => x.reason))
      .toEqual(["not re-checked (node 'node-gone' is not in the cluster); last run: timeout: old"]);
    expect(await netdoctorObjects()).toEqual([]);
  });

  test("a netctl resume.json of another cluster: nothing deployed, nothing passed off as fresh, exit 1, the file untouched", async () => {
    const cwd = mkdtempSync(join(dir, "netctl-"));
    const netctl = JSON.stringify([{ Status: 2, ResultStr: "timeout", srcNodeName: "prod-1", dstNodeName: "prod-2", targetIP: "10.9.0.2" }]);
    writeFileSync(join(cwd, "resume.json"), netctl);
    const r = await plugin(["resume", "--kubeconfig", kubeconfig], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("prod-1, prod-2");
    expect(r.stdout).toContain("re-checked 0 pairs");
    expect(r.stdout).toContain("not re-checked (node 'prod-1' is not in the cluster); last run: netctl: timeout");
    expect(readFileSync(join(cwd, "resume.json"), "utf8")).toBe(netctl);
    expect(existsSync(join(dir, "netdoctor", "netdoctor-a@10.200.0.1_6443.json"))).toBe(true);
    expect(await netdoctorObjects()).toEqual([]);
  });

  test("a netctl resume.json of this cluster: re-checked, fixed, exit 0, written beside it", async () => {
    const cwd = mkdtempSync(join(dir, "netctl-"));
    const netctl = JSON.stringify([{ Status: 2, ResultStr: "timeout", srcNodeName: "node-a1", dstNodeName: "node-a2", targetIP: "10.244.2.1" }]);
    writeFileSync(join(cwd, "resume.json"), netctl);
    const r = await plugin(["resume", "--kubeconfig", kubeconfig, "-o", "json"], { cwd });
    expect(r.code).toBe(0);
    expect(json(r).resume.fixed).toHaveLength(2);
    expect(readFileSync(join(cwd, "resume.json"), "utf8")).toBe(netctl);
  });

  test("truncated or field-less results: exit 2 naming the file and the field", async () => {
    const file = join(dir, "broken.json");
    expect((await plugin(["check", "--kubeconfig", kubeconfig, "--results", file])).code).toBe(0);
    const text = readFileSync(file, "utf8");
    writeFileSync(file, text.slice(0, 300));
    const truncated = await plugin(["resume", "--kubeconfig", kubeconfig, "--results", file]);
    expect(truncated.code).toBe(2);
    expect(truncated.stderr).toContain(`results file ${file} is not valid JSON, perhaps truncated`);
    const doc = JSON.parse(text);
    delete doc.mesh.layers[0].targets;
    writeFileSync(file, JSON.stringify(doc));
    const fieldless = await plugin(["resume", "--kubeconfig", kubeconfig, "--results", file]);
    expect(fieldless.code).toBe(2);
    expect(fieldless.stderr).toBe(`error: results file ${file}: mesh.layers[0].targets is not a list of 4 strings; run check again (or pass another --results)\n`);
    // A file of every pair as records (-o json, netdoctor.io/v1) is a results file too.
    const full = await plugin(["check", "--kubeconfig", kubeconfig, "--results", file, "-o", "json"]);
    const v1 = JSON.parse(full.stdout);
    delete v1.results[3].target.ip;
    writeFileSync(file, JSON.stringify(v1));
    const v1Fieldless = await plugin(["resume", "--kubeconfig", kubeconfig, "--results", file]);
    expect(v1Fieldless.code).toBe(2);
    expect(v1Fieldless.stderr).toBe(`error: results file ${file}: results[3].target.ip is missing; run check again (or pass another --results)\n`);
  });
});

describe("where the results go", () => {
  test("a read-only kubeconfig directory (a kubeconfig mounted from a Secret): exit 2 naming the path, before anything is created", async () => {
    const ro = mkdtempSync(join(tmpdir(), "nd-ro-"));
    copyFileSync(kubeconfig, join(ro, "kubeconfig"));
    // A read-only bind mount in a mount namespace of the plugin's own: root cannot write there either.
    const r = Bun.spawnSync(["unshare", "-m", "sh", "-c", `mount --bind ${ro} ${ro} && mount -o remount,bind,ro ${ro} && exec ${BINARY} check --kubeconfig ${ro}/kubeconfig --no-progress`], { stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(2);
    const expected = join(ro, "netdoctor", "netdoctor-a@10.200.0.1_6443.json");
    expect(r.stderr.toString()).toBe(`error: cannot save the results to ${expected}: read-only file system, mkdir '${join(ro, "netdoctor")}'; pass --results FILE to save them elsewhere\n`);
    expect(await netdoctorObjects()).toEqual([]);
  });

  test("a file where the results folder would go: exit 2 at once, not an internal error after the run", async () => {
    const d = mkdtempSync(join(tmpdir(), "nd-clash-"));
    copyFileSync(kubeconfig, join(d, "kubeconfig"));
    writeFileSync(join(d, "netdoctor"), "not a folder");
    const r = await plugin(["check", "--kubeconfig", join(d, "kubeconfig")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toStartWith(`error: cannot save the results to ${join(d, "netdoctor", "netdoctor-a@10.200.0.1_6443.json")}: `);
    expect(r.stderr).toContain("pass --results FILE");
    expect(r.ms).toBeLessThan(5_000);
    expect(await netdoctorObjects()).toEqual([]);
  });
});
