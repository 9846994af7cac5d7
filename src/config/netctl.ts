// The original netctl's config.json keys, translated into netdoctor settings so an existing
// config.json keeps working. Returned values are still raw: the caller validates them.
import type { SettingKey } from "./settings.ts";

export const NETCTL_KEYS = [
  "namespace", "version", "mode", "protocol", "podWaitTime", "port", "maxNum", "cmdTimeout",
  "autoClean", "srcKubeConfig", "srcImageRepository", "dstKubeConfig", "dstImageRepository",
  "customizedTargetIPList", "customizedTargetPortList", "targetDNSServer", "targetHostToLookup",
] as const;

type NetctlKey = (typeof NETCTL_KEYS)[number];

const RENAMED: Partial<Record<NetctlKey, SettingKey>> = {
  podWaitTime: "podWaitTimeout",
  maxNum: "concurrency",
  cmdTimeout: "timeout",
  srcKubeConfig: "kubeconfig",
  srcImageRepository: "imageRepository",
  dstKubeConfig: "dstKubeconfig",
  targetDNSServer: "dnsServer",
  targetHostToLookup: "dnsName",
};

export function isNetctlOnlyKey(key: string): boolean {
  return (NETCTL_KEYS as readonly string[]).includes(key) && !["namespace", "mode", "port", "dstImageRepository"].includes(key);
}

export interface NetctlTranslation {
  values: Partial<Record<SettingKey, unknown>>;
  /** The netctl key each value came from, so messages name what the user wrote. */
  origins: Partial<Record<SettingKey, string>>;
  warnings: string[];
}

/** Translate the netctl keys of a parsed file; keys that are not netctl's are left to the caller. */
export function translateNetctl(raw: Record<string, unknown>): NetctlTranslation {
  const values: Partial<Record<SettingKey, unknown>> = {};
  const origins: Partial<Record<SettingKey, string>> = {};
  const warnings: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (!isNetctlOnlyKey(key)) continue;
    const renamed = RENAMED[key as NetctlKey];
    if (renamed) {
      values[renamed] = value;
      origins[renamed] = key;
    }
  }
  if ("protocol" in raw) {
    origins.protocols = "protocol";
    // netctl: "tcp" and "dns" as named, anything else is a ping.
    const p = raw.protocol;
    values.protocols = p === "tcp" || p === "dns" ? [p] : p === "icmp" || p === "ping" ? ["icmp"] : p;
  }
  if ("autoClean" in raw) {
    origins.keep = "autoClean";
    values.keep = typeof raw.autoClean === "boolean" ? !raw.autoClean : raw.autoClean;
  }
  if ("version" in raw) {
    warnings.push(
      `config.json 'version' (${JSON.stringify(raw.version)}) names netctl's own floater image tag; netdoctor uses a stock image: set 'image' to choose it`,
    );
  }
  const ips = raw.customizedTargetIPList;
  const ports = raw.customizedTargetPortList;
  if (ips !== undefined || ports !== undefined) {
    values.targets = netctlTargets(ips, ports);
    origins.targets = "customizedTargetIPList";
  }
  return { values, origins, warnings };
}

/** netctl probes every listed IP on every listed port; with no ports, the IP alone (a ping). */
function netctlTargets(ips: unknown, ports: unknown): unknown {
  if (!Array.isArray(ips) || (ports !== undefined && !Array.isArray(ports))) return ips;
  const portList = (ports as unknown[] | undefined) ?? [];
  if (portList.length === 0) return ips;
  return ips.flatMap((ip) => portList.map((port) => `${ip}:${port}`));
}
