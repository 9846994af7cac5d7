// A probe's raw outcome (or the exec's failure) -> a Verdict. Failed means the network answered
// wrong or not at all; Error means the probe could not be run. The two never mix. Pure.
import { shortRtt, type RawOutcome } from "./parse.ts";
import type { ReasonCode } from "./reasons.ts";
import { RTT_MARK } from "./script.ts";
import { CORROBORATED_WAIT_S, CORROBORATING } from "./silence.ts";
import type { Probe, Verdict } from "./types.ts";

const TOOL_MISSING = /(?:^|\s)(\S+): not found|applet not found|can't execute/i;

export function classify(probe: Probe, raw: RawOutcome | undefined, timeoutSec: number): Verdict {
  if (!probe.corroboratedBy) return classifyOutcome(probe, raw, timeoutSec);
  const v = classifyOutcome(probe, raw, CORROBORATED_WAIT_S);
  // Words that do not count the sources: every such pair of a silent target says the same, so a
  // node that is down costs one outcome of the result set, not one per source (set.ts).
  if (v.reasonCode === "timeout") v.reason = corroboratedWords(v.reason);
  return v;
}

function classifyOutcome(probe: Probe, raw: RawOutcome | undefined, timeoutSec: number): Verdict {
  if (!raw) return error(probe, "exec-failed", "no result: the probe did not run to the end (exec cut short)");
  return healthyFastPath(probe, raw) ?? failingFastPath(probe, raw, timeoutSec) ?? classifyByRules(probe, raw, timeoutSec);
}

/** Every rule, for any output: what the fast paths must agree with (a unit test holds them to it). */
export function classifyByRules(probe: Probe, raw: RawOutcome, timeoutSec: number): Verdict {
  const text = raw.output;
  // A shell says 127 for a command it cannot run: only then is the output searched for why.
  const tool = raw.exitCode === 127 ? TOOL_MISSING.exec(text) : null;
  if (tool) return error(probe, "tool-missing", `tool missing in the floater image: ${tool[1] ?? text}`);
  switch (probe.protocol) {
    case "icmp":
      return classifyPing(probe, raw, timeoutSec);
    case "tcp":
      return probe.custom ? classifyConnect(probe, raw, timeoutSec) : classifyFloaterTcp(probe, raw, timeoutSec);
    case "svc":
    case "nodeport":
      return classifyFloaterTcp(probe, raw, timeoutSec);
    case "mtu":
      return classifyMtu(probe, raw);
    case "dns":
      return classifyDns(probe, raw, timeoutSec);
  }
}

/** The mass of a healthy mesh, without regular expressions nor copies: a ping whose one burst
 * lost nothing (the script's short "RTT <min>/<avg>/<max>", or a whole summary), a floater that
 * answered OK. Everything else takes the full rules below. */
function healthyFastPath(probe: Probe, raw: RawOutcome): Verdict | undefined {
  if (raw.exitCode !== 0) return undefined;
  const text = raw.output;
  if (probe.protocol === "icmp") {
    // "RTT 0.099/0.150/0.234": the average, read as the line was parsed (or from the text).
    if (raw.rttMs !== undefined) return pingOk(probe, raw.rttMs);
    if (text.startsWith(RTT_PREFIX)) return pingOk(probe, shortRtt(text, 0));
    const loss = text.indexOf(" received, 0% packet loss");
    // One burst only: a confirmed loss has two summaries, and its loss counts.
    if (loss < 0 || text.indexOf("packet loss") !== loss + " received, 0% ".length || text.indexOf("packet loss", loss + 26) >= 0) return undefined;
    // "round-trip min/avg/max = 0.099/0.150/0.234 ms": the average.
    const eq = text.indexOf("= ", loss);
    const slash = eq < 0 ? -1 : text.indexOf("/", eq);
    return pingOk(probe, slash < 0 ? NaN : Number.parseFloat(text.slice(slash + 1)));
  }
  if (text === "OK" && (probe.protocol === "tcp" || probe.protocol === "svc" || probe.protocol === "nodeport") && !probe.custom) {
    return { probe, status: "Succeeded", reason: "", reasonCode: "ok" };
  }
  return undefined;
}

const RTT_PREFIX = `${RTT_MARK} `;

/** The mass of a failing mesh, read by its shape with indexOf and charCodeAt (no regular
 * expression, no copy): a ping whose every burst lost everything, a floater's connect that the
 * kernel refused, timed out or found no route for. At 5,000 nodes all failing, the rules' regular
 * expressions over these long lines were most of the plugin's own cost. Anything else (a word of
 * an error between the summaries, a custom target's name) takes the full rules. */
function failingFastPath(probe: Probe, raw: RawOutcome, timeoutSec: number): Verdict | undefined {
  // A custom target may be a name, and a name may spell a rule's word.
  if (raw.exitCode === 0 || raw.exitCode === 127 || probe.custom) return undefined;
  if (probe.protocol === "icmp") {
    const sent = lostPingsSent(raw.output);
    return sent === undefined ? undefined : fail(probe, "timeout", pingTimeoutWords(sent), 100);
  }
  if (probe.protocol !== "tcp" && probe.protocol !== "svc" && probe.protocol !== "nodeport") return undefined;
  const cause = kernelConnectFailure(raw.output, timeoutSec);
  return cause && fail(probe, cause.code, cause.code === "refused" ? refusedWords(probe) : cause.reason);
}

const BURST_START = "PING ";
const DATA_BYTES = " data bytes --- ";
const STATISTICS = " ping statistics --- ";
const ALL_LOST = " packets transmitted, 0 packets received, 100% packet loss";

/** The pings sent, if the text is only bursts that lost everything, each folded by the script as
 * "PING <a> (<ip>): <n> data bytes --- <a> ping statistics --- <sent> packets transmitted, 0
 * packets received, 100% packet loss" (busybox -q); undefined for anything else. */
function lostPingsSent(text: string): number | undefined {
  let sent = 0;
  let k = 0;
  for (;;) {
    if (!text.startsWith(BURST_START, k)) return undefined;
    const data = text.indexOf(DATA_BYTES, k);
    const statistics = data < 0 ? -1 : text.indexOf(STATISTICS, data);
    // Between the two, the address alone: an error ("ping: sendto: ...") would be words there.
    if (statistics < 0 || text.indexOf(" ", data + DATA_BYTES.length) !== statistics) return undefined;
    k = statistics + STATISTICS.length;
    let count = 0;
    const from = k;
    for (let c = text.charCodeAt(k); c >= ZERO && c <= NINE && k - from < 9; c = text.charCodeAt(++k)) count = count * 10 + (c - ZERO);
    if (k === from || !text.startsWith(ALL_LOST, k)) return undefined;
    sent += count;
    k += ALL_LOST.length;
    if (k === text.length) return sent;
    if (text.charCodeAt(k) !== SPACE) return undefined;
    k++;
  }
}

const ZERO = 48;
const NINE = 57;
const SPACE = 32;

/** What the kernel said, as nc reports it: "nc: <ip> (<ip>:<port>): <words>[ sent 0, rcvd 0]"
 * (nc -vv), "nc: can't connect to remote host (<ip>): <words>", "nc: timed out". */
const NC_PREFIX = "nc: ";
const NC_CANT_CONNECT = "can't connect to remote host ";
const NC_COUNTS = " sent 0, rcvd 0";
const KERNEL_WORDS: [string, keyof typeof COMMON_REASON | "timeout"][] = [
  [": Connection refused", "refused"],
  [": Connection timed out", "timeout"],
  [": No route to host", "unreachable"],
  [": Host is unreachable", "unreachable"],
  [": Network is unreachable", "no-route"],
];

function kernelConnectFailure(text: string, timeoutSec: number): Cause | undefined {
  if (!text.startsWith(NC_PREFIX)) return undefined;
  if (text.length === 13 && text === "nc: timed out") return { code: "timeout", reason: timeoutWords(timeoutSec) };
  const end = text.endsWith(NC_COUNTS) ? text.length - NC_COUNTS.length : text.length;
  for (const [words, code] of KERNEL_WORDS) {
    const at = end - words.length;
    if (at < NC_PREFIX.length || !text.startsWith(words, at)) continue;
    // Before the words, only the address: digits, hex, dots, colons, brackets, a port (none of
    // them spells another rule's word, so the rules could not read it otherwise).
    let k = NC_PREFIX.length;
    if (text.startsWith(NC_CANT_CONNECT, k)) k += NC_CANT_CONNECT.length;
    for (; k < at; k++) if (!isAddressChar(text.charCodeAt(k))) return undefined;
    return code === "timeout" ? { code, reason: timeoutWords(timeoutSec) } : { code, reason: COMMON_REASON[code] };
  }
  return undefined;
}

/** 0-9, a-f, A-F, ".", ":", "(", ")", "[", "]", "%" (a zone), space. */
const isAddressChar = (c: number) =>
  (c >= ZERO && c <= NINE) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 46 || c === 58 || c === 40 || c === 41 || c === 91 || c === 93 || c === 37 || c === SPACE;

/** A ping that lost nothing, with its average round trip when known. */
const pingOk = (probe: Probe, rttMs: number): Verdict =>
  Number.isFinite(rttMs) ? { probe, status: "Succeeded", reason: "", reasonCode: "ok", rttMs, lossPct: 0 } : { probe, status: "Succeeded", reason: "", reasonCode: "ok", lossPct: 0 };

const ok = (probe: Probe, extra: Partial<Verdict> = {}): Verdict => ({ probe, status: "Succeeded", reason: "", reasonCode: "ok", ...extra });
const fail = (probe: Probe, reasonCode: ReasonCode, reason: string, lossPct?: number): Verdict =>
  lossPct === undefined ? { probe, status: "Failed", reason, reasonCode } : { probe, status: "Failed", reason, reasonCode, lossPct };

/** The same words for the same failure, made once per what they depend on (a number: no string
 * is made to look them up): a failing mesh has millions of verdicts, and one string shared by all
 * of them is no garbage, and compares at once in the result set. */
function wordsBy<K>(make: (k: K) => string): (k: K) => string {
  const made = new Map<K, string>();
  return (k) => {
    let text = made.get(k);
    if (text === undefined) made.set(k, (text = make(k)));
    return text;
  };
}
const timeoutWords = wordsBy((s: number) => `timeout: no answer within ${s}s`);
const pingTimeoutWords = wordsBy((sent: number) => `timeout: no reply to ${sent} ping${sent === 1 ? "" : "s"}`);
const refusedOnPort = wordsBy((port: number | undefined) => `connection refused on port ${port} (floater not listening, or a reject rule)`);
const refusedOnNodePort = wordsBy((port: number | undefined) => `connection refused on NodePort ${port}: the node has no rule for it (its kube-proxy?)`);
/** A corroborated timeout's words, by the plain timeout's (themselves made once). */
const corroboratedWords = wordsBy((reason: string) => `${reason} (at least ${CORROBORATING} sources before found it silent: waited ${CORROBORATED_WAIT_S}s, not tried again)`);
const error = (probe: Probe, reasonCode: ReasonCode, reason: string): Verdict => ({ probe, status: "Error", reason, reasonCode });

interface Cause {
  code: ReasonCode;
  reason: string;
}

const COMMON_REASON = {
  refused: "connection refused",
  unreachable: "host unreachable (no route, or rejected with ICMP unreachable)",
  "no-route": "network unreachable (no route from the source)",
} as const;

/** Any word of commonNetworkFailure's: one look at a failing line that has none of them (a ping's
 * loss is most of a failing mesh's), not one per rule. */
const ANY_COMMON = /refused|unreachable|no route|denied|not permitted|timed out|timeout/i;

/** Reasons that the kernel or the tool reports the same way whatever the protocol. */
function commonNetworkFailure(text: string, timeoutSec: number): Cause | undefined {
  if (!ANY_COMMON.test(text)) return undefined;
  if (/Connection refused/i.test(text)) return { code: "refused", reason: COMMON_REASON.refused };
  if (/No route to host|Host is unreachable/i.test(text)) return { code: "unreachable", reason: COMMON_REASON.unreachable };
  if (/Network is unreachable/i.test(text)) return { code: "no-route", reason: COMMON_REASON["no-route"] };
  if (/Permission denied|Operation not permitted/i.test(text) && !/are you root/i.test(text)) {
    return { code: "blocked", reason: "blocked on the source (permission denied: a prohibit route or a policy)" };
  }
  if (/timed out|Timeout/i.test(text)) return { code: "timeout", reason: timeoutWords(timeoutSec) };
  return undefined;
}

/** Every burst's summary in the text, summed (a lost ping is confirmed by a second burst). */
export function parsePingStats(text: string): { sent: number; received: number; lossPct: number; rttMs?: number } | undefined {
  if (!text.includes(" packets transmitted, ")) return undefined;
  const summary = /(\d+) packets transmitted, (\d+) (?:packets )?received/g;
  let [sent, received, bursts] = [0, 0, 0];
  for (let m = summary.exec(text); m; m = summary.exec(text), bursts++) {
    sent += Number(m[1]);
    received += Number(m[2]);
  }
  if (bursts === 0) return undefined;
  // A lost burst has no round-trip line: nothing more to read (a failing mesh's mass).
  const rtt = received ? [...text.matchAll(/min\/avg\/max(?:\/mdev)? = [\d.]+\/([\d.]+)\//g)].at(-1) : undefined;
  return { sent, received, lossPct: sent ? Math.round(((sent - received) / sent) * 100) : 100, rttMs: rtt ? Number(rtt[1]) : undefined };
}

function classifyPing(probe: Probe, raw: RawOutcome, timeoutSec: number): Verdict {
  const text = raw.output;
  if (/are you root/i.test(text)) {
    return error(probe, "not-permitted", "ping is not permitted in the floater (it needs CAP_NET_RAW)");
  }
  const stats = parsePingStats(text);
  if (stats && stats.received > 0) {
    // Reachable. Loss that a second burst confirmed is kept as a metric, not a failure: a few
    // pings cannot tell a lossy path from replies the pod itself dropped (see script.ts), and a
    // check that gates CI must not fail a healthy cluster one pair in ten thousand.
    const lossy = stats.received !== stats.sent;
    return ok(probe, { reasonCode: lossy ? "loss" : "ok", reason: lossy ? `packet loss ${stats.lossPct}% (${stats.received}/${stats.sent} replies)` : "", rttMs: stats.rttMs, lossPct: stats.lossPct });
  }
  const common = commonNetworkFailure(text, timeoutSec);
  if (common) return fail(probe, common.code, common.reason, 100);
  if (stats) return fail(probe, "timeout", pingTimeoutWords(stats.sent), 100);
  if (/bad address|unknown host/i.test(text)) return error(probe, "other", `ping could not use the address: ${text}`);
  return raw.exitCode === 0 ? error(probe, "wrong-answer", `unrecognised ping output: ${text || "(none)"}`) : fail(probe, "other", text || `ping exited ${raw.exitCode}`);
}

function classifyFloaterTcp(probe: Probe, raw: RawOutcome, timeoutSec: number): Verdict {
  const text = raw.output;
  // nc exits 0 only once connected: what follows is the listener's, not the network's.
  if (raw.exitCode === 0) {
    if (/\bOK\b/.test(text)) return ok(probe);
    const got = listenerAnswer(text);
    return fail(probe, "no-answer", `connected, but the floater's answer did not come back (got: ${got ? got.slice(0, 80) : "nothing"})`);
  }
  const common = commonNetworkFailure(text, timeoutSec);
  if (common) return fail(probe, common.code, common.code === "refused" ? refusedWords(probe) : common.reason);
  return fail(probe, "other", text || `nc exited ${raw.exitCode}`);
}

/** Who refused: the floater, the node's NodePort rule, or the Service's. */
function refusedWords(probe: Probe): string {
  const port = probe.target.port;
  if (probe.protocol === "nodeport") return refusedOnNodePort(port);
  if (probe.protocol === "svc") return `connection refused by the Service's ClusterIP ${probe.target.ip}:${port}: no ready endpoint, or no rule for it on this node`;
  return refusedOnPort(port);
}

/** What the listener sent, without what nc -vv says around it: "HOST (IP:PORT) open" first; after
 * the answer, its own notes ("nc: net read: Connection reset by peer", "net timeout"), and
 * "sent N, rcvd M" last. A build whose nc has no -v says none of it. */
function listenerAnswer(text: string): string {
  return text.replace(/^\S+ \(\S+\) open\s*/, "").replace(/\s*(?:nc: .*?\s+|net timeout\s+)?sent \d+, rcvd \d+$/, "");
}

function classifyConnect(probe: Probe, raw: RawOutcome, timeoutSec: number): Verdict {
  if (raw.exitCode === 0) return ok(probe);
  const common = commonNetworkFailure(raw.output, timeoutSec);
  return common ? fail(probe, common.code, common.reason) : fail(probe, "other", raw.output || `nc exited ${raw.exitCode}`);
}

/** The script's "MTU <mtu> SIZE <payload> OK | LOST SMALL LOST | LOST LARGEST <payload>". */
function classifyMtu(probe: Probe, raw: RawOutcome): Verdict {
  const m = /MTU (\d+) SIZE (\d+) (OK|LOST SMALL LOST|LOST LARGEST (\d+))/.exec(raw.output);
  if (!m) return error(probe, "wrong-answer", `unrecognised mtu probe output: ${raw.output || "(none)"}`);
  const header = probe.family === "ipv6" ? 48 : 28;
  const [mtu, size] = [Number(m[1]), Number(m[2]) + header];
  if (m[3] === "OK") return ok(probe);
  if (m[3] === "LOST SMALL LOST") return fail(probe, "timeout", `no reply to full-size (${size} bytes) nor to small pings: the path is down, not an MTU problem`);
  const largest = Number(m[4]) + header;
  // Sizes just below the full one pass: the full-size ones were lost by chance, not by a hole.
  if (largest >= size - 16) return ok(probe, { reasonCode: "loss", reason: `full-size packets (${size} bytes) were lost twice, but sizes just below pass: not an MTU black hole` });
  return fail(probe, "mtu-blackhole", `MTU black hole: ${size}-byte packets (the source's MTU ${mtu}, Don't Fragment) are lost while small ones pass; the largest that passes is about ${largest} bytes`);
}

function classifyDns(probe: Probe, raw: RawOutcome, timeoutSec: number): Verdict {
  const text = raw.output;
  // The answer section follows the server's own "Address:" line, after "Name:".
  const answer = /Name:\s*\S+\s+Address(?: \d+)?:\s*([0-9a-fA-F.:]+)/.exec(text);
  if (raw.exitCode === 0 && answer) return ok(probe);
  // The pod's resolver is the cluster DNS Service: a timeout there is the path to it (or the
  // server behind it); an answer, even a bad one, proves the path works.
  const server = probe.target.ip ? `DNS server ${probe.target.ip}` : "the pod's resolver (the cluster DNS Service)";
  if (/NXDOMAIN|can't find/i.test(text)) return fail(probe, "nxdomain", `NXDOMAIN: ${probe.target.name} does not resolve (${server} answers: the name is missing)`);
  if (/no servers could be reached|timed out/i.test(text) || raw.exitCode === 143 || raw.exitCode === 124) {
    return fail(probe, "dns-timeout", `${server} did not answer within ${timeoutSec}s: unreachable from this node, or down`);
  }
  if (/SERVFAIL|REFUSED/i.test(text)) return fail(probe, "servfail", `${server} answered ${/SERVFAIL/i.test(text) ? "SERVFAIL" : "REFUSED"}: reachable, but it answers wrong`);
  return fail(probe, "other", text || `nslookup exited ${raw.exitCode}`);
}

/** Every probe of a source whose exec failed: Error, with the exec's reason. */
export function execFailed(probes: Probe[], reason: string): Verdict[] {
  return probes.map((probe) => error(probe, "exec-failed", reason));
}
