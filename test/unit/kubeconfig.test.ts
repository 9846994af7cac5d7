import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dump } from "js-yaml";
import { usageErrorOf } from "../helpers/usage.ts";
import { applyFlags, chooseEntries, DEFAULT_REQUEST_TIMEOUT_MS, expandHome, kubeconfigFiles, loadClusterTarget, mergeKubeconfigs, parseRequestTimeout } from "../../src/kube/kubeconfig.ts";

const dir = mkdtempSync(join(tmpdir(), "nd-kc-"));
function kubeconfig(name: string, o: { clusters?: [string, string][]; contexts?: [string, string, string][]; current?: string; users?: Record<string, object> }): string {
  const file = join(dir, name);
  writeFileSync(file, dump({
    apiVersion: "v1", kind: "Config",
    clusters: (o.clusters ?? []).map(([n, server]) => ({ name: n, cluster: { server, "certificate-authority": "ca.crt" } })),
    users: Object.entries(o.users ?? {}).map(([n, user]) => ({ name: n, user })),
    contexts: (o.contexts ?? []).map(([n, cluster, user]) => ({ name: n, context: { cluster, user } })),
    ...(o.current ? { "current-context": o.current } : {}),
  }));
  return file;
}
writeFileSync(join(dir, "ca.crt"), "not really a cert");
const first = kubeconfig("first", { clusters: [["c1", "https://one:6443"]], contexts: [["shared", "c1", "u1"]], current: "shared", users: { u1: { token: "t1" } } });
const second = kubeconfig("second", {
  clusters: [["c1", "https://IGNORED:6443"], ["c2", "https://two:6443"]],
  contexts: [["shared", "c2", "u2"], ["only-second", "c2", "u2"]],
  current: "only-second",
  users: { u2: { token: "t2" } },
});
const env = (files: string[]) => ({ KUBECONFIG: files.join(":") });
const fails = usageErrorOf;

describe("KUBECONFIG merging, as kubectl", () => {
  test("missing files are skipped", () => {
    expect(kubeconfigFiles(undefined, env([join(dir, "missing"), first]))).toEqual([first]);
  });
  test("all files missing is an error naming them", () => {
    expect(fails(() => kubeconfigFiles(undefined, env([join(dir, "a"), join(dir, "b")])))).toContain(join(dir, "a"));
  });
  test("the first file to define a name wins, entirely", () => {
    const merged = mergeKubeconfigs([first, second]);
    expect(merged.clusters.find((c) => c.name === "c1")!.cluster).toMatchObject({ server: "https://one:6443" });
    expect(merged.contexts.map((c) => c.name)).toEqual(["shared", "only-second"]);
  });
  test("current-context comes from the first file that sets it", () => {
    expect(mergeKubeconfigs([first, second]).currentContext).toBe("shared");
    expect(loadClusterTarget({}, env([first, second])).server).toBe("https://one:6443");
  });
  test("relative paths resolve against the file that holds them", () => {
    const merged = mergeKubeconfigs([first]);
    expect((merged.clusters[0]!.cluster as Record<string, string>)["certificate-authority"]).toBe(join(dir, "ca.crt"));
  });
  test("--kubeconfig bypasses merging and must exist", () => {
    expect(kubeconfigFiles(second, env([first]))).toEqual([second]);
    expect(fails(() => kubeconfigFiles(join(dir, "nope"), {}))).toBe(`kubeconfig file ${join(dir, "nope")} does not exist`);
  });
  test("~ expands", () => {
    expect(expandHome("~/x/config", "/home/me")).toBe("/home/me/x/config");
    const home = mkdtempSync(join(tmpdir(), "nd-home-"));
    mkdirSync(join(home, ".kube"));
    writeFileSync(join(home, ".kube", "config"), "{}");
    expect(kubeconfigFiles("~/.kube/config", {}, home)).toEqual([join(home, ".kube", "config")]);
  });
});

describe("choosing the cluster", () => {
  test("an unknown context names the context and the file", () => {
    expect(fails(() => loadClusterTarget({ context: "nope" }, env([first])))).toBe(`context 'nope' not found in ${first} (contexts: shared)`);
  });
  test("--context, --server, --token override", () => {
    const t = loadClusterTarget({ context: "only-second", server: "https://other:1", token: "abc" }, env([first, second]));
    expect(t.contextName).toBe("only-second");
    expect(t.server).toBe("https://other:1");
    expect(t.kubeConfig.getCurrentUser()?.token).toBe("abc");
  });
  test("--user must exist", () => {
    expect(fails(() => loadClusterTarget({ user: "ghost" }, env([first])))).toContain("user 'ghost' not found");
  });
  test("--as-group needs --as", () => {
    expect(fails(() => loadClusterTarget({ asGroup: ["devs"] }, env([first])))).toContain("--as-group needs --as");
  });
  test("--as-group takes one group", () => {
    expect(fails(() => loadClusterTarget({ as: "jane", asGroup: ["a", "b"] }, env([first])))).toContain("only one group");
    expect(loadClusterTarget({ as: "jane", asGroup: ["devs"] }, env([first])).impersonateGroups).toEqual(["devs"]);
  });
  test("--as impersonates", () => {
    expect(loadClusterTarget({ as: "jane" }, env([first])).kubeConfig.getCurrentUser()?.impersonateUser).toBe("jane");
  });
  test("a missing certificate file is named", () => {
    expect(fails(() => loadClusterTarget({ certificateAuthority: "/nope/ca.crt" }, env([first])))).toContain("/nope/ca.crt");
  });
  test("request timeout: 30 s unless given; an explicit 0 is no limit, as kubectl", () => {
    expect(parseRequestTimeout(undefined)).toBe(DEFAULT_REQUEST_TIMEOUT_MS);
    expect(DEFAULT_REQUEST_TIMEOUT_MS).toBe(30_000);
    expect(parseRequestTimeout("0")).toBe(0);
    expect(parseRequestTimeout("0s")).toBe(0);
    expect(parseRequestTimeout("5s")).toBe(5000);
    expect(parseRequestTimeout("30")).toBe(30000);
    expect(fails(() => parseRequestTimeout("soon"))).toContain("--request-timeout");
  });
});

describe("loading a target in pure steps", () => {
  const merged = { clusters: [{ name: "c", cluster: { server: "https://c:6443", "certificate-authority-data": "AAA", "proxy-url": "http://proxy:3128" } }], users: [{ name: "u", user: { token: "t", tokenFile: "/x" } }], contexts: [{ name: "ctx", context: { cluster: "c", user: "u", namespace: "ns" } }], currentContext: "ctx" };
  test("the context's entries, then the flags over them, the kubeconfig itself untouched", () => {
    const chosen = chooseEntries(merged, {}, "f");
    expect(chosen).toMatchObject({ contextName: "ctx", clusterName: "c", userName: "u", cluster: { server: "https://c:6443" } });
    const flagged = applyFlags(chosen, { server: "https://other:6443", token: "new", certificateAuthority: "ca.pem", as: "jane" }, "/work");
    expect(flagged.cluster).toEqual({ server: "https://other:6443", "certificate-authority": "/work/ca.pem", "proxy-url": "http://proxy:3128" });
    expect(flagged.user).toEqual({ token: "new", as: "jane" });
    expect(merged.users[0]!.user).toEqual({ token: "t", tokenFile: "/x" });
    expect(fails(() => chooseEntries(merged, { context: "nope" }, "f"))).toBe("context 'nope' not found in f (contexts: ctx)");
  });
  test("a proxy-url is returned, never written into the process environment", () => {
    const file = join(dir, "proxied");
    writeFileSync(file, dump({ apiVersion: "v1", kind: "Config", clusters: merged.clusters, users: [{ name: "u", user: { token: "t" } }], contexts: merged.contexts, "current-context": "ctx" }));
    const env: NodeJS.ProcessEnv = {};
    expect(loadClusterTarget({ kubeconfig: file }, env).proxyUrl).toBe("http://proxy:3128");
    expect(env).toEqual({});
  });
});
