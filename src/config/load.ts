// Settings come from flags, then a config file (--config, else ./netdoctor.yaml, else netctl's
// ./config.json), then defaults. This module finds, parses and merges them.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { load, YAMLException } from "js-yaml";
import { UsageError } from "../errors.ts";
import { NETCTL_KEYS, isNetctlOnlyKey, translateNetctl } from "./netctl.ts";
import { defaultSettings, SETTING_KEYS, specOf, type SettingKey, type Settings } from "./settings.ts";
import { checkValue, closest, coerce, sourceLabel } from "./validate.ts";

export type RawSettings = Partial<Record<SettingKey, unknown>>;

export interface ResolvedSettings {
  settings: Settings;
  /** The config file that was read, if any. */
  file?: string;
  warnings: string[];
}

export function resolveSettings(flags: RawSettings, opts: { configPath?: string; cwd: string }): ResolvedSettings {
  const file = findConfigFile(opts.configPath, opts.cwd);
  const settings = defaultSettings();
  const warnings: string[] = [];
  if (file) {
    const parsed = readConfigFile(file);
    warnings.push(...parsed.warnings);
    applyRaw(settings, parsed.values, (key) => sourceLabel(parsed.origins[key] ?? key, file));
  }
  applyRaw(settings, flags, (key) => sourceLabel(key));
  return { settings, file, warnings };
}

/** Settings saved with a run (a results file): defaults, then every saved value checked as a
 * setting; `label` says where a bad value came from. */
export function settingsFrom(raw: RawSettings, label: (key: SettingKey) => string): Settings {
  const settings = defaultSettings();
  applyRaw(settings, raw, label);
  return settings;
}

function findConfigFile(explicit: string | undefined, cwd: string): string | undefined {
  if (explicit) {
    if (!existsSync(explicit)) throw new UsageError(`config file ${explicit} does not exist`);
    return explicit;
  }
  for (const name of ["netdoctor.yaml", "config.json"]) {
    const candidate = join(cwd, name);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Parse a netdoctor.yaml or netctl config.json; both vocabularies are accepted in either. */
export function readConfigFile(file: string): { values: RawSettings; origins: Partial<Record<SettingKey, string>>; warnings: string[] } {
  const text = readFileSync(file, "utf8");
  let doc: unknown;
  try {
    doc = load(text, { filename: file });
  } catch (err) {
    if (err instanceof YAMLException) {
      const line = err.mark ? `:${err.mark.line + 1}` : "";
      throw new UsageError(`${file}${line}: malformed ${file.endsWith(".json") ? "JSON" : "YAML"}: ${err.reason}`);
    }
    throw err;
  }
  if (doc === undefined || doc === null) return { values: {}, origins: {}, warnings: [] };
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new UsageError(`${file}: expected a mapping of settings at the top level`);
  }
  const raw = doc as Record<string, unknown>;
  const known = [...SETTING_KEYS, ...NETCTL_KEYS];
  for (const key of Object.keys(raw)) {
    if (!known.includes(key as never)) {
      const hint = closest(key, known);
      throw new UsageError(`${file}: unknown setting '${key}'${hint ? ` (did you mean '${hint}'?)` : ""}`);
    }
  }
  const { values, origins, warnings } = translateNetctl(raw);
  for (const [key, value] of Object.entries(raw)) {
    if (!isNetctlOnlyKey(key)) values[key as SettingKey] = value;
  }
  return { values, origins, warnings };
}

function applyRaw(settings: Settings, raw: RawSettings, label: (key: SettingKey) => string): void {
  const target = settings as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(raw) as [SettingKey, unknown][]) {
    if (value === undefined) continue;
    target[key] = coerce(specOf(key), value, label(key));
    checkValue(key, target[key], label(key));
  }
}
