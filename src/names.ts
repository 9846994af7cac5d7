// How a node, an address and a pair's target are written: one shape each, the same in the table,
// the HTML report, JUnit, run comparisons and findings. Pure.
import type { ResultRecord } from "./results/document.ts";

/** A node: "cluster/node" when the run spans two clusters (the same node name may be in both),
 * else its name. */
export function nodeText(n: { cluster: string; node: string }, showCluster: boolean): string {
  return showCluster ? `${n.cluster}/${n.node}` : n.node;
}

/** An address: ip, ip:port, or [ipv6]:port (bare, an IPv6 address's colons would swallow the port). */
export function addressText(e: { ip: string; port?: number }): string {
  if (!e.port) return e.ip;
  return `${e.ip.includes(":") ? `[${e.ip}]` : e.ip}:${e.port}`;
}

/** What a pair probes, apart from a target node: a DNS name and the server asked (the pod's
 * resolver when none is named), a Service by name and address, or an address. */
export function targetText(r: Pick<ResultRecord, "protocol" | "target">): string {
  if (r.protocol === "dns") return `${r.target.name ?? ""} @${r.target.ip || "resolver"}`;
  if (r.protocol === "svc") return `${r.target.name ?? "service"} ${addressText(r.target)}`;
  return addressText(r.target);
}

/** A pair: its source -> its target node, or what it probes. */
export function pairText(r: Pick<ResultRecord, "source" | "protocol" | "target">, showCluster: boolean): string {
  return `${nodeText(r.source, showCluster)} -> ${r.target.node ? nodeText(r.target, showCluster) : targetText(r)}`;
}
