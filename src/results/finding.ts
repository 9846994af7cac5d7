// A finding as a results document carries it: what is broken, in words and as data. Made by the
// analysis (src/analysis/findings.ts); held, saved and rendered by everything else.

export type FindingKind =
  | "node-not-ready"
  | "not-rechecked"
  | "node-exec-failed"
  | "probe-error"
  | "cluster-wide"
  | "family-broken"
  | "interconnect"
  | "node-isolated"
  | "node-unreachable"
  | "node-cannot-reach"
  | "protocol-to-node"
  | "protocol-from-node"
  | "service-cluster"
  | "service-node"
  | "link"
  | "scattered"
  | "dns-server"
  | "dns-name"
  | "dns-from-node"
  | "target-unreachable"
  | "latency-node"
  | "latency-link"
  | "unexplained"
  | "sampled";

export type Severity = "error" | "warning" | "info";

export interface FindingSubject {
  cluster?: string;
  node?: string;
  /** A link, or a cluster-to-cluster direction: from -> to (both ways when `bothWays`). */
  from?: string;
  to?: string;
  bothWays?: boolean;
  protocols?: string[];
  family?: string;
  dnsServer?: string;
  dnsName?: string;
  target?: string;
}

export interface Finding {
  kind: FindingKind;
  severity: Severity;
  subject: FindingSubject;
  /** One line, plain words. */
  explanation: string;
  evidence: {
    /** Failing (or slow) pairs this finding explains... */
    pairs: number;
    /** ...out of the pairs its rule looked at. */
    of: number;
    examples: string[];
  };
}
