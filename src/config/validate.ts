// Turns raw values (from a file or a flag) into typed settings, or a UsageError that names the
// setting, where it came from and what is allowed.
import { UsageError } from "../errors.ts";
import { flagName, type SettingKey, type SettingSpec } from "./settings.ts";
import { parseTarget } from "./targets.ts";

/** Where a value came from, for messages: "flag --port" or "setting 'port' in ./netdoctor.yaml". */
export function sourceLabel(key: string, file?: string): string {
  return file ? `setting '${key}' in ${file}` : `flag --${flagName(key)}`;
}

export function coerce(spec: SettingSpec, raw: unknown, source: string): unknown {
  const bad = (why: string) => new UsageError(`${source}: ${why}`);
  switch (spec.kind) {
    case "string":
      if (typeof raw === "number") return String(raw);
      if (typeof raw !== "string") throw bad(`expected a string, got ${describe(raw)}`);
      return raw.trim();
    case "bool":
      if (typeof raw === "boolean") return raw;
      if (raw === "true" || raw === "false") return raw === "true";
      throw bad(`expected true or false, got ${describe(raw)}`);
    case "int":
    case "seconds": {
      const n = spec.kind === "int" ? parseInteger(raw) : parseSeconds(raw);
      if (n === undefined) {
        throw bad(`expected ${spec.kind === "int" ? "a whole number" : "a duration such as 3, 2.5s, 500ms or 1m"}, got ${describe(raw)}`);
      }
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw bad(`${describe(raw)} is out of range: allowed ${spec.min} to ${spec.max}`);
      }
      return n;
    }
    case "enum": {
      const s = typeof raw === "string" ? raw.trim() : raw;
      if (typeof s !== "string" || !spec.choices!.includes(s)) {
        throw bad(`${describe(raw)} is not one of ${spec.choices!.join(", ")}`);
      }
      return s;
    }
    case "list":
    case "enumList": {
      const items = toList(raw);
      if (items === undefined) throw bad(`expected a list or a comma-separated string, got ${describe(raw)}`);
      if (spec.kind === "enumList") {
        if (items.length === 0) throw bad(`needs at least one of ${spec.choices!.join(", ")}`);
        for (const item of items) {
          if (!spec.choices!.includes(item) && item !== "all") throw bad(`'${item}' is not one of ${spec.choices!.join(", ")} (or all)`);
        }
        if (items.includes("all")) return [...spec.choices!];
        return [...new Set(items)];
      }
      return items;
    }
  }
}

/** Checks beyond a setting's type, for the values that reach a floater's probe script. */
export function checkValue(key: SettingKey, value: unknown, source: string): void {
  const bad = (v: string, why: string) => new UsageError(`${source}: ${describe(v)} ${why}`);
  switch (key) {
    case "targets":
      for (const t of value as string[]) if (!parseTarget(t)) throw bad(t, "is not IP, IP:PORT or [IPv6]:PORT with a port of 1-65535");
      break;
    case "dnsName":
      if (value !== "" && !isDnsName(value as string)) throw bad(value as string, "is not a DNS name (dot-separated labels of 1-63 letters, digits, '-' or '_', not starting or ending with '-'; 253 characters at most)");
      break;
    case "dnsServer":
      if (value !== "" && !parseTarget(value as string)) throw bad(value as string, "is not a DNS server: IP, IP:PORT or [IPv6]:PORT with a port of 1-65535");
      break;
  }
}

// RFC 1123 labels, and '_' too: the probe resolves DNS names, not only host names, and DNS allows
// any label (RFC 2181 section 11), e.g. SRV-style _service._tcp names. '_' means nothing to a shell.
const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

/** A DNS name: labels as above, an optional trailing dot, 253 characters at most without it. */
function isDnsName(name: string): boolean {
  const bare = name.endsWith(".") ? name.slice(0, -1) : name;
  return bare.length > 0 && bare.length <= 253 && bare.split(".").every((label) => LABEL.test(label));
}

function toList(raw: unknown): string[] | undefined {
  const parts = Array.isArray(raw) ? raw : typeof raw === "string" ? [raw] : undefined;
  if (!parts || parts.some((p) => typeof p !== "string" && typeof p !== "number")) return undefined;
  return parts
    .flatMap((p) => String(p).split(","))
    .map((p) => p.trim())
    .filter((p) => p !== "");
}

function parseInteger(raw: unknown): number | undefined {
  const n = typeof raw === "number" ? raw : typeof raw === "string" && /^\s*-?\d+\s*$/.test(raw) ? Number(raw) : NaN;
  return Number.isInteger(n) ? n : undefined;
}

/** Seconds from 3, "3", "2.5s", "500ms", "1m". */
export function parseSeconds(raw: unknown): number | undefined {
  if (typeof raw === "number") return Number.isFinite(raw) ? raw : undefined;
  if (typeof raw !== "string") return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(raw);
  if (!m) return undefined;
  const unit = { ms: 0.001, s: 1, m: 60, h: 3600 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  return Number(m[1]) * unit;
}

function describe(raw: unknown): string {
  // Control characters escaped: a message stays on one line whatever the value holds.
  if (typeof raw === "string") return `'${raw.replace(/[\x00-\x1f]/g, (c) => JSON.stringify(c).slice(1, -1))}'`;
  if (raw === null) return "null";
  if (Array.isArray(raw)) return "a list";
  if (typeof raw === "object") return "a mapping";
  return String(raw);
}

/** The known name closest to an unknown one, if it is close enough to be a typo. */
export function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const d = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
