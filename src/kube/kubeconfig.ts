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
  { key: "requestTimeout", kind: "string", describe: "Time limit of a single API request, e.g. 1m (default 30s; 0 = none; exec streams have their own)" },
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
  /** 0 means no limit (an explicit --request-timeout=0, as kubectl's). */
  requestTimeoutMs: number;
  /** Impersonated groups, sent as Impersonate-Group headers. */
  impersonateGroups: string[];
  /** The cluster's proxy-url: under Bun, REST calls ignore it, so the caller applies it
   * (HTTPS_PROXY) at the process edge. */
  proxyUrl?: string;
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

/** A request's time limit when --request-timeout is not given. kubectl's default is none, but then
 * a stalled API server holds a run forever; every list netdoctor makes answers in a few seconds
 * even at 5,000 nodes. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** kubectl's --request-timeout: "0" (none), a number of seconds, or a duration such as 5s or 1m;
 * not given: DEFAULT_REQUEST_TIMEOUT_MS. */
export function parseRequestTimeout(value: string | undefined): number {
  if (value === undefined || value === "") return DEFAULT_REQUEST_TIMEOUT_MS;
  const seconds = parseSeconds(value);
  if (seconds === undefined) {
    throw new UsageError(`flag --request-timeout: '${value}' is not a duration (examples: 0, 30, 5s, 1m)`);
  }
  return Math.round(seconds * 1000);
}

/** The chosen context's cluster and user entries, as the kubeconfig has them. */
interface Chosen {
  contextName: string;
  context: Record<string, unknown>;
  clusterName: string;
  userName: string;
  cluster: Record<string, unknown>;
  user: Record<string, unknown>;
}

/** Resolve flags + KUBECONFIG into one cluster to talk to, or a UsageError naming what is wrong.
 * Reads the kubeconfig files and checks the files they name; changes nothing. */
export function loadClusterTarget(flags: KubeFlags, env: NodeJS.ProcessEnv = process.env): ClusterTarget {
  const requestTimeoutMs = parseRequestTimeout(flags.requestTimeout);
  const files = kubeconfigFiles(flags.kubeconfig, env);
  const where = files.join(", ");
  const chosen = applyFlags(chooseEntries(mergeKubeconfigs(files), flags, where), flags, process.cwd());
  checkEntries(chosen, where);
  return {
    kubeConfig: clientConfig(chosen),
    contextName: chosen.contextName,
    server: chosen.cluster.server as string,
    files,
    requestTimeoutMs,
    impersonateGroups: flags.asGroup ?? [],
    ...(typeof chosen.cluster["proxy-url"] === "string" ? { proxyUrl: chosen.cluster["proxy-url"] } : {}),
  };
}

/** The context (--context, else current-context) and its cluster and user (--cluster, --user). Pure. */
export function chooseEntries(merged: RawMerged, flags: KubeFlags, where: string): Chosen {
  const contextName = flags.context || merged.currentContext;
  if (!contextName) {
    throw new UsageError(`no current context in ${where}: pass --context (contexts: ${names(merged.contexts)})`);
  }
  const entry = merged.contexts.find((c) => c.name === contextName);
  if (!entry) {
    throw new UsageError(`context '${contextName}' not found in ${where} (contexts: ${names(merged.contexts)})`);
  }
  const context = (entry.context as Record<string, unknown>) ?? {};
  const clusterName = flags.cluster || (context.cluster as string | undefined) || "";
  const userName = flags.user || (context.user as string | undefined) || "";
  const clusterEntry = merged.clusters.find((c) => c.name === clusterName);
  if (!clusterEntry && !flags.server) {
    throw new UsageError(`cluster '${clusterName}' of context '${contextName}' not found in ${where}`);
  }
  const userEntry = merged.users.find((u) => u.name === userName);
  if (flags.user && !userEntry) {
    throw new UsageError(`user '${flags.user}' not found in ${where}`);
  }
  return {
    contextName, context, clusterName, userName,
    cluster: { ...((clusterEntry?.cluster as object) ?? {}) },
    user: { ...((userEntry?.user as object) ?? {}) },
  };
}

/** kubectl's global flags over the chosen entries (paths relative to `cwd`). Pure. */
export function applyFlags(chosen: Chosen, flags: KubeFlags, cwd: string): Chosen {
  const cluster = { ...chosen.cluster };
  const user = { ...chosen.user };
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
  return { ...chosen, cluster, user };
}

/** A server to talk to, and every file the entries name present. */
function checkEntries(c: Chosen, where: string): void {
  if (typeof c.cluster.server !== "string" || c.cluster.server === "") {
    throw new UsageError(`cluster '${c.clusterName}' of context '${c.contextName}' has no server (in ${where})`);
  }
  const path = c.cluster["certificate-authority"];
  if (typeof path === "string" && !existsSync(path)) {
    throw new UsageError(`certificate authority file ${path} of cluster '${c.clusterName}' does not exist`);
  }
  for (const field of ["client-certificate", "client-key", "tokenFile"]) {
    const file = c.user[field];
    if (typeof file === "string" && !existsSync(file)) {
      throw new UsageError(`${field} file ${file} of user '${c.userName}' does not exist`);
    }
  }
}

/** A one-context kubeconfig for client-node, which would otherwise merge by its own rules. */
function clientConfig(c: Chosen): KubeConfig {
  const clusterName = c.clusterName || "cluster";
  const userName = c.userName || "user";
  const single = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: clusterName, cluster: c.cluster }],
    users: [{ name: userName, user: c.user }],
    contexts: [{ name: c.contextName, context: { ...c.context, cluster: clusterName, user: userName } }],
    "current-context": c.contextName,
  };
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromString(dump(single));
  return kubeConfig;
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
