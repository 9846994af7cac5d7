// Writing a results document without ever holding it as one string: the envelope is pretty JSON
// (or YAML), the results follow one per line. A 500-node check has half a million results.
import { closeSync, openSync, writeSync } from "node:fs";
import { dump } from "js-yaml";
import type { ResultsDocument } from "./document.ts";

export interface Sink {
  write(chunk: string): void;
}

const MARK = "@@results@@";
const CHUNK = 1 << 20;

/** Records in batches, so a sink sees a few large writes rather than many small ones. */
function* batches(doc: ResultsDocument, line: (r: ResultsDocument["results"][number]) => string, separator: string): Generator<string> {
  let buffer = "";
  for (let k = 0; k < doc.results.length; k++) {
    buffer += (k ? separator : "") + line(doc.results[k]!);
    if (buffer.length > CHUNK) {
      yield buffer;
      buffer = "";
    }
  }
  if (buffer) yield buffer;
}

export function writeJson(doc: ResultsDocument, sink: Sink): void {
  const [head, tail] = JSON.stringify({ ...doc, results: MARK }, null, 2).split(`"${MARK}"`) as [string, string];
  sink.write(`${head}[${doc.results.length ? "\n    " : ""}`);
  for (const chunk of batches(doc, (r) => JSON.stringify(r), ",\n    ")) sink.write(chunk);
  sink.write(`${doc.results.length ? "\n  " : ""}]${tail}\n`);
}

export function writeYaml(doc: ResultsDocument, sink: Sink): void {
  sink.write(dump({ ...doc, results: undefined }, { noRefs: true, lineWidth: -1 }).replace(/^results:.*\n/m, ""));
  sink.write(doc.results.length ? "results:\n" : "results: []\n");
  for (const chunk of batches(doc, (r) => dump([r], { noRefs: true, lineWidth: -1, flowLevel: 1 }), "")) sink.write(chunk);
}

/** A buffered file sink; `close` flushes. */
export function fileSink(path: string): Sink & { close(): void } {
  const fd = openSync(path, "w");
  let buffer = "";
  const flush = () => {
    if (buffer) writeSync(fd, buffer);
    buffer = "";
  };
  return {
    write(chunk) {
      buffer += chunk;
      if (buffer.length > CHUNK) flush();
    },
    close() {
      flush();
      closeSync(fd);
    },
  };
}
