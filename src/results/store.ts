// Where results live (next to the kubeconfig in use) and how they are written: atomically (temp
// file + rename), so a crash never leaves half a file; and read back with a clear error.
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { dirname, join } from "node:path";
import { UsageError } from "../errors.ts";
import type { ClusterTarget } from "../kube/kubeconfig.ts";
import { RESULTS_API_VERSION, RESULTS_KIND, type ResultsDocument } from "./document.ts";
import { fileSink, writeJson } from "./write.ts";

export function defaultResultsPath(source: ClusterTarget, destination?: ClusterTarget): string {
  const dir = join(dirname(source.files[0]!), "netdoctor");
  const name = destination ? `${source.contextName}--${destination.contextName}` : source.contextName;
  return join(dir, `${name.replace(/[^A-Za-z0-9._@-]/g, "_")}.json`);
}

export function saveResults(path: string, doc: ResultsDocument): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const sink = fileSink(tmp);
  writeJson(doc, sink);
  sink.close();
  renameSync(tmp, path);
}

export function loadResults(path: string): ResultsDocument {
  if (!existsSync(path)) throw new UsageError(`no results file at ${path} (run check first, or pass --results FILE)`);
  let doc: Partial<ResultsDocument>;
  try {
    doc = JSON.parse(readFileSync(path, "utf8")) as Partial<ResultsDocument>;
  } catch (err) {
    throw new UsageError(`results file ${path} is not valid JSON (${(err as Error).message}); run check again`);
  }
  if (doc?.apiVersion !== RESULTS_API_VERSION || doc.kind !== RESULTS_KIND || !Array.isArray(doc.results)) {
    throw new UsageError(`results file ${path} is not a netdoctor ${RESULTS_API_VERSION} results file; run check again`);
  }
  return doc as ResultsDocument;
}
