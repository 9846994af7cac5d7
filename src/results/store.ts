// Where results live (next to the kubeconfig in use) and how they are written: atomically (temp
// file, fsync, rename), so a crash never leaves half a file; and read back checked, with a clear
// error naming the file.
import { existsSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Settings } from "../config/settings.ts";
import { UsageError } from "../errors.ts";
import type { ClusterTarget } from "../kube/kubeconfig.ts";
import { serverIdentity } from "../kube/server.ts";
import type { ResultsDocument, StoredResults } from "./document.ts";
import { fromNetctlResume, isNetctlResume } from "./resume.ts";
import { validateResults } from "./validate.ts";
import { writeFileAtomically, writeResultsFile } from "./write.ts";

/** A cluster as a results file knows it: its context name, and its server (the identity: two
 * kubeconfigs may name different clusters alike). */
type Named = Pick<ClusterTarget, "contextName" | "server" | "files">;

/** <kubeconfig dir>/netdoctor/<context>@<server host>.json (source--destination across two):
 * predictable, and distinct for two clusters whose kubeconfigs use the same context name. Any
 * character a file name should not hold becomes "_"; a very long name keeps a hash of the rest. */
export function defaultResultsPath(source: Named, destination?: Named): string {
  const part = (c: Named) => `${c.contextName}@${serverHost(c.server)}`;
  const name = destination ? `${part(source)}--${part(destination)}` : part(source);
  return join(resultsDir(source), `${fileSafe(name)}.json`);
}

/** Where results were saved before the server was in the name: found again by resume and report. */
function legacyResultsPath(source: Named, destination?: Named): string {
  const name = destination ? `${source.contextName}--${destination.contextName}` : source.contextName;
  return join(resultsDir(source), `${name.replace(/[^A-Za-z0-9._@-]/g, "_")}.json`);
}

const resultsDir = (c: Named) => join(dirname(c.files[0]!), "netdoctor");

function serverHost(server: string): string {
  try {
    return new URL(server).host || server;
  } catch {
    return server;
  }
}

function fileSafe(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._@-]/g, "_");
  if (safe.length <= 200) return safe;
  return `${safe.slice(0, 180)}-${Bun.hash(name).toString(36)}`;
}

/** The last results for the clusters, as resume and report find them: --results, else the default
 * path (or where an earlier version saved it), else netctl's ./resume.json when there is no other
 * or it is newer (netctl was just run here). */
export function lastResultsFile(explicit: string, targets: { source: Named; destination?: Named }, cwd: string): string {
  if (explicit) return explicit;
  const current = defaultResultsPath(targets.source, targets.destination);
  const legacy = legacyResultsPath(targets.source, targets.destination);
  const ours = existsSync(current) || !existsSync(legacy) ? current : legacy;
  const netctl = join(cwd, "resume.json");
  if (!existsSync(netctl)) return ours;
  return !existsSync(ours) || statSync(netctl).mtimeMs > statSync(ours).mtimeMs ? netctl : ours;
}

/** Said before anything is created, not after a long run: the results' folder can be made and
 * written (a kubeconfig mounted read-only from a Secret cannot take them beside it). */
export function assertResultsWritable(path: string): void {
  const hint = "pass --results FILE to save them elsewhere";
  try {
    mkdirSync(dirname(path), { recursive: true });
    if (existsSync(path) && statSync(path).isDirectory()) throw new Error("it is a directory");
    const probe = join(dirname(path), `.netdoctor-write-test-${process.pid}`);
    writeFileSync(probe, "");
    unlinkSync(probe);
  } catch (err) {
    throw new UsageError(`cannot save the results to ${path}: ${(err as Error).message.replace(/^[A-Z]+: /, "")}; ${hint}`);
  }
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

export function loadResults(path: string): StoredResults {
  return validateResults(readJsonFile(path), path);
}

export interface PreviousResults {
  doc: StoredResults;
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
  // A cluster is its server; files without one (hand-made) are matched by context name.
  const was = doc.clusters.source;
  const same = was.server ? serverIdentity(was.server) === serverIdentity(here.server) : was.context === here.context;
  if (previous.writtenBy === "netdoctor" && !same) {
    throw new UsageError(`results file ${path} is for context '${was.context}'${was.server ? ` (${was.server})` : ""}, not '${here.context}' (${here.server}) (pass --context or --results)`);
  }
  return previous;
}
