// Flag definitions shared by the commands: kubectl's global connection flags, and one flag per
// setting (generated from SETTING_SPECS so flags, config file and `init` template never drift).
import type { Argv, Options } from "yargs";
import type { RawSettings } from "../config/load.ts";
import { flagName, SETTING_SPECS, type SettingKey } from "../config/settings.ts";
import { KUBE_FLAG_SPECS, type KubeFlags } from "../kube/kubeconfig.ts";

/** Every connection flag by its command-line name (--kubeconfig and --context are settings). */
export const KUBE_FLAG_NAMES: readonly string[] = ["config", ...KUBE_FLAG_SPECS.map((f) => flagName(f.key))];

/** report only needs to know which results are the last ones (it never contacts a cluster). */
export const REPORT_SETTINGS: readonly SettingKey[] = ["kubeconfig", "context", "dstKubeconfig", "dstContext"];

/** clean only needs to know where to look. */
export const CLEAN_SETTINGS: readonly SettingKey[] = ["namespace", "kubeconfig", "context", "dstKubeconfig", "dstContext", "progress"];

const GLOBAL_GROUP = "Kubernetes connection (as kubectl):";
const CONNECTION_SETTINGS: readonly SettingKey[] = ["kubeconfig", "context", "dstKubeconfig", "dstContext"];
const SETTINGS_GROUP = "Check settings (also from netdoctor.yaml / config.json):";

/** The kubectl global flags and --config, on every command that talks to a cluster. */
export function withKubeFlags<T>(y: Argv<T>): Argv<T> {
  let out = y.option("config", { type: "string", describe: "Settings file (default ./netdoctor.yaml, else netctl's ./config.json)", group: GLOBAL_GROUP });
  for (const f of KUBE_FLAG_SPECS) {
    const type = f.kind === "bool" ? "boolean" : "string";
    out = out.option(flagName(f.key), { type, describe: f.describe, group: GLOBAL_GROUP, ...(f.alias ? { alias: f.alias } : {}) });
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

/** Report files a run writes beside its normal output: flags of the invocation, never saved settings. */
export interface ReportFiles {
  html?: string;
  junit?: string;
}

export function withReportFiles<T>(y: Argv<T>): Argv<T> {
  return y
    .option("html", { type: "string", describe: "Also write the HTML report (matrices, findings) to FILE" })
    .option("junit", { type: "string", describe: "Also write JUnit XML (a testcase per pair) to FILE, for CI" });
}

export function reportFilesFrom(args: ParsedArgs): ReportFiles {
  const str = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const [html, junit] = [str(args.html), str(args.junit)];
  return { ...(html ? { html } : {}), ...(junit ? { junit } : {}) };
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
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  const flags: Record<string, unknown> = { kubeconfig: str(args.kubeconfig), context: str(args.context) };
  for (const f of KUBE_FLAG_SPECS) {
    const v = args[flagName(f.key)];
    if (f.kind === "bool") flags[f.key] = v === true ? true : undefined;
    else if (f.kind === "list") flags[f.key] = v === undefined ? undefined : ([] as unknown[]).concat(v).filter((x): x is string => typeof x === "string");
    else flags[f.key] = str(v);
  }
  return flags as KubeFlags;
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
