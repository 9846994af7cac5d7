// A saved results file is user input (edited, truncated, from another version): every field a
// resume or report reads is checked here, and a bad one is a UsageError naming the file and the
// field, never a TypeError later. Settings are filled from defaults and checked as settings. Pure.
import { PROTOCOLS, SETTING_KEYS, type SettingKey, type Settings } from "../config/settings.ts";
import { settingsFrom } from "../config/load.ts";
import { UsageError } from "../errors.ts";
import { REASON_CODES } from "../probe/reasons.ts";
import { COMPACT_API_VERSION, COMPACT_V2_API_VERSION, RESULTS_API_VERSION, RESULTS_KIND, type ResultRecord, type StoredResults, type Summary } from "./document.ts";
import { readMesh } from "./compact.ts";
import { ResultSet } from "./set.ts";

const STATUSES = ["Succeeded", "Failed", "Error"] as const;
const FAMILIES = ["ipv4", "ipv6"] as const;
const COUNTS = ["nodesTotal", "nodesChecked", "pairs", "succeeded", "failed", "errors", "skippedNodes", "execs", "retries", "durationMs"] as const;

type Json = Record<string, unknown>;

export function validateResults(raw: unknown, file: string): StoredResults {
  const bad = (field: string, why: string) => new UsageError(`results file ${file}: ${field} ${why}; run check again (or pass another --results)`);
  const object = (v: unknown, field: string): Json => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad(field, v === undefined ? "is missing" : "is not an object");
    return v as Json;
  };
  const array = (v: unknown, field: string): unknown[] => {
    if (!Array.isArray(v)) throw bad(field, v === undefined ? "is missing" : "is not a list");
    return v;
  };
  const string = (v: unknown, field: string): string => {
    if (typeof v !== "string") throw bad(field, v === undefined ? "is missing" : "is not a string");
    return v;
  };
  const oneOf = <T extends string>(v: unknown, allowed: readonly T[], field: string): T => {
    if (!allowed.includes(v as T)) throw bad(field, v === undefined ? "is missing" : `is ${JSON.stringify(v)}, not one of ${allowed.join(", ")}`);
    return v as T;
  };
  const number = (v: unknown, field: string): number | undefined => {
    if (v === undefined) return undefined;
    if (typeof v !== "number" || !Number.isFinite(v)) throw bad(field, "is not a number");
    return v;
  };

  if (Array.isArray(raw)) throw new UsageError(`results file ${file} is a list but not netctl's resume.json (each row needs srcNodeName, dstNodeName and targetIP); run check again`);
  const doc = object(raw, "the document");
  // v1: every pair a record (-o json, and results files before v2); v2: the compact form.
  const compact = doc.apiVersion === COMPACT_API_VERSION || doc.apiVersion === COMPACT_V2_API_VERSION;
  if ((doc.apiVersion !== RESULTS_API_VERSION && !compact) || doc.kind !== RESULTS_KIND) {
    throw new UsageError(`results file ${file} is not a netdoctor ${RESULTS_KIND} file (apiVersion ${JSON.stringify(doc.apiVersion)}, kind ${JSON.stringify(doc.kind)}; ${RESULTS_API_VERSION}, ${COMPACT_V2_API_VERSION} or ${COMPACT_API_VERSION} expected); run check again`);
  }
  const clusters = object(doc.clusters, "clusters");
  const cluster = (v: unknown, field: string) => {
    const c = object(v, field);
    const context = string(c.context, `${field}.context`);
    return { context, server: typeof c.server === "string" ? c.server : "", name: typeof c.name === "string" ? c.name : context };
  };
  const run = doc.run === undefined ? { id: "", namespace: "", kept: false } : object(doc.run, "run");
  const summary = object(doc.summary, "summary");
  const settings = object(doc.settings, "settings");
  const unknownSetting = Object.keys(settings).find((k) => !SETTING_KEYS.includes(k as SettingKey));
  if (unknownSetting) throw bad(`settings.${unknownSetting}`, "is not a netdoctor setting");

  const records = array(doc.results, "results").map((v, k): ResultRecord => {
    const at = `results[${k}]`;
    const r = object(v, at);
    const src = object(r.source, `${at}.source`);
    const dst = object(r.target, `${at}.target`);
    return {
      source: { cluster: string(src.cluster, `${at}.source.cluster`), node: string(src.node, `${at}.source.node`), ip: typeof src.ip === "string" ? src.ip : "" },
      target: {
        cluster: typeof dst.cluster === "string" ? dst.cluster : "",
        node: typeof dst.node === "string" ? dst.node : "",
        ip: string(dst.ip, `${at}.target.ip`),
        ...(dst.port !== undefined ? { port: number(dst.port, `${at}.target.port`) } : {}),
        ...(typeof dst.name === "string" ? { name: dst.name } : {}),
      },
      protocol: oneOf(r.protocol, PROTOCOLS, `${at}.protocol`),
      family: oneOf(r.family, FAMILIES, `${at}.family`),
      ...(r.custom === true ? { custom: true } : {}),
      status: oneOf(r.status, STATUSES, `${at}.status`),
      reason: typeof r.reason === "string" ? r.reason : "",
      ...(r.reasonCode !== undefined ? { reasonCode: oneOf(r.reasonCode, REASON_CODES, `${at}.reasonCode`) } : {}),
      ...(r.rttMs !== undefined ? { rttMs: number(r.rttMs, `${at}.rttMs`) } : {}),
      ...(r.lossPct !== undefined ? { lossPct: number(r.lossPct, `${at}.lossPct`) } : {}),
    };
  });
  const skipped = (doc.skipped === undefined ? [] : array(doc.skipped, "skipped")).map((v, k) => {
    const s = object(v, `skipped[${k}]`);
    return { cluster: string(s.cluster, `skipped[${k}].cluster`), node: string(s.node, `skipped[${k}].node`), reason: typeof s.reason === "string" ? s.reason : "" };
  });
  const late = doc.late === undefined ? undefined : array(doc.late, "late").map((v, k) => {
    const s = object(v, `late[${k}]`);
    return {
      cluster: string(s.cluster, `late[${k}].cluster`), node: string(s.node, `late[${k}].node`), reason: typeof s.reason === "string" ? s.reason : "",
      readyAfterMs: number(s.readyAfterMs, `late[${k}].readyAfterMs`) ?? 0,
    };
  });
  const results = compact ? readMesh(doc.mesh, records, bad) : ResultSet.fromRecords(records);
  const counts = Object.fromEntries(COUNTS.map((c) => [c, number(summary[c], `summary.${c}`) ?? 0])) as Omit<Summary, "directions" | "sampled" | "confirmations">;

  const clustersOf = { source: cluster(clusters.source, "clusters.source"), ...(clusters.destination !== undefined ? { destination: cluster(clusters.destination, "clusters.destination") } : {}) };
  return {
    apiVersion: RESULTS_API_VERSION,
    kind: RESULTS_KIND,
    partial: doc.partial === true,
    startedAt: typeof doc.startedAt === "string" ? doc.startedAt : "",
    finishedAt: typeof doc.finishedAt === "string" ? doc.finishedAt : "",
    clusters: clustersOf,
    run: { id: typeof run.id === "string" ? run.id : "", namespace: typeof run.namespace === "string" ? run.namespace : "", kept: run.kept === true },
    settings: settingsFrom(settings, (key) => `results file ${file}: field settings.${key}`) as Settings,
    summary: {
      ...counts,
      ...(summary.confirmations !== undefined ? { confirmations: number(summary.confirmations, "summary.confirmations") } : {}),
      ...(summary.lateNodes !== undefined ? { lateNodes: number(summary.lateNodes, "summary.lateNodes") } : {}),
      ...(Array.isArray(summary.directions) ? { directions: summary.directions as Summary["directions"] } : {}),
      ...(summary.sampled ? { sampled: summary.sampled as Summary["sampled"] } : {}),
    },
    skipped,
    ...(late ? { late } : {}),
    results,
  };
}
