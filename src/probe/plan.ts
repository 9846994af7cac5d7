// Which probes a check runs: every source floater x every target floater (other nodes) x address
// family x protocol, plus DNS and custom targets per source. Pure.
import { NODE_ORDER } from "../node-order.ts";
import type { Direction, IpFamily, Mode, Protocol } from "../config/settings.ts";
import { parseTarget } from "../config/targets.ts";
import type { Family, Floater, Probe, SourcePlan } from "./types.ts";

export interface PlanOptions {
  mode: Mode;
  protocols: Protocol[];
  ipFamily: IpFamily;
  port: number;
  /** IP or IP:PORT, [v6]:PORT for IPv6 with a port. */
  targets: string[];
  dnsName: string;
  dnsServer: string;
}

/** Which floater network the sources and the targets of a mode use. */
export function networksOf(mode: Mode): { source: "pod" | "host"; target: "pod" | "host" } {
  switch (mode) {
    case "pod":
      return { source: "pod", target: "pod" };
    case "node":
      return { source: "host", target: "host" };
    case "node-to-pod":
      return { source: "host", target: "pod" };
    case "pod-to-node":
      return { source: "pod", target: "host" };
  }
}

export function familyOf(ip: string): Family {
  return ip.includes(":") ? "ipv6" : "ipv4";
}

export function familiesOf(ipFamily: IpFamily): Family[] {
  return ipFamily === "dual" ? ["ipv4", "ipv6"] : [ipFamily];
}

/**
 * sources and targets: the ready floaters of the source and target networks (for a cross-cluster
 * check, targets are the other cluster's). Pairs on the same node (and cluster) are skipped.
 */
export function planProbes(opts: PlanOptions, sources: Floater[], targets: Floater[]): SourcePlan[] {
  const families = familiesOf(opts.ipFamily);
  const pairProtocols = opts.protocols.filter((p): p is "icmp" | "tcp" => p !== "dns");
  const dnsName = opts.dnsName || "kubernetes.default.svc.cluster.local";
  const customTargets = opts.targets.map((t) => parseTarget(t)!);
  // Endpoints are made once and shared by every probe (and result) that names them.
  const byNode = (a: Floater, b: Floater) => NODE_ORDER.compare(a.node, b.node);
  const targetEndpoints = [...targets].sort(byNode).map((t) => ({
    floater: t,
    addresses: t.ips.filter((ip) => families.includes(familyOf(ip))).map((ip) => ({
      family: familyOf(ip),
      plain: { cluster: t.cluster, node: t.node, ip },
      withPort: { cluster: t.cluster, node: t.node, ip, port: opts.port },
    })),
  }));
  const perSourceExtras = (opts.protocols.includes("dns") ? 1 : 0) + customTargets.length;
  const isSelf = (source: Floater, target: Floater) => target.node === source.node && target.cluster === source.cluster;

  return [...sources].sort(byNode).map((source, index) => {
    const endpoint = (family: Family) => ({ cluster: source.cluster, node: source.node, ip: source.ips.find((ip) => familyOf(ip) === family) ?? "" });
    const count = targetEndpoints.reduce((n, t) => n + (isSelf(source, t.floater) ? 0 : t.addresses.length * pairProtocols.length), 0) + perSourceExtras;
    const probes = (): Probe[] => {
      let id = 1;
      const fromByFamily = new Map(families.map((f) => [f, endpoint(f)]));
      const from = (family: Family) => fromByFamily.get(family) ?? endpoint(family);
      // Ids follow node order (results are reported in it); the probes run in another order.
      const byTarget = targetEndpoints.map(({ floater: target, addresses }) =>
        isSelf(source, target) ? [] : addresses.flatMap((a) =>
          pairProtocols.map((protocol): Probe => ({ id: id++, protocol, family: a.family, source: from(a.family), target: protocol === "tcp" ? a.withPort : a.plain }))));
      // Each source starts its sweep at its own place in the target list (source i at target
      // i+1): sources probing at the same time then reach different targets, instead of all
      // knocking on the first floater at once (its listen backlog overflowed at 500 nodes).
      const start = (index + 1) % Math.max(1, byTarget.length);
      const out: Probe[] = [...byTarget.slice(start), ...byTarget.slice(0, start)].flat();
      if (opts.protocols.includes("dns")) {
        const family = opts.dnsServer ? familyOf(opts.dnsServer) : families[0]!;
        out.push({ id: id++, protocol: "dns", family, source: from(family), target: { cluster: "", node: "", ip: opts.dnsServer, name: dnsName } });
      }
      for (const t of customTargets) {
        const family = familyOf(t.ip);
        out.push({
          id: id++, protocol: t.port ? "tcp" : "icmp", family, source: from(family), custom: true,
          target: { cluster: "", node: "", ip: t.ip, ...(t.port ? { port: t.port } : {}) },
        });
      }
      return out;
    };
    return { source, count, probes };
  });
}

export interface ClusterFloaters {
  context: string;
  floaters: Floater[];
}

/** The probes of one cluster's API: its source floaters and the targets they aim at. */
export interface Leg {
  context: string;
  plans: SourcePlan[];
}

/**
 * Within one cluster: its sources x its own targets. Across two: A's sources x B's targets (run
 * through A's API) and B's sources x A's targets (through B's), as `direction` asks.
 */
export function planLegs(opts: PlanOptions, direction: Direction, source: ClusterFloaters, destination?: ClusterFloaters): Leg[] {
  const { source: from, target: to } = networksOf(opts.mode);
  const pick = (c: ClusterFloaters, network: "pod" | "host") => c.floaters.filter((f) => f.network === network);
  if (!destination) return [{ context: source.context, plans: planProbes(opts, pick(source, from), pick(source, to)) }];
  const legs: Leg[] = [];
  const leg = (a: ClusterFloaters, b: ClusterFloaters) => legs.push({ context: a.context, plans: planProbes(opts, pick(a, from), pick(b, to)) });
  if (direction !== "b-to-a") leg(source, destination);
  if (direction !== "a-to-b") leg(destination, source);
  return legs;
}

/** The same plans with only the probes `wanted` keeps (resume re-runs only what is due). */
export function narrowPlans(plans: SourcePlan[], wanted: (p: Probe) => boolean): SourcePlan[] {
  return plans
    .map((plan) => {
      const probes = plan.probes().filter(wanted);
      return { source: plan.source, count: probes.length, probes: () => probes };
    })
    .filter((p) => p.count > 0);
}
