// Results documents for report tests: the recorded 4-node run with a one-way drop, and synthetic
// meshes of any size.
import { join } from "node:path";
import { defaultSettings } from "../../src/config/settings.ts";
import { analyze } from "../../src/analysis/findings.ts";
import { summarize, type ResultRecord, type ResultsDocument } from "../../src/results/document.ts";
import { loadResults } from "../../src/results/store.ts";
import { analyzed } from "../../src/engine/document.ts";
import { ResultSet } from "../../src/results/set.ts";
import type { Sink } from "../../src/results/write.ts";

/** 4 nodes node-a1..a4, icmp+tcp, node-a1 -> node-a2 dropped one way (2 failing pairs). */
export const FOUR_NODES = join(import.meta.dir, "..", "fixtures", "results-4-nodes-one-way-drop.json");

export function fourNodes(): ResultsDocument {
  return analyzed(loadResults(FOUR_NODES));
}

/** A full icmp+tcp mesh of n nodes in one context; `fault` may turn any pair into a failure. */
export function mesh(n: number, fault: (src: number, dst: number, protocol: "icmp" | "tcp") => Partial<ResultRecord> | undefined = () => undefined, context = "big"): ResultsDocument {
  const name = (k: number) => `node-${String(k + 1).padStart(3, "0")}`;
  const ip = (k: number) => `10.${(k >> 8) & 255}.${k & 255}.10`;
  const records: ResultRecord[] = [];
  for (let s = 0; s < n; s++) {
    for (let t = 0; t < n; t++) {
      if (s === t) continue;
      for (const protocol of ["icmp", "tcp"] as const) {
        const base: ResultRecord = {
          source: { cluster: context, node: name(s), ip: ip(s) },
          target: { cluster: context, node: name(t), ip: ip(t), ...(protocol === "tcp" ? { port: 8889 } : {}) },
          protocol, family: "ipv4", status: "Succeeded", reason: "", reasonCode: "ok",
          ...(protocol === "icmp" ? { rttMs: 0.05 + ((s * 7 + t * 13) % 100) / 200, lossPct: 0 } : {}),
        };
        records.push({ ...base, ...fault(s, t, protocol) });
      }
    }
  }
  const clusters = { source: { context, server: "https://127.0.0.1:6443" } };
  const results = ResultSet.fromRecords(records);
  return {
    apiVersion: "netdoctor.io/v1", kind: "CheckResults", partial: false, startedAt: "2026-11-28T10:00:00.000Z", finishedAt: "2026-11-28T10:08:00.000Z",
    clusters, run: { id: "r", namespace: "netdoctor", kept: false }, settings: defaultSettings(),
    summary: summarize(results, { nodesTotal: n, nodesChecked: n, skippedNodes: 0, execs: n, retries: 0, durationMs: 480_000 }),
    findings: analyze({ results, skipped: [], clusters }), skipped: [], results,
  };
}

/** Everything written to a sink, as one string. */
export function collect(write: (sink: Sink) => void): string {
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  write({ write: (c) => void chunks.push(typeof c === "string" ? c : decoder.decode(c)) });
  return chunks.join("");
}
