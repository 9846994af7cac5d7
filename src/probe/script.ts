// One source's probes as ONE shell script, run by one exec (`sh -c SCRIPT`, never on stdin): the
// probes run concurrently in lanes inside the pod and each prints one line "@@ <id> <exit> <output>".
// Only tools and flags that both Debian's small busybox and the image's busybox have are used.
import type { Probe } from "./types.ts";

export interface ScriptOptions {
  /** Makes the script's temporary file name unique (pods of a test cluster share one /tmp). */
  token?: string;
  /** Seconds one probe may take. */
  timeout: number;
  pingCount: number;
  /** Probes in flight at once inside the pod. */
  lanes: number;
}

export const RESULT_MARK = "@@";

/** Shell functions: each runs one probe and reports it; `$1` is the probe id. */
function prelude(o: ScriptOptions): string {
  const w = Math.max(1, Math.ceil(o.timeout));
  return [
    "set -f",
    // The floater's HTTP request, written once: a pipe per probe would cost two more forks.
    `R=/tmp/.netdoctor-req.${o.token ?? randomToken()}; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >$R`,
    // Report: id, exit code, the tool's output folded onto one line (word splitting joins it).
    `e(){ i=$1 r=$2; shift 2; echo "${RESULT_MARK} $i $r $*"; }`,
    // Partial loss in one short burst is often the pod's own scheduling, not the network: it is
    // confirmed by a second burst before it counts.
    // -q: the summary is all that is read (and output is what a large check holds in flight).
    `p(){ o=$(ping -q -c ${o.pingCount} -i 0.2 -W ${w} -w ${w} $1 2>&1); r=$?; }`,
    `i(){ p $2; case "$o" in *" 0% packet loss"*|*"100% packet loss"*) ;; *"packet loss"*) p $2;; esac; e $1 $r $o; }`,
    // The floater answers HTTP with "OK": a connect alone could be any listener.
    // A busy floater's listen backlog can close a connection unanswered: such a probe (connected,
    // no "OK") is tried once more before it counts.
    `t(){ o=$(nc -w ${w} $2 $3 <$R 2>&1); r=$?; case "$r$o" in 0*OK*) ;; 0*) o=$(nc -w ${w} $2 $3 <$R 2>&1); r=$?;; esac; case "$r$o" in 0*OK*) o=OK;; esac; e $1 $r $o; }`,
    `c(){ o=$(nc -w ${w} $2 $3 </dev/null 2>&1); e $1 $? $o; }`,
    `d(){ o=$(timeout ${w} nslookup $2 $3 2>&1); e $1 $? $o; }`,
  ].join("\n");
}

function call(p: Probe): string {
  const host = p.target.ip;
  switch (p.protocol) {
    case "icmp":
      return `i ${p.id} ${host}`;
    case "tcp":
      return `${p.custom ? "c" : "t"} ${p.id} ${host} ${p.target.port}`;
    case "dns":
      return `d ${p.id} ${p.target.name}${host ? ` ${host}` : ""}`;
  }
}

function randomToken(): string {
  return Math.random().toString(36).slice(2, 10);
}

export function probeScript(probes: Probe[], o: ScriptOptions): string {
  const lanes = Math.max(1, Math.min(o.lanes, probes.length));
  const byLane: string[][] = Array.from({ length: lanes }, () => []);
  probes.forEach((p, k) => byLane[k % lanes]!.push(call(p)));
  const body = byLane.map((calls) => `(${calls.join(";")})&`).join("\n");
  return `${prelude(o)}\n${body}\nwait\nrm -f $R\n`;
}

/** How long the exec of a script may take before it is given up on. */
export function scriptDeadlineMs(probeCount: number, o: ScriptOptions): number {
  const perLane = Math.ceil(probeCount / Math.max(1, Math.min(o.lanes, probeCount)));
  const perProbe = Math.max(1, Math.ceil(o.timeout)) + 1;
  return (perLane * perProbe + 15) * 1000;
}
