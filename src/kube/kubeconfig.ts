// kubectl's rules for finding and merging kubeconfig files, which client-node does not follow:
// KUBECONFIG entries that do not exist are skipped, the first file to define a name or
// current-context wins, relative paths resolve against the file that holds them, and `~` expands.
// The kubectl global flags are applied on top of the chosen context.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, resolve } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { dump, load } from "js-yaml";
import { UsageError } from "../errors.ts";
import { parseSeconds } from "../config/validate.ts";

/** kubectl's global connection flags, as the user gave them. */
export interface KubeFlags {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  user?: string;
  as?: string;
  asGroup?: string[];
  requestTimeout?: string;
  server?: string;
  token?: string;
  certificateAuthority?: string;
  clientCertificate?: string;
  clientKey?: string;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
}

/** How a connection flag is given: a value, a file path (completes file names), a switch, or a
 * repeatable value. */
export type KubeFlagKind = "string" | "file" | "bool" | "list";

export interface KubeFlagSpec {
  key: Exclude<keyof KubeFlags, "kubeconfig" | "context">;
  kind: KubeFlagKind;
  describe: string;
  alias?: string;
}

/** The one table of kubectl's connection flags (--kubeconfig and --context are settings, since a
 * config file may set them): the CLI, the mapping into KubeFlags and completion derive from it. */
export const KUBE_FLAG_SPECS: readonly KubeFlagSpec[] = [
  { key: "cluster", kind: "string", describe: "The name of the kubeconfig cluster to use" },
  { key: "user", kind: "string", describe: "The name of the kubeconfig user to use" },
  { key: "as", kind: "string", describe: "Username to impersonate for the operation" },
  { key: "asGroup", kind: "list", describe: "Group to impersonate for the operation (repeatable)" },
  { key: "requestTimeout", kind: "string", describe: "Time limit of a single API request (0 = none), e.g. 30s" },
  { key: "server", kind: "string", alias: "s", describe: "The address and port of the Kubernetes API server" },
  { key: "token", kind: "string", describe: "Bearer token for authentication to the API server" },
  { key: "certificateAuthority", kind: "file", describe: "Path to a cert file for the certificate authority" },
  { key: "clientCertificate", kind: "file", describe: "Path to a client certificate file for TLS" },
  { key: "clientKey", kind: "file", describe: "Path to a client key file for TLS" },
  { key: "insecureSkipTlsVerify", kind: "bool", describe: "Do not verify the server's certificate (insecure)" },
  { key: "tlsServerName", kind: "string", describe: "Server name to use for server certificate validation" },
];

/** A cluster to talk to: the client-node config plus what messages need to name it. */
export interface ClusterTarget {
  kubeConfig: KubeConfig;
  contextName: string;
  server: string;
  /** The kubeconfig files that were read, in merge order. */
  files: string[];
  /** 0 means no limit, as kubectl's default --request-timeout=0. */
  requestTimeoutMs: number;
  /** Impersonated groups, sent as Impersonate-Group headers. */
  impersonateGroups: string[];
}

type Named = { name: string; [field: string]: unknown };

interface RawMerged {
  clusters: Named[];
  users: Named[];
  contexts: Named[];
  currentContext?: string;
}

export function expandHome(path: string, home = homedir()): string {
  if (path === "~") return home;
  if (path.startsWith("~/")) return resolve(home, path.slice(2));
  return path;
}

/** The kubeconfig files to read, in kubectl's order; `explicit` (--kubeconfig) bypasses merging. */
export function kubeconfigFiles(explicit: string | undefined, env: NodeJS.ProcessEnv, home = homedir()): string[] {
  if (explicit) {
    const file = resolve(expandHome(explicit, home));
    if (!existsSync(file)) throw new UsageError(`kubeconfig file ${explicit} does not exist`);
    return [file];
  }
  const fromEnv = env.KUBECONFIG;
  if (fromEnv !== undefined && fromEnv !== "") {
    const listed = [...new Set(fromEnv.split(delimiter).filter((p) => p !== "").map((p) => resolve(expandHome(p, home))))];
    const present = listed.filter((p) => existsSync(p));
    if (present.length === 0) {
      throw new UsageError(`none of the files in KUBECONFIG exist: ${listed.join(", ")}`);
    }
    return present;
  }
  const fallback = resolve(home, ".kube", "config");
  if (!existsSync(fallback)) {
    throw new UsageError(`no kubeconfig: ${fallback} does not exist and KUBECONFIG is not set (use --kubeconfig)`);
  }
  return [fallback];
}

export function mergeKubeconfigs(files: string[]): RawMerged {
  const merged: RawMerged = { clusters: [], users: [], contexts: [] };
  for (const file of files) {
    const doc = parseKubeconfig(file);
    const base = dirname(file);
    for (const section of ["clusters", "users", "contexts"] as const) {
      const entries = doc[section];
      if (entries === undefined || entries === null) continue;
      if (!Array.isArray(entries)) throw new UsageError(`${file}: '${section}' must be a list`);
      for (const entry of entries as Named[]) {
        if (!entry || typeof entry.name !== "string") continue;
        // First file to define a name wins, entirely.
        if (merged[section].some((e) => e.name === entry.name)) continue;
        merged[section].push(absolutize(section, entry, base));
      }
    }
    const current = doc["current-context"];
    if (!merged.currentContext && typeof current === "string" && current !== "") merged.currentContext = current;
  }
  return merged;
}

function parseKubeconfig(file: string): Record<string, unknown> {
  let doc: unknown;
  try {
    doc = load(readFileSync(file, "utf8"), { filename: file });
  } catch (err) {
    const mark = (err as { mark?: { line: number } }).mark;
    throw new UsageError(`${file}${mark ? `:${mark.line + 1}` : ""}: not a valid kubeconfig: ${(err as Error).message.split("\n")[0]}`);
  }
  if (doc === undefined || doc === null) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new UsageError(`${file}: not a valid kubeconfig (expected a mapping)`);
  return doc as Record<string, unknown>;
}

const PATH_FIELDS: Record<"clusters" | "users" | "contexts", { inner: string; fields: string[] }> = {
  clusters: { inner: "cluster", fields: ["certificate-authority"] },
  users: { inner: "user", fields: ["client-certificate", "client-key", "tokenFile"] },
  contexts: { inner: "context", fields: [] },
};

function absolutize(section: keyof typeof PATH_FIELDS, entry: Named, base: string): Named {
  const { inner, fields } = PATH_FIELDS[section];
  const body = { ...((entry[inner] as Record<string, unknown>) ?? {}) };
  for (const field of fields) {
    const value = body[field];
    if (typeof value === "string" && value !== "") body[field] = resolvePath(value, base);
  }
  const exec = body.exec as Record<string, unknown> | undefined;
  if (exec && typeof exec.command === "string" && exec.command.includes("/") && !isAbsolute(exec.command)) {
    body.exec = { ...exec, command: resolve(base, exec.command) };
  }
  return { ...entry, [inner]: body };
}

function resolvePath(p: string, base: string): string {
  const expanded = expandHome(p);
  return isAbsolute(expanded) ? expanded : resolve(base, expanded);
}

/** kubectl's --request-timeout: "0" (none), a number of seconds, or a duration such as 5s or 1m. */
export function parseRequestTimeout(value: string | undefined): number {
  if (value === undefined || value === "" || value === "0") return 0;
  const seconds = parseSeconds(value);
  if (seconds === undefined) {
    throw new UsageError(`flag --request-timeout: '${value}' is not a duration (examples: 0, 30, 5s, 1m)`);
  }
  return Math.round(seconds * 1000);
}

/** Resolve flags + KUBECONFIG into one cluster to talk to, or a UsageError naming what is wrong. */
export function loadClusterTarget(flags: KubeFlags, env: NodeJS.ProcessEnv = process.env): ClusterTarget {
  const requestTimeoutMs = parseRequestTimeout(flags.requestTimeout);
  const files = kubeconfigFiles(flags.kubeconfig, env);
  const merged = mergeKubeconfigs(files);
  const where = files.join(", ");

  const contextName = flags.context || merged.currentContext;
  if (!contextName) {
    throw new UsageError(`no current context in ${where}: pass --context (contexts: ${names(merged.contexts)})`);
  }
  const context = merged.contexts.find((c) => c.name === contextName);
  if (!context) {
    throw new UsageError(`context '${contextName}' not found in ${where} (contexts: ${names(merged.contexts)})`);
  }
  const ctxBody = (context.context as Record<string, unknown>) ?? {};
  const clusterName = flags.cluster || (ctxBody.cluster as string | undefined) || "";
  const userName = flags.user || (ctxBody.user as string | undefined) || "";
  const clusterEntry = merged.clusters.find((c) => c.name === clusterName);
  if (!clusterEntry && !flags.server) {
    throw new UsageError(`cluster '${clusterName}' of context '${contextName}' not found in ${where}`);
  }
  const userEntry = merged.users.find((u) => u.name === userName);
  if (flags.user && !userEntry) {
    throw new UsageError(`user '${flags.user}' not found in ${where}`);
  }

  const cluster: Record<string, unknown> = { ...((clusterEntry?.cluster as object) ?? {}) };
  const user: Record<string, unknown> = { ...((userEntry?.user as object) ?? {}) };
  const cwd = process.cwd();
  if (flags.server) cluster.server = flags.server;
  if (flags.certificateAuthority) {
    cluster["certificate-authority"] = resolvePath(flags.certificateAuthority, cwd);
    delete cluster["certificate-authority-data"];
  }
  if (flags.insecureSkipTlsVerify) cluster["insecure-skip-tls-verify"] = true;
  if (flags.tlsServerName) cluster["tls-server-name"] = flags.tlsServerName;
  if (flags.token) {
    user.token = flags.token;
    delete user.tokenFile;
  }
  if (flags.clientCertificate) {
    user["client-certificate"] = resolvePath(flags.clientCertificate, cwd);
    delete user["client-certificate-data"];
  }
  if (flags.clientKey) {
    user["client-key"] = resolvePath(flags.clientKey, cwd);
    delete user["client-key-data"];
  }
  if (flags.as) user.as = flags.as;
  if (flags.asGroup?.length && !user.as) {
    throw new UsageError("flag --as-group needs --as (the API server impersonates groups only together with a user)");
  }
  if ((flags.asGroup?.length ?? 0) > 1) {
    // client-node sends one value per header; a joined "a,b" would impersonate a group named "a,b".
    throw new UsageError("flag --as-group: only one group is supported");
  }
  if (typeof cluster.server !== "string" || cluster.server === "") {
    throw new UsageError(`cluster '${clusterName}' of context '${contextName}' has no server (in ${where})`);
  }
  for (const [field, label] of [["certificate-authority", "certificate authority"]] as const) {
    const path = cluster[field];
    if (typeof path === "string" && !existsSync(path)) {
      throw new UsageError(`${label} file ${path} of cluster '${clusterName}' does not exist`);
    }
  }
  for (const field of ["client-certificate", "client-key", "tokenFile"]) {
    const path = user[field];
    if (typeof path === "string" && !existsSync(path)) {
      throw new UsageError(`${field} file ${path} of user '${userName}' does not exist`);
    }
  }
  // Under Bun, REST calls ignore a kubeconfig proxy-url; the environment variable is honoured.
  if (typeof cluster["proxy-url"] === "string" && !env.HTTPS_PROXY) env.HTTPS_PROXY = cluster["proxy-url"];

  const single = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: clusterName || "cluster", cluster }],
    users: [{ name: userName || "user", user }],
    contexts: [{ name: contextName, context: { ...ctxBody, cluster: clusterName || "cluster", user: userName || "user" } }],
    "current-context": contextName,
  };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(dump(single));
  return {
    kubeConfig,
    contextName,
    server: cluster.server,
    files,
    requestTimeoutMs,
    impersonateGroups: flags.asGroup ?? [],
  };
}

/** Context names of the merged kubeconfig, for shell completion. */
export function contextNames(flags: Pick<KubeFlags, "kubeconfig">, env: NodeJS.ProcessEnv = process.env): string[] {
  try {
    return mergeKubeconfigs(kubeconfigFiles(flags.kubeconfig, env)).contexts.map((c) => c.name);
  } catch {
    return [];
  }
}

function names(entries: Named[]): string {
  return entries.length ? entries.map((e) => e.name).join(", ") : "none";
}
