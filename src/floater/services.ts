// The run's Services (svc and nodeport probes): which to create, and their addresses once their
// endpoints are the run's ready floaters.
import type { Settings } from "../config/settings.ts";
import type { KubeApi } from "../kube/client.ts";
import type { RunServices } from "../probe/plan.ts";
import type { Family } from "../probe/types.ts";
import { poll } from "../runtime/poll.ts";
import { runSelector, serviceName, type ServiceKind } from "./manifests.ts";

export function serviceKinds(settings: Pick<Settings, "protocols">): ServiceKind[] {
  return [
    ...(settings.protocols.includes("svc") ? (["cluster", "local"] as const) : []),
    ...(settings.protocols.includes("nodeport") ? (["nodeport"] as const) : []),
  ];
}

/** kube-proxy programs a node's rules after the endpoints change: at once, or after its
 * minSyncPeriod (1 s by default in iptables mode). The probes wait that long more. */
const RULES_SETTLE_MS = 2_000;

/** Wait (up to timeoutMs) until each Service lists `ready` ready endpoints, then give its
 * addresses. A Service short of endpoints is probed anyway: its failures will say so. */
export async function runServices(api: KubeApi, o: { namespace: string; runId: string; kinds: ServiceKind[]; ready: number; port: number; timeoutMs: number; signal?: AbortSignal }): Promise<RunServices | undefined> {
  if (o.kinds.length === 0) return undefined;
  const readyEndpoints = async (kind: ServiceKind) =>
    (await api.listEndpointSlices(o.namespace, serviceName(o.runId, kind)))
      .flatMap((s) => s.endpoints ?? [])
      .filter((e) => e.conditions?.ready !== false).length;
  const counted = await poll({
    look: async () => Math.min(...(await Promise.all(o.kinds.map(readyEndpoints)))),
    // Dual-stack Services have a slice per family: count per family at least.
    done: (n) => n >= o.ready,
    timeoutMs: o.timeoutMs,
    signal: o.signal,
  });
  if (counted.met) await Bun.sleep(RULES_SETTLE_MS);
  const services = await api.listServices(o.namespace, runSelector(o.runId));
  const serviceOf = (kind: ServiceKind) => services.find((s) => s.metadata?.name === serviceName(o.runId, kind));
  const ips = (kind: ServiceKind) => serviceOf(kind)?.spec?.clusterIPs?.filter((ip) => ip && ip !== "None") ?? [];
  const nodePortService = serviceOf("nodeport");
  const nodePort = nodePortService?.spec?.ports?.[0]?.nodePort;
  // The API server fills ipFamilies in; were it absent, every family is probed as before.
  const nodePortFamilies = nodePortService?.spec?.ipFamilies?.map((f): Family => (f === "IPv6" ? "ipv6" : "ipv4"));
  return {
    port: o.port,
    clusterIPs: o.kinds.includes("cluster") ? ips("cluster") : [],
    localIPs: o.kinds.includes("local") ? ips("local") : [],
    ...(nodePort ? { nodePort } : {}),
    ...(nodePort && nodePortFamilies ? { nodePortFamilies } : {}),
  };
}
