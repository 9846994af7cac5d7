// The document of a run: the results with what they mean. Built here, above both the results
// (which only hold and store) and the analysis (which only reads): loading a file does not analyse
// it behind anyone's back; whoever loads one and wants findings asks for them.
import { analyze } from "../analysis/findings.ts";
import type { Settings } from "../config/settings.ts";
import type { RunStats } from "../probe/run.ts";
import { nodeCount, RESULTS_API_VERSION, RESULTS_KIND, summarize, type ClusterRef, type ResultsDocument, type Sampled, type StoredResults } from "../results/document.ts";
import type { ResultSet } from "../results/set.ts";
import type { RunFloaters } from "./floaters.ts";

/** A stored document with its findings, made from its results. */
export function analyzed<T extends StoredResults>(doc: T): T & Pick<ResultsDocument, "findings"> {
  return { ...doc, findings: analyze({ results: doc.results, skipped: doc.skipped, clusters: doc.clusters, sampled: doc.summary.sampled }) };
}

/** The run's clusters as the document names them: source first. */
export function clusterRefs(floaters: RunFloaters[]): ResultsDocument["clusters"] {
  const [source, destination] = floaters.map(({ cluster }): ClusterRef => ({ context: cluster.api.target.contextName, server: cluster.api.target.server, name: cluster.name }));
  return { source: source!, ...(destination ? { destination } : {}) };
}

export function buildDocument(o: {
  /** The settings of the run, saved so a resume can repeat it. */
  settings: Settings;
  startedAt: Date;
  partial: boolean;
  /** Each cluster's floaters, settled; the source cluster first. */
  floaters: RunFloaters[];
  results: ResultSet;
  stats: RunStats;
  sampled?: Sampled;
}): StoredResults {
  const notReady = o.floaters.flatMap((f) => f.notReady);
  const late = o.floaters.flatMap((f) => f.late);
  const skippedNodes = nodeCount(notReady);
  return {
    apiVersion: RESULTS_API_VERSION,
    kind: RESULTS_KIND,
    partial: o.partial,
    startedAt: o.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    clusters: clusterRefs(o.floaters),
    run: { id: o.floaters[0]!.runId, namespace: o.settings.namespace, kept: o.settings.keep },
    settings: o.settings,
    summary: summarize(o.results, {
      nodesTotal: o.floaters.reduce((n, f) => n + f.nodesTotal, 0),
      nodesChecked: o.floaters.reduce((n, f) => n + f.nodesSelected.length, 0) - skippedNodes,
      skippedNodes,
      lateNodes: nodeCount(late),
      execs: o.stats.execs,
      retries: o.stats.retries,
      confirmations: o.stats.confirmations,
      durationMs: Date.now() - o.startedAt.getTime(),
    }, o.sampled),
    skipped: notReady,
    late,
    results: o.results,
  };
}
