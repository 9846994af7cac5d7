// The closed set of machine-readable reasons a verdict carries beside its words (`reasonCode`):
// what scripts, findings and reports match on, never the text. Documented in README "Reason codes".

export const REASON_CODES = [
  /** Succeeded. */
  "ok",
  /** Succeeded, but some pings were lost (kept as lossPct). */
  "loss",
  /** No answer within the probe's timeout (a silent drop). */
  "timeout",
  /** Connection refused (no listener, or a reject rule with a TCP reset). */
  "refused",
  /** Host unreachable: an ICMP unreachable came back (reject rule, or no neighbour). */
  "unreachable",
  /** Network unreachable from the source: no route. */
  "no-route",
  /** The source's kernel refused to send (a prohibit route or a policy on the source). */
  "blocked",
  /** Connected, but the floater's answer did not come back. */
  "no-answer",
  /** Full-size packets (Don't Fragment) are lost while small ones pass: an MTU black hole. */
  "mtu-blackhole",
  /** DNS: the name does not exist. */
  "nxdomain",
  /** DNS: the server answered SERVFAIL or REFUSED. */
  "servfail",
  /** DNS: the server did not answer. */
  "dns-timeout",
  /** An answer that was not the expected one (unrecognised tool output on success). */
  "wrong-answer",
  /** Error: the exec into the floater failed or was cut short: nothing is known of the network. */
  "exec-failed",
  /** Error: a tool the probe needs is missing from the floater image. */
  "tool-missing",
  /** Error: the floater may not run the probe (ping without CAP_NET_RAW). */
  "not-permitted",
  /** Not tested by a resume: the pair's last verdict is kept. */
  "not-rechecked",
  /** A failure the classifier has no name for: its reason has the tool's own words. */
  "other",
] as const;

export type ReasonCode = (typeof REASON_CODES)[number];
