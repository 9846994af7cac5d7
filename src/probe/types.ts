// The data that flows through a check: floaters found, probes planned, verdicts reached.
import type { ReasonCode } from "./reasons.ts";

export type Family = "ipv4" | "ipv6";
export type ProbeProtocol = "icmp" | "tcp" | "dns" | "svc" | "nodeport" | "mtu";
export type Status = "Succeeded" | "Failed" | "Error";

/** A ready floater pod: where probes run from, and what they aim at. */
export interface Floater {
  /** Context of the cluster it runs in. */
  cluster: string;
  node: string;
  pod: string;
  namespace: string;
  network: "pod" | "host";
  ips: string[];
  /** The node's own addresses (the pod's hostIPs): where its NodePort answers. */
  hostIps: string[];
}

export interface Endpoint {
  cluster: string;
  node: string;
  ip: string;
}

export interface Probe {
  id: number;
  protocol: ProbeProtocol;
  family: Family;
  source: Endpoint;
  /** For dns: the server asked ("" = the pod's resolver) and node "". For custom targets node is "". */
  target: Endpoint & { port?: number; name?: string };
  /** A custom target (--target), probed with a plain connect rather than the floater's answer. */
  custom?: boolean;
  /** Sources that had already found the target silent when this probe was scripted: its timeout
   * is waited for briefly and not confirmed (silence.ts). */
  corroboratedBy?: number;
}

/** All the probes one source pod runs, in one exec. The probes are made when asked for (at
 * 500 nodes a check has half a million): memory follows the sources in flight, not the mesh.
 * Probe ids are unique within a source's plan. */
export interface SourcePlan {
  source: Floater;
  count: number;
  probes(): Probe[];
}

export interface Verdict {
  probe: Probe;
  status: Status;
  /** Plain words: "timeout: no reply to 3 pings", "connection refused", "exec failed: ...". */
  reason: string;
  /** The same, machine-readable (a closed set). */
  reasonCode: ReasonCode;
  rttMs?: number;
  lossPct?: number;
}

/** A node that could not take part (or came late), and why. */
export interface SkippedNode {
  cluster: string;
  node: string;
  reason: string;
}

/** A node whose floater became ready only after probing began: probed as it came. */
export interface LateNode extends SkippedNode {
  /** From the start of the wait for the floaters to this one ready. */
  readyAfterMs: number;
}
