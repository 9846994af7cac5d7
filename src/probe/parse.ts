// The script's output lines back into raw outcomes per probe id. Pure.
import { RTT_MARK } from "./script.ts";
// Hot: a source's whole output, one line per probe, at every check's scale. So no split, no
// regular expression and no copy of a line on the common path: the lines are scanned in place
// with indexOf and charCodeAt; only a line that carries \r (HTTP headers) is cleaned first.

export interface RawOutcome {
  exitCode: number;
  output: string;
  /** The probe was tried a second time to confirm a first failure (script's "A " mark). */
  confirmed?: boolean;
  /** A lossless ping's average round trip (NaN: unreadable), read from the script's short line
   * "RTT <min>/<avg>/<max>" as the line is parsed (its output is then the mark "RTT" alone): the
   * mass of a mesh, never looked at again. */
  rttMs?: number;
}

/** Raw outcomes indexed by probe id (ids are small and unique per source plan); a probe without
 * a line has none (undefined). */
export type RawOutcomes = (RawOutcome | undefined)[];

const AT = 64; // "@"
const SPACE = 32;
const ZERO = 48;
const NINE = 57;
const LETTER_A = 65;
/** Above it an id is no array index worth keeping (ids count a source's probes). */
const MAX_ID = 2 ** 30;

/** Every well-formed line "@@ <id> <exit>[ <output>]", as the regular expression
 * /^@@ (\d+) (\d+) ?(.*)$/ on the line without its \r would read it, output trimmed; others are
 * ignored (and ids past MAX_ID). A later line for the same id replaces an earlier one. */
export function parseOutput(stdout: string): RawOutcomes {
  const out: RawOutcomes = [];
  const length = stdout.length;
  // The next \r at or after the line (-1: none left), looked for again only once passed.
  let cr = stdout.indexOf("\r");
  let start = 0;
  while (start < length) {
    let end = stdout.indexOf("\n", start);
    if (end < 0) end = length;
    if (cr >= 0 && cr < start) cr = stdout.indexOf("\r", start);
    if (stdout.charCodeAt(start) === AT && stdout.charCodeAt(start + 1) === AT && stdout.charCodeAt(start + 2) === SPACE) {
      if (cr >= 0 && cr < end) {
        const line = stdout.slice(start, end).replace(/\r/g, "");
        parseLine(line, 0, line.length, out);
      } else {
        parseLine(stdout, start, end, out);
      }
    }
    start = end + 1;
  }
  return out;
}

/** One line, text[start, end), that starts with "@@ ". */
function parseLine(text: string, start: number, end: number, out: RawOutcomes): void {
  let k = start + 3;
  // The id.
  let id = 0;
  const idFrom = k;
  for (let c = text.charCodeAt(k); c >= ZERO && c <= NINE; c = text.charCodeAt(++k)) id = id * 10 + (c - ZERO);
  if (k === idFrom || k >= end || text.charCodeAt(k) !== SPACE) return;
  if (k - idFrom > 9) id = Number(text.slice(idFrom, k));
  if (id > MAX_ID) return;
  // The exit code.
  let exitCode = 0;
  const exitFrom = ++k;
  for (let c = text.charCodeAt(k); k < end && c >= ZERO && c <= NINE; c = text.charCodeAt(++k)) exitCode = exitCode * 10 + (c - ZERO);
  if (k === exitFrom) return;
  if (k - exitFrom > 9) exitCode = Number(text.slice(exitFrom, k));
  // The output: after one optional space, trimmed as String.prototype.trim does (the shell has
  // already folded it on spaces: this only costs a look at its two ends). Looked at in the line
  // itself and cut once: a character of a cut would copy it.
  if (k < end && text.charCodeAt(k) === SPACE) k++;
  let confirmed = false;
  let output: string;
  if (k < end && (mayBeSpace(text.charCodeAt(k)) || mayBeSpace(text.charCodeAt(end - 1)))) {
    output = text.slice(k, end).trim();
    // The confirmation mark "A ", and "A" alone: the shell's folding drops the mark's space when
    // nothing follows it (a listener that closed without a word, from nc without -v).
    if (output.charCodeAt(0) === LETTER_A && (output.length === 1 || output.charCodeAt(1) === SPACE)) {
      confirmed = true;
      output = output.slice(2);
    }
  } else if (k < end && text.charCodeAt(k) === LETTER_A && (k + 1 === end || text.charCodeAt(k + 1) === SPACE)) {
    confirmed = true;
    output = k + 2 < end ? text.slice(k + 2, end) : "";
  } else {
    if (exitCode === 0 && text.startsWith(RTT_PREFIX, k)) {
      // The mass: its number is all that is read, so its text is not cut out (the mark stands for it).
      while (out.length <= id) out.push(undefined);
      out[id] = { exitCode, output: RTT_MARK, rttMs: shortRtt(text, k, end) };
      return;
    }
    output = k < end ? text.slice(k, end) : "";
  }
  // Kept dense (no holes): an array with holes is slower to fill and to read.
  while (out.length <= id) out.push(undefined);
  out[id] = confirmed ? { exitCode, output, confirmed } : { exitCode, output };
}

const RTT_PREFIX = `${RTT_MARK} `;

/** The average of a short line "RTT <min>/<avg>/<max>" at text[from, end), NaN if unreadable. */
export function shortRtt(text: string, from: number, end = text.length): number {
  const slash = text.indexOf("/", from + RTT_PREFIX.length);
  return slash < 0 || slash >= end ? NaN : decimalAt(text, slash + 1);
}

/** The decimal number "<digits>[.<digits>]" at text[from] (NaN if none), as Number.parseFloat
 * reads it: for what busybox prints ("%u.%03u"), one correctly rounded division of two exact
 * integers gives the same double; anything else is left to parseFloat. */
function decimalAt(text: string, from: number): number {
  let k = from;
  let digits = 0;
  let scale = 1;
  let c = text.charCodeAt(k);
  for (; c >= 48 && c <= 57; c = text.charCodeAt(++k)) digits = digits * 10 + (c - 48);
  const whole = k - from;
  if (c === 46) for (c = text.charCodeAt(++k); c >= 48 && c <= 57; c = text.charCodeAt(++k)) digits = digits * 10 + (c - 48), scale *= 10;
  // None (a sign, a space...), long, or an exponent.
  if ((whole === 0 && scale === 1) || k - from > 15 || c === 101 || c === 69) return Number.parseFloat(text.slice(from));
  return digits / scale;
}

/** Whether trim() might remove this character: ASCII whitespace, or anything not ASCII. */
const mayBeSpace = (c: number) => c <= SPACE || c >= 127;
