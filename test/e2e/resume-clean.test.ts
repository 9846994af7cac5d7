// resume and clean on the local test cluster, and a run's safety under faults.
import { afterEach, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { adminApi } from "../../scripts/cluster/harness.ts";
import { injectFault } from "../../scripts/cluster/faults.ts";
import { ensureCluster, heal } from "../helpers/cluster.ts";
import { netdoctorObjects } from "../helpers/leftovers.ts";
import { BINARY, json, runPlugin } from "../helpers/plugin.ts";

let kubeconfig = "";
const dir = mkdtempSync(join(tmpdir(), "nd-resume-"));
const plugin = (...args: string[]) => runPlugin([...args, "--kubeconfig", kubeconfig, "--no-progress"]);

beforeAll(async () => {
  kubeconfig = await ensureCluster();
});
afterEach(async () => {
  await heal();
  await plugin("clean", "-A");
});

/** All that the process prints on stderr, read in the background, and a wait for a given text. */
function watchStderr(proc: Bun.Subprocess<"ignore", "pipe", "pipe">) {
  let seen = "";
  const done = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of proc.stderr) seen += decoder.decode(chunk);
  })();
  return {
    text: () => seen,
    done,
    async until(text: string) {
      while (!seen.includes(text)) {
        if (proc.exitCode !== null) throw new Error(`exited before printing '${text}': ${seen}`);
        await Bun.sleep(50);
      }
    },
  };
}

describe("resume", () => {
  test("check with a fault -> heal -> resume: only the failed pairs are re-run, all fixed, exit 0", async () => {
    const file = join(dir, "a.json");
    await injectFault({ kind: "drop", from: "node-a1", to: "node-a2" });
    expect((await plugin("check", "--results", file)).code).toBe(1);
    await heal();
    const r = await plugin("resume", "--results", file, "-o", "json");
    expect(r.code).toBe(0);
    const doc = json(r);
    expect(doc.resume.pairs).toBe(2);
    expect(doc.resume.fixed).toHaveLength(2);
    expect(doc.summary).toMatchObject({ pairs: 24, succeeded: 24, failed: 0 });
    expect(JSON.parse(readFileSync(file, "utf8")).summary.failed).toBe(0);
    expect(await netdoctorObjects()).toEqual([]);
  });

  test("pods re-created between check and resume: pairs are found by node name", async () => {
    const file = join(dir, "b.json");
    await injectFault({ kind: "drop", from: "node-a3", to: "node-a4", proto: "icmp" });
    expect((await plugin("check", "--keep", "--results", file)).code).toBe(1);
    const before = JSON.parse(readFileSync(file, "utf8"));
    const podsOf = async () => ((await adminApi("a").ok("GET", `/api/v1/namespaces/netdoctor/pods?labelSelector=netdoctor.io%2Frun-id%3D${before.run.id}`)).items as any[]).map((p) => p.metadata.uid).sort();
    const oldPods = await podsOf();
    // Delete the kept floater pods; the DaemonSet makes new ones.
    await adminApi("a").ok("DELETE", `/api/v1/namespaces/netdoctor/pods?labelSelector=netdoctor.io%2Frun-id%3D${before.run.id}`);
    await heal();
    // At once: the kept DaemonSet is still re-creating its pods, and resume waits for them (it
    // used to refuse the namespace as in use by another run, hidden here by retrying).
    const r = await plugin("resume", "--results", file, "-o", "json");
    expect(r.code).toBe(0);
    const doc = json(r);
    expect(doc.resume).toMatchObject({ pairs: 1, fixed: ["netdoctor-a/node-a3 -> netdoctor-a/node-a4 icmp/ipv4"] });
    const now = doc.results.find((x: any) => x.source.node === "node-a3" && x.target.node === "node-a4" && x.protocol === "icmp");
    expect(now.status).toBe("Succeeded");
    // Every floater is a new pod (resume reuses the kept DaemonSets and leaves them): a check
    // over no pods at all would prove nothing.
    const newPods = await podsOf();
    expect(oldPods.length).toBeGreaterThan(0);
    expect(newPods).toHaveLength(oldPods.length);
    expect(newPods.filter((uid) => oldPods.includes(uid))).toEqual([]);
  });

  test("after a run that found nothing: says so, exit 0, no full check", async () => {
    const file = join(dir, "c.json");
    expect((await plugin("check", "-p", "icmp", "--results", file)).code).toBe(0);
    const r = await plugin("resume", "--results", file);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("found no problems: nothing to re-check");
  });

  test("a missing or corrupt results file: exit 2 naming the path", async () => {
    const file = join(dir, "corrupt.json");
    writeFileSync(file, "{ not json");
    const r = await plugin("resume", "--results", file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    const missing = await plugin("resume", "--results", join(dir, "none.json"));
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(join(dir, "none.json"));
  });
});

describe("clean and concurrent runs", () => {
  test("two runs at once in different namespaces do not touch each other", async () => {
    const [one, two] = await Promise.all([
      plugin("check", "-n", "nd-one", "-p", "icmp", "--results", join(dir, "one.json")),
      plugin("check", "-n", "nd-two", "-p", "icmp", "--results", join(dir, "two.json")),
    ]);
    expect([one.code, two.code]).toEqual([0, 0]);
    expect(await netdoctorObjects()).toEqual([]);
  });

  test("a second run in the same namespace is refused, the first is untouched", async () => {
    expect((await plugin("check", "--keep", "-p", "icmp", "--results", join(dir, "kept.json"))).code).toBe(0);
    const kept = await netdoctorObjects();
    const second = await plugin("check", "-p", "icmp", "--results", join(dir, "second.json"));
    expect(second.code).toBe(2);
    expect(second.stderr).toContain("in use by another netdoctor run");
    expect(await netdoctorObjects()).toEqual(kept);
  });

  test("kill -9 mid-check, then clean: nothing labelled by netdoctor is left; clean twice is safe", async () => {
    await injectFault({ kind: "drop", from: "node-a1", to: "node-a2" });
    const proc = Bun.spawn([BINARY, "check", "--kubeconfig", kubeconfig, "--timeout", "20", "--results", join(dir, "killed.json")], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    await watchStderr(proc).until("probing");
    proc.kill("SIGKILL");
    await proc.exited;
    expect((await netdoctorObjects()).length).toBeGreaterThan(0);
    const first = await plugin("clean");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("removed:");
    expect(first.stdout).toContain("namespace netdoctor");
    expect(await netdoctorObjects()).toEqual([]);
    const again = await plugin("clean");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("nothing to clean");
  });

  test("clean works with no config or results file, from any directory", async () => {
    const empty = mkdtempSync(join(tmpdir(), "nd-empty-"));
    const r = await runPlugin(["clean", "--kubeconfig", kubeconfig], { cwd: empty });
    expect(r.code).toBe(0);
  });

  test("the API server disappearing mid-run: exit 3 naming the server, the pairs probed so far saved (partial) and reported", async () => {
    // The last source's exec waits on a dropped pair; the three before it end within a second or two.
    await injectFault({ kind: "drop", from: "node-a4", to: "node-a1" });
    const file = join(dir, "apidown.json");
    const proc = Bun.spawn([BINARY, "check", "--kubeconfig", kubeconfig, "--timeout", "10", "--concurrency", "1", "--results", file], { stdout: "pipe", stderr: "pipe", stdin: "ignore" });
    const watch = watchStderr(proc);
    await watch.until("probing");
    // Progress on a pipe shows nothing in between to wait for: the first sources' time to finish.
    await Bun.sleep(4_000);
    await injectFault({ kind: "apiserver-down" });
    const code = await proc.exited;
    await watch.done;
    const stderr = watch.text();
    expect(code).toBe(3);
    expect(stderr).toContain("error: the API server of context 'netdoctor-a' (https://10.200.0.1:6443) stopped answering during the run");
    expect(stderr).toContain(`results (partial) saved to ${file}`);
    // What was left is named with the command that removes it (the API server was gone).
    expect(stderr).toMatch(/warning: removing the floaters of run \w+ in context 'netdoctor-a' \(namespace netdoctor\) failed: .*connection refused; left in the cluster: finish with: kubectl netdoctor clean -n netdoctor --context netdoctor-a --kubeconfig /);
    const doc = JSON.parse(readFileSync(file, "utf8"));
    expect(doc.partial).toBe(true);
    expect(doc.summary.pairs).toBeGreaterThan(0);
    // Nobody's kubelet is blamed for the API server.
    expect(doc.summary.errors).toBe(0);
    expect(await new Response(proc.stdout).text()).toContain("PARTIAL");
    await heal();
    expect((await plugin("clean")).code).toBe(0);
    expect(await netdoctorObjects()).toEqual([]);
  });
});
