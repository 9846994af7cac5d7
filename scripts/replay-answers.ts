// The bad day of the replay bench (replay.ts --fail F): which pairs fail, and what their floater
// prints. The failures are the recorded ones (test/fixtures, both busybox builds) where the tool
// exited non-zero: ping loss, unreachable, no route; tcp timeout, refused, unreachable, no route.
// ("Connected, closed" exits 0: a floater's fault, not the network's, and left out.)
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Probe } from "../src/probe/types.ts";

/** The script's calls that the replay answers: "i" a ping, "t" a floater's tcp. */
export type CallKind = "i" | "t";

/** A recorded failure as "<exit> <output>", the recorded target written "{ip}" and its port "{port}". */
export type Failure = string;

const BUILDS = ["busybox-1.37.0", "busybox-1.35"];
const KIND: Record<string, CallKind> = { icmp: "i", tcp: "t" };

export function recordedFailures(): Record<CallKind, Failure[]> {
  const failures: Record<CallKind, Failure[]> = { i: [], t: [] };
  for (const build of BUILDS) {
    const { outcomes } = JSON.parse(readFileSync(join(import.meta.dir, "..", "test", "fixtures", build, "probes.json"), "utf8")) as { outcomes: Record<string, { probe: Probe; line: string }> };
    for (const { probe, line } of Object.values(outcomes)) {
      const kind = KIND[probe.protocol];
      const answer = line.replace(/^@@ \d+ /, "");
      if (!kind || probe.custom || answer.startsWith("0 ")) continue;
      const { ip, port } = probe.target;
      failures[kind].push(answer.replaceAll(`${ip}:${port}`, "{ip}:{port}").replaceAll(ip, "{ip}"));
    }
  }
  return failures;
}

/** "<exit> <output>" for one call. `brief`: the call carries a wait (a target others found
 * silent, silence.ts), so the script tried once: no second ping burst, no "A " mark. */
export function failureAnswer(failure: Failure, ip: string, port: string, brief: boolean): string {
  const answer = failure.replaceAll("{ip}", ip).replaceAll("{port}", port);
  return brief ? triedOnce(answer) : answer;
}

/** Undoes the script's confirmations: `o="$f $o"` (two ping summaries, each from "PING"), and
 * the "A " before nc's second try. */
function triedOnce(answer: string): string {
  const space = answer.indexOf(" ");
  const [exit, output] = [answer.slice(0, space), answer.slice(space + 1)];
  const second = output.indexOf(" PING ");
  if (output.startsWith("PING ") && second > 0) return `${exit} ${output.slice(0, second)}`;
  if (output === "A" || output.startsWith("A ")) return `${exit} ${output.slice(2)}`;
  return answer;
}

/** Which pairs fail, and how: a hash of the pair and the seed, not a sequence, so the same pairs
 * fail with the same answers whatever order the execs come in. */
export class FailureChooser {
  constructor(
    private readonly fraction: number,
    private readonly failures: Record<CallKind, Failure[]>,
    private readonly seed = 12345,
  ) {}

  /** The failure a call from `source` to `ip` is answered with, or undefined: healthy. */
  pick(source: string, kind: CallKind, ip: string): Failure | undefined {
    if (this.fraction <= 0) return undefined;
    const h = mix(fnv(fnv(fnv(this.seed, source), kind), ip));
    if (h / 2 ** 32 >= this.fraction) return undefined;
    const list = this.failures[kind];
    return list[mix(h ^ 0x9e3779b9) % list.length];
  }
}

/** FNV-1a over a string, continuing from h. */
function fnv(h: number, s: string): number {
  for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 16777619);
  return h >>> 0;
}

/** Murmur3's finaliser: FNV alone leaves the low bits of short, similar strings correlated. */
function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
