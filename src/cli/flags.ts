// Flag definitions shared by the commands: kubectl's global connection flags, and one flag per
// setting (generated from SETTING_SPECS so flags, config file and `init` template never drift).
import type { Argv, Options } from "yargs";
import type { RawSettings } from "../config/load.ts";
import { flagName, SETTING_SPECS, type SettingKey } from "../config/settings.ts";
import type { KubeFlags } from "../kube/kubeconfig.ts";

const KUBE_FLAGS: Record<Exclude<keyof KubeFlags, "kubeconfig" | "context">, Options> = {
  cluster: { type: "string", describe: "The name of the kubeconfig cluster to use" },
  user: { type: "string", describe: "The name of the kubeconfig user to use" },
  as: { type: "string", describe: "Username to impersonate for the operation" },
  asGroup: { type: "string", describe: "Group to impersonate for the operation (repeatable)" },
  requestTimeout: { type: "string", describe: "Time limit of a single API request (0 = none), e.g. 30s" },
  server: { type: "string", alias: "s", describe: "The address and port of the Kubernetes API server" },
  token: { type: "string", describe: "Bearer token for authentication to the API server" },
  certificateAuthority: { type: "string", describe: "Path to a cert file for the certificate authority" },
  clientCertificate: { type: "string", describe: "Path to a client certificate file for TLS" },
  clientKey: { type: "string", describe: "Path to a client key file for TLS" },
  insecureSkipTlsVerify: { type: "boolean", describe: "Do not verify the server's certificate (insecure)" },
  tlsServerName: { type: "string", describe: "Server name to use for server certificate validation" },
};

/** Every connection flag by its command-line name (--kubeconfig and --context are settings). */
export const KUBE_FLAG_NAMES: readonly string[] = ["config", ...Object.keys(KUBE_FLAGS).map(flagName)];

/** clean only needs to know where to look. */
export const CLEAN_SETTINGS: readonly SettingKey[] = ["namespace", "kubeconfig", "context", "dstKubeconfig", "dstContext", "progress"];

const GLOBAL_GROUP = "Kubernetes connection (as kubectl):";
const CONNECTION_SETTINGS: readonly SettingKey[] = ["kubeconfig", "context", "dstKubeconfig", "dstContext"];
const SETTINGS_GROUP = "Check settings (also from netdoctor.yaml / config.json):";

/** The kubectl global flags and --config, on every command that talks to a cluster. */
export function withKubeFlags<T>(y: Argv<T>): Argv<T> {
  let out = y.option("config", { type: "string", describe: "Settings file (default ./netdoctor.yaml, else netctl's ./config.json)", group: GLOBAL_GROUP });
  for (const [key, opt] of Object.entries(KUBE_FLAGS)) {
    out = out.option(flagName(key), { ...opt, group: GLOBAL_GROUP });
  }
  return out;
}

/** Flags for the given settings; a flag not given stays undefined so the config file can set it. */
export function withSettingFlags<T>(y: Argv<T>, keys: readonly SettingKey[]): Argv<T> {
  let out = y;
  for (const spec of SETTING_SPECS.filter((s) => keys.includes(s.key))) {
    const shown = Array.isArray(spec.default) ? spec.default.join(",") : String(spec.default);
    const opt: Options = {
      describe: `${spec.describe}${spec.choices ? ` [${spec.choices.join("|")}]` : ""}${shown && spec.kind !== "bool" ? ` (default ${shown})` : ""}`,
      type: spec.kind === "bool" ? "boolean" : "string",
      group: CONNECTION_SETTINGS.includes(spec.key) ? GLOBAL_GROUP : SETTINGS_GROUP,
    };
    const aliases = [spec.alias, ...(EXTRA_ALIASES[spec.key] ?? [])].filter((a): a is string => !!a);
    if (aliases.length) opt.alias = aliases;
    out = out.option(flagName(spec.key), opt);
  }
  return out;
}

/** --dry-run: a flag of the invocation, never a saved setting. */
export function withDryRun<T>(y: Argv<T>): Argv<T> {
  return y.option("dry-run", { type: "boolean", describe: "Print what would be created or removed and which permissions are missing; change nothing" });
}

/** Singular spellings users reach for first, and netctl's terms. */
const EXTRA_ALIASES: Partial<Record<SettingKey, string[]>> = {
  protocols: ["protocol", "p"],
  targets: ["target"],
  nodes: ["node"],
  timeout: ["cmd-timeout"],
  concurrency: ["max-num"],
  image: ["i"],
};

type ParsedArgs = Record<string, unknown>;

export function kubeFlagsFrom(args: ParsedArgs): KubeFlags {
  const str = (k: string) => (typeof args[k] === "string" ? (args[k] as string) : undefined);
  const asGroup = args["as-group"];
  return {
    kubeconfig: str("kubeconfig"),
    context: str("context"),
    cluster: str("cluster"),
    user: str("user"),
    as: str("as"),
    asGroup: asGroup === undefined ? undefined : ([] as string[]).concat(asGroup as string | string[]),
    requestTimeout: str("request-timeout"),
    server: str("server"),
    token: str("token"),
    certificateAuthority: str("certificate-authority"),
    clientCertificate: str("client-certificate"),
    clientKey: str("client-key"),
    insecureSkipTlsVerify: args["insecure-skip-tls-verify"] === true ? true : undefined,
    tlsServerName: str("tls-server-name"),
  };
}

/** The settings the user gave as flags (and only those). */
export function settingFlagsFrom(args: ParsedArgs, keys: readonly SettingKey[]): RawSettings {
  const raw: RawSettings = {};
  for (const key of keys) {
    const value = args[flagName(key)];
    if (value !== undefined) raw[key] = value;
  }
  return raw;
}
