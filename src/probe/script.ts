// One source's probes as ONE shell script, run by one exec (`sh -c SCRIPT`, never on stdin): the
// probes run concurrently in lanes inside the pod and each prints one line "@@ <id> <exit> <output>"
// (a ping that lost nothing: "@@ <id> 0 RTT <min>/<avg>/<max>"; a floater that answered: "@@ <id> 0 OK").
// Only tools and flags that every busybox build has are used; nc -vv only where nc has it (prelude).
import { CORROBORATED_WAIT_S } from "./silence.ts";
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
/** A ping's short success line: "@@ <id> 0 RTT <min>/<avg>/<max>" (ms). */
export const RTT_MARK = "RTT";

/** Shell functions: each runs one probe and reports it; `$1` is the probe id. Addresses and names
 * arrive quoted (shellQuote) and stay quoted ("$2"), so each reaches its tool as one argument. */
function prelude(o: ScriptOptions, withMtu: boolean): string {
  const w = Math.max(1, Math.ceil(o.timeout));
  return [
    "set -f",
    // The floater's HTTP request, written once: a pipe per probe would cost two more forks.
    `R=${shellQuote(`/tmp/.netdoctor-req.${o.token ?? randomToken()}`)}; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >"$R"`,
    // Report: id, exit code, the tool's output folded onto one line (word splitting joins it).
    `e(){ i=$1 r=$2; shift 2; echo "${RESULT_MARK} $i $r $*"; }`,
    // Loss is often the pod's own doing, not the network: every concurrent ping's raw socket
    // receives every ICMP packet of the pod, and busybox ping's small receive buffer overflows
    // with its neighbours' replies (1 in 1600 lone pings lost at 32 in flight, on an idle
    // machine). So a lost ping is confirmed by a burst of at least 3, 50 ms apart (0.1 s): a pair
    // fails only after 4 lost in a row; both bursts' summaries are reported (and summed). -q: the
    // summary is all that is read.
    `p(){ o=$(ping -q -c $2 -i 0.05 -W $3 -w $3 "$1" 2>&1); r=$?; }`,
    // The healthy mass is said in short, by the pod: a first burst that lost nothing and exited
    // 0 reports only its round trips, "RTT <min>/<avg>/<max>" (from "round-trip min/avg/max =
    // 0.099/0.150/0.234 ms", the summary's last line), not its ~150-byte summary. Anything else
    // (loss, an error, a summary without round trips) keeps the tool's whole output.
    // A third argument (a target others found silent, silence.ts): wait that long, no second burst.
    `i(){ p "$2" ${o.pingCount} \${3:-${w}}; case "$r$o" in 0*" 0% packet loss"*"/avg/"*" = "*) o="${RTT_MARK} \${o##*= }"; o=\${o% ms};; *" 0% packet loss"*) ;; *"packet loss"*) [ "$3" ] || { f=$o; p "$2" ${Math.max(3, o.pingCount)} ${w}; o="$f $o"; };; esac; e $1 $r $o; }`,
    // The image's nc (the "nc 1.10 compatible" applet) says why a connect failed only with -vv
    // (-v hides refusals); a small build's nc always says it and has no -v. Asked once per script.
    `V=; case $(nc --help 2>&1) in *"\t-v"*) V=-vv;; esac`,
    // The floater answers HTTP with "OK": a connect alone could be any listener.
    // A lone failure is confirmed once more before it counts, as a lost ping is: a busy floater's
    // listen backlog can close a connection unanswered, and at 500 nodes on one machine 84 of
    // 499,000 connects timed out once on a healthy cluster; the second try waits a second, so a
    // burst that filled the listener's backlog has passed (139 of 499,000 failed both tries when
    // they came back to back, in one of two runs). A refusal or an ICMP unreachable is
    // the network's own answer: not tried again. "A " marks an output that needed a second try
    // ("A" alone when that try printed nothing: the folding drops the space).
    // A fourth argument, as for i.
    `t(){ a=; o=$(nc $V -w \${4:-${w}} "$2" "$3" <"$R" 2>&1); r=$?; case "$r$o" in 0*OK*|*efused*|*nreachable*) ;; *) [ "$4" ] || { a="A "; sleep 1; o=$(nc $V -w ${w} "$2" "$3" <"$R" 2>&1); r=$?; };; esac; case "$r$o" in 0*OK*) o=OK;; esac; e $1 $r $a$o; }`,
    `c(){ o=$(nc $V -w ${w} "$2" "$3" </dev/null 2>&1); e $1 $? $o; }`,
    // No server: no argument at all, not an empty one.
    `d(){ o=$(timeout ${w} nslookup "$2" \${3:+"$3"} 2>&1); e $1 $? $o; }`,
    ...(withMtu ? mtuPrelude(w) : []),
  ].join("\n");
}

/** The mtu probe: full-size pings (the source interface's MTU, less the IP and ICMP headers: $3)
 * with Don't Fragment (a raw socket's default, IP_PMTUDISC_WANT). Lost ones are confirmed by a
 * second pair (large replies fill a busy pod's ping buffers sooner: measured at 100 nodes in
 * scale mode, 135 of 9,900 lost once). Then small ones tell a black hole from a dead path, and a
 * bisection (1 s per step, to 16 bytes) finds the largest size that passes. Two pings per size:
 * one lost alone is not a verdict. */
function mtuPrelude(w: number): string[] {
  return [
    // The pod's own interface (eth0), else the first that is not loopback (host network).
    `U=; set +f; for f in /sys/class/net/eth0/mtu /sys/class/net/*/mtu; do case $f in */lo/mtu) ;; *) [ -r $f ] && { read U <$f; break; };; esac; done; set -f; [ -n "$U" ] || U=1500`,
    `q(){ ping -q -c 2 -i 0.05 -s $2 -W $3 -w $3 "$1" >/dev/null 2>&1; r=$?; }`,
    `m(){ s=$((U-$3)); q "$2" $s ${w}; [ $r = 0 ] || q "$2" $s ${w}; [ $r = 0 ] && { e $1 0 MTU $U SIZE $s OK; return; }; q "$2" 56 ${w}; [ $r = 0 ] || { e $1 1 MTU $U SIZE $s LOST SMALL LOST; return; }; ` +
      `l=56 h=$s; while [ $((h-l)) -gt 16 ]; do k=$(((l+h)/2)); q "$2" $k 1; if [ $r = 0 ]; then l=$k; else h=$k; fi; done; e $1 1 MTU $U SIZE $s LOST LARGEST $l; }`,
  ];
}

/** A string as one shell word, whatever it holds: in single quotes, each ' as '\''. (The test
 * first: replaceAll on every address made a 10,000-probe script 2.7 ms to build, not 1.9.) */
function shellQuote(s: string): string {
  return `'${s.includes("'") ? s.replaceAll("'", "'\\''") : s}'`;
}

/** One probe's call. Every string is quoted (validation keeps hostile values out; this keeps them
 * inert should one get past it); ids, ports and sizes are numbers. */
function call(p: Probe): string {
  const host = shellQuote(p.target.ip);
  const brief = p.corroboratedBy ? ` ${CORROBORATED_WAIT_S}` : "";
  switch (p.protocol) {
    case "icmp":
      return `i ${p.id} ${host}${brief}`;
    case "mtu":
      return `m ${p.id} ${host} ${p.family === "ipv6" ? 48 : 28}`;
    case "tcp":
      return p.custom ? `c ${p.id} ${host} ${p.target.port}` : `t ${p.id} ${host} ${p.target.port}${brief}`;
    case "svc":
    case "nodeport":
      return `t ${p.id} ${host} ${p.target.port}${brief}`;
    case "dns":
      return `d ${p.id} ${shellQuote(p.target.name ?? "")}${p.target.ip ? ` ${host}` : ""}`;
  }
}

function randomToken(): string {
  return Math.random().toString(36).slice(2, 10);
}

/** Pings in flight at once in one pod. Every ping's raw socket receives every ICMP packet of the
 * pod, and busybox ping's receive buffer holds about ten: with 32 pings in flight, replies were
 * lost in the pod (1 in 1600 lone pings on an idle machine, up to 10 of 9900 pairs failing twice
 * in a 100-node check); at 8, none in 1600. */
export const ICMP_IN_FLIGHT = 8;

const isPing = (p: Probe) => p.protocol === "icmp" || p.protocol === "mtu";

/** Which probes run one after another in each lane: pings in at most ICMP_IN_FLIGHT lanes, the
 * other probes in the remaining lanes (or in all of them, when there are few). */
export function lanesOf(probes: Probe[], lanes: number): Probe[][] {
  const total = Math.max(1, Math.min(lanes, probes.length));
  let pings = 0;
  for (const p of probes) if (isPing(p)) pings++;
  const pingLanes = Math.min(total, ICMP_IN_FLIGHT, pings);
  const otherFrom = pingLanes < total ? pingLanes : 0;
  const byLane: Probe[][] = Array.from({ length: total }, () => []);
  // One pass, each kind dealt round its lanes in plan order.
  let [ping, other] = [0, 0];
  for (const p of probes) {
    if (isPing(p)) byLane[ping++ % pingLanes]!.push(p);
    else byLane[otherFrom + (other++ % (total - otherFrom))]!.push(p);
  }
  return byLane.filter((lane) => lane.length > 0);
}

/** A source's script and how long its exec may take, from one division into lanes (a source
 * has 5,000 probes at 5,000 nodes). */
export function scriptOf(probes: Probe[], o: ScriptOptions): { script: string; deadlineMs: number } {
  const lanes = lanesOf(probes, o.lanes);
  return { script: scriptFor(probes, lanes, o), deadlineMs: deadlineFor(lanes, o) };
}

export function probeScript(probes: Probe[], o: ScriptOptions): string {
  return scriptFor(probes, lanesOf(probes, o.lanes), o);
}

function scriptFor(probes: Probe[], lanes: Probe[][], o: ScriptOptions): string {
  let body = "";
  for (const lane of lanes) {
    body += "(";
    for (let k = 0; k < lane.length; k++) {
      if (k) body += ";";
      body += call(lane[k]!);
    }
    body += ")&\n";
  }
  return `${prelude(o, probes.some((p) => p.protocol === "mtu"))}\n${body}wait\nrm -f "$R"\n`;
}

/** How long a probe may take at worst, in units of its timeout: a ping twice (a lost burst is
 * confirmed by a second one); the image's nc waits up to twice -w on a connection that stays
 * silent (measured on busybox 1.37.0), and a floater probe connects twice when unanswered. */
function worstCase(p: Probe): number {
  switch (p.protocol) {
    case "icmp":
      return 2;
    case "tcp":
      return p.custom ? 2 : 4;
    case "svc":
    case "nodeport":
      return 4;
    case "mtu":
      return 3 + 7; // full size twice, small, then up to 7 bisection steps of 1 s
    case "dns":
      return 1;
  }
}

/** How long the exec of a script may take before it is given up on: its slowest lane with every
 * probe taking its worst case. */
export function scriptDeadlineMs(probes: Probe[], o: ScriptOptions): number {
  return deadlineFor(lanesOf(probes, o.lanes), o);
}

function deadlineFor(lanes: Probe[][], o: ScriptOptions): number {
  const w = Math.max(1, Math.ceil(o.timeout)) + 1;
  let slowest = 0;
  for (const lane of lanes) {
    let seconds = 0;
    for (const p of lane) seconds += worstCase(p) * w;
    slowest = Math.max(slowest, seconds);
  }
  return (slowest + 15) * 1000;
}
