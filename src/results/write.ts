// Writing a results document without ever holding it as one string: the envelope is pretty JSON
// (or YAML), the results follow one per line (-o json|yaml: every pair; a 5,000-node check has 25
// million), or the compact form of the results file (compact.ts).
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { writeAllSync } from "../runtime/io.ts";
import { dump } from "js-yaml";
import { COMPACT_API_VERSION, RESULTS_API_VERSION, type ResultRecord, type ResultsDocument } from "./document.ts";
import { writeMesh } from "./compact.ts";

export interface Sink {
  write(chunk: string | Uint8Array): void;
}

const MARK = "@@results@@";
const CHUNK = 1 << 20;

/** Records in batches, so a sink sees a few large writes rather than many small ones. */
function* batches(doc: ResultsDocument, line: (r: ResultRecord) => string): Generator<string> {
  let buffer = "";
  for (const r of doc.results) {
    buffer += line(r);
    if (buffer.length > CHUNK) {
      yield buffer;
      buffer = "";
    }
  }
  if (buffer) yield buffer;
}

/** Printable ASCII but `"` and `\`: written as is between quotes. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** JSON of the results straight into a reused byte buffer, as JSON.stringify would write it.
 * A string per record (JSON.stringify, then joined) made 120 MB of garbage at 500 nodes, which
 * the collector let pile up: +250 MB RSS while saving. This makes none but number strings. */
class JsonBytes {
  private readonly buf = Buffer.allocUnsafe(CHUNK + (64 << 10));
  private n = 0;
  constructor(private readonly sink: Sink) {}

  raw(ascii: string): void {
    this.n += this.buf.write(ascii, this.n, "latin1");
  }

  string(s: string): void {
    if (PLAIN.test(s)) {
      this.buf[this.n++] = 0x22;
      this.raw(s);
      this.buf[this.n++] = 0x22;
    } else {
      this.n += this.buf.write(JSON.stringify(s), this.n, "utf8");
    }
  }

  /** Plain data only (what a result holds): objects, arrays, strings, numbers, booleans. */
  value(v: unknown): void {
    if (typeof v === "string") this.string(v);
    else if (typeof v === "number") this.raw(Number.isFinite(v) ? String(v) : "null");
    else if (typeof v === "boolean") this.raw(v ? "true" : "false");
    else if (v === null) this.raw("null");
    else if (Array.isArray(v)) {
      this.raw("[");
      v.forEach((item, k) => {
        if (k) this.raw(",");
        this.value(item === undefined ? null : item);
      });
      this.raw("]");
    } else {
      this.raw("{");
      let first = true;
      for (const key in v as Record<string, unknown>) {
        const item = (v as Record<string, unknown>)[key];
        if (item === undefined) continue;
        if (!first) this.raw(",");
        first = false;
        this.string(key);
        this.raw(":");
        this.value(item);
      }
      this.raw("}");
    }
    if (this.n > CHUNK) this.flush();
  }

  flush(): void {
    if (this.n) this.sink.write(this.buf.subarray(0, this.n));
    this.n = 0;
  }
}

/** Every pair as a record (netdoctor.io/v1): -o json. */
export function writeJson(doc: ResultsDocument, sink: Sink): void {
  const [head, tail] = JSON.stringify({ ...doc, apiVersion: RESULTS_API_VERSION, results: MARK }, null, 2).split(`"${MARK}"`) as [string, string];
  writeRecords(doc.results, head, sink);
  sink.write(`${tail}\n`);
}

/** The results file (netdoctor.io/v3): the pairs held as records, then the matrices (compact.ts). */
export function writeResultsFile(doc: ResultsDocument, sink: Sink): void {
  const [head, tail] = JSON.stringify({ ...doc, apiVersion: COMPACT_API_VERSION, results: MARK }, null, 2).split(`"${MARK}"`) as [string, string];
  writeRecords(doc.results.records(), head, sink);
  sink.write(`,\n  "mesh": `);
  writeMesh(doc.results, (chunk) => sink.write(chunk));
  sink.write(`${tail}\n`);
}

function writeRecords(records: Iterable<ResultRecord>, head: string, sink: Sink): void {
  sink.write(`${head}[`);
  const bytes = new JsonBytes(sink);
  let first = true;
  for (const r of records) {
    bytes.raw(first ? "\n    " : ",\n    ");
    first = false;
    bytes.value(r);
  }
  bytes.flush();
  sink.write(`${first ? "" : "\n  "}]`);
}

export function writeYaml(doc: ResultsDocument, sink: Sink): void {
  sink.write(dump({ ...doc, results: undefined }, { noRefs: true, lineWidth: -1 }).replace(/^results:.*\n/m, ""));
  sink.write(doc.results.size ? "results:\n" : "results: []\n");
  for (const chunk of batches(doc, (r) => dump([r], { noRefs: true, lineWidth: -1, flowLevel: 1 }))) sink.write(chunk);
}

/** A buffered file sink; `close` flushes and syncs to disk (a rename after it must never expose
 * an empty file after a power loss). */
export function fileSink(path: string): Sink & { close(): void } {
  const fd = openSync(path, "w");
  let buffer = "";
  const flush = () => {
    if (buffer) writeAllSync(fd, buffer);
    buffer = "";
  };
  return {
    write(chunk) {
      if (typeof chunk !== "string") {
        flush();
        writeAllSync(fd, chunk);
        return;
      }
      buffer += chunk;
      if (buffer.length > CHUNK) flush();
    },
    close() {
      flush();
      fsyncSync(fd);
      closeSync(fd);
    },
  };
}

/** A file that is complete or absent: written beside, synced, then renamed into place (and the
 * rename synced), so a crash never leaves half of it. */
export function writeFileAtomically(path: string, write: (sink: Sink) => void): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    const sink = fileSink(tmp);
    write(sink);
    sink.close();
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  syncDirectory(dirname(path));
}

/** The rename itself is durable only once the directory is synced (not possible on Windows). */
function syncDirectory(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // best effort: the file's own content is already synced
  }
}
