// Which probes a check runs: every source floater x every target floater (other nodes) x address
// family x protocol, plus DNS and custom targets per source. Pure.
import { NODE_ORDER } from "../node-order.ts";
import type { Direction, IpFamily, Mode, Protocol } from "../config/settings.ts";
import { parseTarget } from "../config/targets.ts";
import { sampleTargets, type SampleOptions } from "./sample.ts";
import type { Family, Floater, Probe, SourcePlan } from "./types.ts";

export interface PlanOptions {
  mode: Mode;
  protocols: Protocol[];
  ipFamily: IpFamily;
  port: number;
  /** IP or IP:PORT, [v6]:PORT for IPv6 with a port. */
  targets: string[];
  dnsName: string;
  /** IP, IP:PORT or [v6]:PORT, as nslookup takes it; "": the pod's resolver. */
  dnsServer: string;
  /** Less than a full mesh (--sample): which targets each source probes; `among`: the nodes
   * ("cluster/node") the sample is drawn over, when not just the floaters planned. */
  sampling?: SampleOptions & { among?: { sources: string[]; targets: string[] } };
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

/** The floater networks a mode deploys: one, or both when sources and targets differ. */
export function floaterNetworks(mode: Mode): ("pod" | "host")[] {
  const { source, target } = networksOf(mode);
  return source === target ? [source] : [source, target];
}

export function familyOf(ip: string): Family {
  return ip.includes(":") ? "ipv6" : "ipv4";
}

export function familiesOf(ipFamily: IpFamily): Family[] {
  return ipFamily === "dual" ? ["ipv4", "ipv6"] : [ipFamily];
}

/** A run's Services in one cluster, for the svc and nodeport probes. */
export interface RunServices {
  port: number;
  /** ClusterIPs of the Service of every floater (any endpoint answers). */
  clusterIPs: string[];
  /** ClusterIPs of the internalTrafficPolicy: Local Service: only the source's own floater
   * answers, so a failure is the source node's own Service rules. */
  localIPs: string[];
  /** The NodePort: every node's own rules answer it (or refuse it when they are missing). */
  nodePort?: number;
  /** The families the NodePort answers on: its Service's (a single-stack IPv4 Service has no
   * IPv6 NodePort, whatever --ip-family asks). */
  nodePortFamilies?: Family[];
}

/** Protocols probed for every (source, target node) pair at the target floater's address. */
const PAIR_PROTOCOLS = ["icmp", "tcp", "mtu"] as const;

/**
 * sources and targets: the ready floaters of the source and target networks (for a cross-cluster
 * check, targets are the other cluster's). Pairs on the same node (and cluster) are skipped.
 * `services`: the run's Services in the sources' own cluster (none across clusters).
 */
export function planProbes(opts: PlanOptions, sources: Floater[], targets: Floater[], services?: RunServices): SourcePlan[] {
  const families = familiesOf(opts.ipFamily);
  const wanted = (ip: string) => families.includes(familyOf(ip));
  const pairProtocols = PAIR_PROTOCOLS.filter((p) => opts.protocols.includes(p));
  const nodePort = opts.protocols.includes("nodeport") ? services?.nodePort : undefined;
  const dnsName = opts.dnsName || "kubernetes.default.svc.cluster.local";
  const customTargets = opts.targets.map((t) => parseTarget(t)!);
  // Endpoints are made once and shared by every probe (and result) that names them.
  const byNode = (a: Floater, b: Floater) => NODE_ORDER.compare(a.node, b.node);
  const targetEndpoints = [...targets].sort(byNode).map((t) => ({
    floater: t,
    addresses: t.ips.filter(wanted).map((ip) => ({
      family: familyOf(ip),
      plain: { cluster: t.cluster, node: t.node, ip },
      withPort: { cluster: t.cluster, node: t.node, ip, port: opts.port },
    })),
    nodePorts: nodePort === undefined ? [] : t.hostIps.filter((ip) => wanted(ip) && (services?.nodePortFamilies ?? families).includes(familyOf(ip))).map((ip) => ({ family: familyOf(ip), endpoint: { cluster: t.cluster, node: t.node, ip, port: nodePort } })),
  }));
  const serviceEndpoints = !services || !opts.protocols.includes("svc") ? [] : [
    ...services.clusterIPs.filter(wanted).map((ip) => ({ family: familyOf(ip), endpoint: { cluster: "", node: "", ip, port: services.port, name: "service" } })),
    ...services.localIPs.filter(wanted).map((ip) => ({ family: familyOf(ip), endpoint: { cluster: "", node: "", ip, port: services.port, name: "service-local" } })),
  ];
  const perSourceExtras = (opts.protocols.includes("dns") ? 1 : 0) + customTargets.length + serviceEndpoints.length;
  const isSelf = (source: Floater, target: Floater) => target.node === source.node && target.cluster === source.cluster;
  const key = (f: Floater) => `${f.cluster}/${f.node}`;
  // Nodes are known to the sampler as "cluster/node" (zoneOf too). Drawn over every node awaited
  // when given, so that the sample does not depend on which floaters came first.
  const among = opts.sampling?.among;
  const sampled = opts.sampling && sampleTargets(among?.sources ?? sources.map(key), among?.targets ?? targets.map(key), opts.sampling);
  const skip = (source: Floater, target: Floater) => isSelf(source, target) || (sampled !== undefined && !sampled.get(key(source))?.has(key(target)));

  return [...sources].sort(byNode).map((source, index) => {
    const endpoint = (family: Family) => ({ cluster: source.cluster, node: source.node, ip: source.ips.find((ip) => familyOf(ip) === family) ?? "" });
    const count = targetEndpoints.reduce((n, t) => n + (skip(source, t.floater) ? 0 : t.addresses.length * pairProtocols.length + t.nodePorts.length), 0) + perSourceExtras;
    const probes = (): Probe[] => {
      const fromByFamily = new Map(families.map((f) => [f, endpoint(f)]));
      const from = (family: Family) => fromByFamily.get(family) ?? endpoint(family);
      // Ids follow node order (results are reported in it): each target's first id, counted first.
      const T = targetEndpoints.length;
      const firstId = new Int32Array(T);
      const skipped = new Uint8Array(T);
      let id = 1;
      for (let k = 0; k < T; k++) {
        const t = targetEndpoints[k]!;
        firstId[k] = id;
        skipped[k] = skip(source, t.floater) ? 1 : 0;
        if (!skipped[k]) id += t.addresses.length * pairProtocols.length + t.nodePorts.length;
      }
      // The probes run in another order: each source starts its sweep at its own place in the
      // target list (source i at target i+1), so sources probing at the same time reach
      // different targets instead of all knocking on the first floater at once (its listen
      // backlog overflowed at 500 nodes). Plain loops: 25 million probes at 5,000 nodes.
      const out: Probe[] = [];
      const start = (index + 1) % Math.max(1, T);
      for (let j = 0; j < T; j++) {
        const k = (start + j) % T;
        if (skipped[k]) continue;
        const t = targetEndpoints[k]!;
        let next = firstId[k]!;
        for (const a of t.addresses) {
          const src = from(a.family);
          for (const protocol of pairProtocols) out.push({ id: next++, protocol, family: a.family, source: src, target: protocol === "tcp" ? a.withPort : a.plain });
        }
        for (const n of t.nodePorts) out.push({ id: next++, protocol: "nodeport", family: n.family, source: from(n.family), target: n.endpoint });
      }
      for (const svc of serviceEndpoints) out.push({ id: id++, protocol: "svc", family: svc.family, source: from(svc.family), target: svc.endpoint });
      if (opts.protocols.includes("dns")) {
        const family = opts.dnsServer ? familyOf(parseTarget(opts.dnsServer)!.ip) : families[0]!;
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
  /** The run's name of the cluster (engine/clusters.ts). */
  cluster: string;
  floaters: Floater[];
  /** The run's Services in this cluster, when svc or nodeport is probed. */
  services?: RunServices;
  /** Every node whose floaters the run awaits here (those still coming too): a sample is drawn
   * over them. Default: the floaters' nodes. */
  nodes?: string[];
}

/** The probes of one cluster's API: its source floaters and the targets they aim at. */
export interface Leg {
  /** The run's name of the cluster whose API runs these execs. */
  cluster: string;
  plans: SourcePlan[];
}

/**
 * Within one cluster: its sources x its own targets. Across two: A's sources x B's targets (run
 * through A's API) and B's sources x A's targets (through B's), as `direction` asks.
 * `fresh`: a later wave, of the floaters that came late: they probe every floater, and the others
 * probe them, without their per-source probes again (DNS, Services, --target).
 */
export function planLegs(opts: PlanOptions, direction: Direction, source: ClusterFloaters, destination?: ClusterFloaters, fresh?: (f: Floater) => boolean): Leg[] {
  const { source: from, target: to } = networksOf(opts.mode);
  const pick = (c: ClusterFloaters, network: "pod" | "host") => c.floaters.filter((f) => f.network === network);
  const keys = (c: ClusterFloaters, network: "pod" | "host") => (c.nodes ?? pick(c, network).map((f) => f.node)).map((n) => `${c.cluster}/${n}`);
  const plans = (a: ClusterFloaters, b: ClusterFloaters, services?: RunServices): SourcePlan[] => {
    const o = opts.sampling ? { ...opts, sampling: { ...opts.sampling, among: { sources: keys(a, from), targets: keys(b, to) } } } : opts;
    const [sources, targets] = [pick(a, from), pick(b, to)];
    if (!fresh) return planProbes(o, sources, targets, services);
    return [
      ...planProbes(o, sources.filter(fresh), targets, services),
      ...planProbes(pairsOnly(o), sources.filter((f) => !fresh(f)), targets.filter(fresh), services),
    ];
  };
  if (!destination) return [{ cluster: source.cluster, plans: plans(source, source, source.services) }];
  const legs: Leg[] = [];
  // A cluster's Services are probed from inside it only: across clusters, pod and node IPs.
  const leg = (a: ClusterFloaters, b: ClusterFloaters) => legs.push({ cluster: a.cluster, plans: plans(a, b) });
  if (direction !== "b-to-a") leg(source, destination);
  if (direction !== "a-to-b") leg(destination, source);
  return legs;
}

/** The same options without the probes made once per source (DNS, the Service path, --target). */
function pairsOnly(opts: PlanOptions): PlanOptions {
  return { ...opts, protocols: opts.protocols.filter((p) => p !== "dns" && p !== "svc"), targets: [] };
}

/** How many pairs the legs probe. */
export function pairsOf(legs: Leg[]): number {
  return legs.reduce((n, l) => n + l.plans.reduce((m, p) => m + p.count, 0), 0);
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
