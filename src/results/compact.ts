// The results file's compact form (netdoctor.io/v3; v2 before failures were cells): a set's
// matrices as JSON, each matrix in chunks of rows, gzip-compressed and base64-encoded; the pairs
// held as records stay records beside it. 25 million pairs take tens of MB, not GB, healthy or
// failing. Written chunk by chunk (never the
// whole file in memory) and read back checked: a bad field is named, never a TypeError later.
import { gunzipSync, gzipSync } from "node:zlib";
import { FAMILIES, isHeld, MAX_OUTCOMES, MESH_PROTOCOLS, NO_RTT, NOT_HELD, ResultSet, rttMsOf, type NodeRef, type Outcome } from "./set.ts";
import { REASON_CODES } from "../probe/reasons.ts";
import type { ResultRecord } from "./document.ts";
import { GarbagePacer } from "../runtime/memory.ts";

export interface MeshLayerJson {
  protocol: (typeof MESH_PROTOCOLS)[number];
  family: (typeof FAMILIES)[number];
  /** Per node (the mesh's node list): the address its cells were probed at, "" for none. */
  targets: string[];
  /** Per node: the port probed (tcp, nodeport), 0 for none. Absent for icmp and mtu. */
  ports?: number[];
  /** Per chunk of `rowsPerChunk` source rows: one byte per cell (1: succeeded, 0: not held). */
  succeeded: string[];
  /** icmp: per chunk, the RTT of each held cell in order, microseconds, `rttBytes` wide,
   * little-endian; all ones for none. */
  rttUs?: string[];
  rttBytes?: 2 | 4;
  /** Per chunk: one byte per cell, 1 + the index of its failure in `outcomes`, 0 for none (v3;
   * absent when the layer has no failure cell). */
  failed?: string[];
}

export interface MeshJson {
  encoding: "gzip+base64";
  /** Rows and columns of every matrix. */
  nodes: NodeRef[];
  /** Per family, per node: the source address of its cells ("" for none). */
  sources: Record<(typeof FAMILIES)[number], string[]>;
  rowsPerChunk: number;
  layers: MeshLayerJson[];
  /** The distinct failures the cells name (v3; absent or empty when none failed). */
  outcomes?: Outcome[];
}

/** About a million cells per chunk: large enough to compress well, small enough to hold. */
const CELLS_PER_CHUNK = 1 << 20;
const encode = (bytes: Uint8Array) => Buffer.from(gzipSync(bytes, { level: 1 })).toString("base64");

/** The mesh of a set as JSON, written in pieces: `write` gets each chunk's text as it is made. */
export function writeMesh(set: ResultSet, write: (text: string) => void): void {
  const n = set.side;
  const rowsPerChunk = Math.max(1, Math.floor(CELLS_PER_CHUNK / Math.max(1, n)));
  const nodes = set.nodes.slice(0, n);
  const sources = Object.fromEntries(FAMILIES.map((f) => [f, nodes.map((_, s) => set.sourceOf(s, f).ip)]));
  write(`{"encoding":"gzip+base64","nodes":${JSON.stringify(nodes)},"sources":${JSON.stringify(sources)},"rowsPerChunk":${rowsPerChunk},"outcomes":${JSON.stringify(set.outcomes)},"layers":[`);
  // One buffer for every chunk's flags, one for its RTTs: chunks are made one after another.
  // Each chunk's compressed bytes and text are garbage once written.
  const cells = Math.min(n, rowsPerChunk) * n;
  const heldBytes = Buffer.alloc(cells);
  const rttBytes = Buffer.alloc(cells * 4);
  const garbage = new GarbagePacer();
  set.layers.filter((l) => l && (l.count || l.failCount)).forEach((layer, k) => {
    const { protocol, family, targets, rtt } = layer!;
    const ports = protocol === "tcp" || protocol === "nodeport" ? nodes.map((_, t) => targets[t]?.port ?? 0) : undefined;
    const chunks = (each: (from: number, to: number) => Uint8Array) => {
      for (let row = 0; row < n; row += rowsPerChunk) {
        write(`${row ? "," : ""}"${encode(each(row * n, Math.min(n, row + rowsPerChunk) * n))}"`);
        garbage.handled(rowsPerChunk * n);
      }
    };
    write(`${k ? "," : ""}{"protocol":"${protocol}","family":"${family}","targets":${JSON.stringify(nodes.map((_, t) => targets[t]?.ip ?? ""))}${ports ? `,"ports":${JSON.stringify(ports)}` : ""},"succeeded":[`);
    chunks((from, to) => {
      for (let k = from; k < to; k++) heldBytes[k - from] = isHeld(layer!, k) ? 1 : 0;
      return heldBytes.subarray(0, to - from);
    });
    write("]");
    if (rtt) {
      // Microseconds; two bytes each when all fit (under 65.5 ms), as on a healthy cluster.
      const usOf = (packed: number) => (packed === NO_RTT ? 0xffffffff : Math.round(rttMsOf(packed) * 1000));
      let wide = false;
      for (let k = 0; k < rtt.length && !wide; k++) wide = rtt[k]! < NO_RTT && usOf(rtt[k]!) >= 0xffff;
      const width = wide ? 4 : 2;
      write(`,"rttBytes":${width},"rttUs":[`);
      chunks((from, to) => {
        let at = 0;
        for (let k = from; k < to; k++) {
          if (rtt[k] === NOT_HELD) continue;
          const us = usOf(rtt[k]!);
          if (width === 2) rttBytes.writeUInt16LE(us === 0xffffffff ? 0xffff : us, at);
          else rttBytes.writeUInt32LE(us, at);
          at += width;
        }
        return rttBytes.subarray(0, at);
      });
      write("]");
    }
    if (layer!.failed) {
      write(`,"failed":[`);
      chunks((from, to) => layer!.failed!.subarray(from, to));
      write("]");
    }
    write("}");
  });
  write("]}");
}

type Bad = (field: string, why: string) => Error;

/** A set from a file's mesh and records; `bad` names a field that is wrong. */
export function readMesh(raw: unknown, records: ResultRecord[], bad: Bad): ResultSet {
  const mesh = raw as Partial<MeshJson>;
  if (typeof raw !== "object" || raw === null) throw bad("mesh", "is not an object");
  if (mesh.encoding !== "gzip+base64") throw bad("mesh.encoding", `is ${JSON.stringify(mesh.encoding)}, not "gzip+base64"`);
  if (!Array.isArray(mesh.nodes) || !mesh.nodes.every((x) => typeof x?.cluster === "string" && typeof x?.node === "string")) throw bad("mesh.nodes", "is not a list of {cluster, node}");
  const nodes = mesh.nodes;
  const n = nodes.length;
  const perNode = (v: unknown, field: string, kind: "string" | "number"): unknown[] => {
    if (!Array.isArray(v) || v.length !== n || !v.every((x) => typeof x === kind)) throw bad(field, `is not a list of ${n} ${kind}s`);
    return v;
  };
  const sources = mesh.sources as Record<string, unknown> | undefined;
  if (typeof sources !== "object" || sources === null) throw bad("mesh.sources", "is missing");
  const sourceIps = FAMILIES.map((f) => perNode(sources[f], `mesh.sources.${f}`, "string") as string[]);
  const rowsPerChunk = mesh.rowsPerChunk;
  if (typeof rowsPerChunk !== "number" || !Number.isInteger(rowsPerChunk) || rowsPerChunk < 1) throw bad("mesh.rowsPerChunk", "is not a positive integer");
  if (!Array.isArray(mesh.layers)) throw bad("mesh.layers", "is not a list");
  const set = new ResultSet(nodes);
  const outcomes = mesh.outcomes ?? [];
  if (!Array.isArray(outcomes) || outcomes.length > MAX_OUTCOMES) throw bad("mesh.outcomes", `is not a list of at most ${MAX_OUTCOMES} outcomes`);
  outcomes.forEach((o, k) => {
    const ok = (o?.status === "Failed" || o?.status === "Error") && REASON_CODES.includes(o.reasonCode) && typeof o.reason === "string" && (o.lossPct === undefined || typeof o.lossPct === "number");
    if (!ok) throw bad(`mesh.outcomes[${k}]`, "is not {status: Failed|Error, reasonCode, reason, lossPct?}");
    set.restoreOutcome({ status: o.status, reasonCode: o.reasonCode, reason: o.reason, ...(o.lossPct !== undefined ? { lossPct: o.lossPct } : {}) });
  });
  // Endpoints made once per node, shared by its cells as a run's probes share them.
  const sourceEnds = FAMILIES.map((_, f) => nodes.map((x, s) => ({ cluster: x.cluster, node: x.node, ip: sourceIps[f]![s]! })));
  const chunks = Math.ceil(n / rowsPerChunk);
  const decode = (v: unknown, field: string, length?: number): Buffer => {
    if (typeof v !== "string") throw bad(field, "is not a string");
    let bytes: Buffer;
    try {
      bytes = gunzipSync(Buffer.from(v, "base64"));
    } catch (err) {
      throw bad(field, `is not gzip+base64 data (${(err as Error).message})`);
    }
    if (length !== undefined && bytes.length !== length) throw bad(field, `holds ${bytes.length} bytes, not ${length}`);
    return bytes;
  };
  mesh.layers.forEach((layer, k) => {
    const field = `mesh.layers[${k}]`;
    if (!MESH_PROTOCOLS.includes(layer?.protocol) || !FAMILIES.includes(layer?.family)) throw bad(field, "has no known protocol and family");
    const targets = perNode(layer.targets, `${field}.targets`, "string") as string[];
    const ports = layer.ports === undefined ? undefined : (perNode(layer.ports, `${field}.ports`, "number") as number[]);
    const targetEnds = nodes.map((x, t) => ({ cluster: x.cluster, node: x.node, ip: targets[t]!, ...(ports?.[t] ? { port: ports[t] } : {}) }));
    const sourceEnd = sourceEnds[FAMILIES.indexOf(layer.family)]!;
    if (!Array.isArray(layer.succeeded) || layer.succeeded.length !== chunks) throw bad(`${field}.succeeded`, `is not a list of ${chunks} chunks`);
    const rtt = layer.protocol === "icmp" && layer.rttUs !== undefined;
    if (rtt && (!Array.isArray(layer.rttUs) || layer.rttUs.length !== chunks)) throw bad(`${field}.rttUs`, `is not a list of ${chunks} chunks`);
    if (rtt && layer.rttBytes !== 2 && layer.rttBytes !== 4) throw bad(`${field}.rttBytes`, "is not 2 or 4");
    if (layer.failed !== undefined && (!Array.isArray(layer.failed) || layer.failed.length !== chunks)) throw bad(`${field}.failed`, `is not a list of ${chunks} chunks`);
    for (let c = 0; c < chunks; c++) {
      const [from, to] = [c * rowsPerChunk, Math.min(n, (c + 1) * rowsPerChunk)];
      const ok = decode(layer.succeeded[c], `${field}.succeeded[${c}]`, (to - from) * n);
      const failed = layer.failed ? decode(layer.failed[c], `${field}.failed[${c}]`, (to - from) * n) : undefined;
      if (failed) {
        for (let k = 0; k < failed.length; k++) {
          const outcome = failed[k]!;
          if (!outcome) continue;
          const [s, t] = [from + Math.floor(k / n), k % n];
          if (outcome > outcomes.length) throw bad(`${field}.failed[${c}]`, `names outcome ${outcome}, past the ${outcomes.length} in mesh.outcomes`);
          if (!targets[t]) throw bad(`${field}.targets[${t}]`, "is empty, but cells are held for it");
          if (!set.restore(layer.protocol, layer.family, sourceEnd[s]!, targetEnds[t]!, undefined, outcome)) throw bad(`${field}.failed[${c}]`, `holds the pair ${s} -> ${t} twice`);
        }
      }
      const held = ok.reduce((sum, b) => sum + (b ? 1 : 0), 0);
      const rtts = rtt ? decode(layer.rttUs![c], `${field}.rttUs[${c}]`, held * layer.rttBytes!) : undefined;
      let next = 0;
      for (let s = from; s < to; s++) {
        for (let t = 0; t < n; t++) {
          if (!ok[(s - from) * n + t]) continue;
          let rttMs: number | undefined;
          if (rtts) {
            const us = layer.rttBytes === 2 ? rtts.readUInt16LE(next * 2) : rtts.readUInt32LE(next * 4);
            rttMs = us === (layer.rttBytes === 2 ? 0xffff : 0xffffffff) ? undefined : us / 1000;
            next++;
          }
          if (!targets[t]) throw bad(`${field}.targets[${t}]`, "is empty, but cells are held for it");
          // A cell the set cannot hold again (an edited file: the same pair twice) stays a pair.
          if (!set.restore(layer.protocol, layer.family, sourceEnd[s]!, targetEnds[t]!, rttMs)) {
            set.addRecord(set.cellRecord(layer.protocol, layer.family, sourceEnd[s]!, targetEnds[t]!, rttMs));
          }
        }
      }
    }
  });
  for (const r of records) set.addRecord(r);
  return set;
}
