// Where results live (next to the kubeconfig in use) and how they are written: atomically (temp
// file, fsync, rename), so a crash never leaves half a file; and read back checked, with a clear
// error naming the file.
import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Settings } from "../config/settings.ts";
import { UsageError } from "../errors.ts";
import type { ClusterTarget } from "../kube/kubeconfig.ts";
import type { ResultsDocument } from "./document.ts";
import { fromNetctlResume, isNetctlResume } from "./resume.ts";
import { validateResults } from "./validate.ts";
import { writeFileAtomically, writeResultsFile } from "./write.ts";

export function defaultResultsPath(source: ClusterTarget, destination?: ClusterTarget): string {
  const dir = join(dirname(source.files[0]!), "netdoctor");
  const name = destination ? `${source.contextName}--${destination.contextName}` : source.contextName;
  return join(dir, `${name.replace(/[^A-Za-z0-9._@-]/g, "_")}.json`);
}

/** The last results for the clusters, as resume and report find them: --results, else the default
 * path, else netctl's ./resume.json when there is no other or it is newer (netctl was just run here). */
export function lastResultsFile(explicit: string, targets: { source: ClusterTarget; destination?: ClusterTarget }, cwd: string): string {
  if (explicit) return explicit;
  const ours = defaultResultsPath(targets.source, targets.destination);
  const netctl = join(cwd, "resume.json");
  if (!existsSync(netctl)) return ours;
  return !existsSync(ours) || statSync(netctl).mtimeMs > statSync(ours).mtimeMs ? netctl : ours;
}

export function saveResults(path: string, doc: ResultsDocument): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileAtomically(path, (sink) => writeResultsFile(doc, sink));
}

function readJsonFile(path: string): unknown {
  if (!existsSync(path)) throw new UsageError(`no results file at ${path} (run check first, or pass --results FILE)`);
  const text = readFileSync(path, "utf8");
  if (text.trim() === "") throw new UsageError(`results file ${path} is empty; run check again`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new UsageError(`results file ${path} is not valid JSON, perhaps truncated (${(err as Error).message}); run check again`);
  }
}

export function loadResults(path: string): ResultsDocument {
  return validateResults(readJsonFile(path), path);
}

export interface PreviousResults {
  doc: ResultsDocument;
  /** "netctl": a netctl resume.json, read but never written (new results go elsewhere). */
  writtenBy: "netdoctor" | "netctl";
}

/** netdoctor's results, or netctl's resume.json turned into failed pairs of a run in the given
 * cluster with the given settings. */
export function loadAnyResults(path: string, here: { context: string; server: string; settings: Settings }): PreviousResults {
  const raw = readJsonFile(path);
  if (isNetctlResume(raw)) return { doc: fromNetctlResume(raw, here), writtenBy: "netctl" };
  return { doc: validateResults(raw, path), writtenBy: "netdoctor" };
}

/** The results a resume starts from: as loadAnyResults, netdoctor's own checked to be for this context. */
export function loadPrevious(path: string, here: { context: string; server: string; settings: Settings }): PreviousResults {
  const previous = loadAnyResults(path, here);
  const { doc } = previous;
  if (previous.writtenBy === "netdoctor" && doc.clusters.source.context !== here.context) {
    throw new UsageError(`results file ${path} is for context '${doc.clusters.source.context}', not '${here.context}' (pass --context or --results)`);
  }
  return previous;
}
