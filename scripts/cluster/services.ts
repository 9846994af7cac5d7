// Services made real: a kube-proxy (iptables mode, built from the same Kubernetes module as the
// API server) in every simulated node's namespace, programming the node's Service rules from the
// real Services and EndpointSlices; and the cluster DNS server behind a real kube-dns Service, so
// every DNS probe through the pod's resolver crosses that node's Service rules.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { dump } from "js-yaml";
import { AdminApi } from "./api.ts";
import { binaries, componentKubeconfig, STATE_DIR } from "./harness.ts";
import type { Pki } from "./pki.ts";
import { daemon, inNetns, waitFor } from "./sh.ts";
import type { ClusterLayout, NodeLayout } from "./topology.ts";

/** Pod CIDRs of both clusters and both families: traffic from outside them to a Service is
 * masqueraded, as in a real cluster. */
const CLUSTER_CIDR = "10.244.0.0/15,fd7e:6e64:244::/47";

function configFile(node: NodeLayout, cluster: ClusterLayout): string {
  const file = join(STATE_DIR, `kube-proxy-${node.name}.yaml`);
  writeFileSync(file, dump({
    apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
    kind: "KubeProxyConfiguration",
    clientConnection: { kubeconfig: componentKubeconfig(cluster) },
    hostnameOverride: node.name,
    mode: "iptables",
    clusterCIDR: CLUSTER_CIDR,
    bindAddress: node.ip,
    healthzBindAddress: `${node.ip}:10256`,
    metricsBindAddress: "127.0.0.1:10249",
    // Conntrack sysctls are the machine's, not the namespace's: leave them alone.
    conntrack: { maxPerCore: 0, min: 0, tcpEstablishedTimeout: "0s", tcpCloseWaitTimeout: "0s" },
    // Rules follow changes at once (tests create a run's Services just before probing them).
    iptables: { minSyncPeriod: "0s", syncPeriod: "30s" },
  }));
  return file;
}

export function startKubeProxy(node: NodeLayout, cluster: ClusterLayout): number {
  return daemon(["ip", "netns", "exec", node.netns, binaries().kubeProxy, `--config=${configFile(node, cluster)}`, "--v=0"],
    join(STATE_DIR, "logs", `kube-proxy-${node.name}.log`));
}

/** Remove a stopped kube-proxy's rules from its node (the kube-proxy-down fault). */
export function cleanupKubeProxy(node: NodeLayout): void {
  inNetns(node.netns, [binaries().kubeProxy, "--cleanup"], { allowFail: true });
}

/** The cluster DNS behind a selector-less kube-dns Service whose EndpointSlice names the server. */
export async function createDnsService(c: ClusterLayout, pki: Pki): Promise<void> {
  const api = new AdminApi(c.server, pki);
  const ports = [{ name: "dns", port: 53, protocol: "UDP" }, { name: "dns-tcp", port: 53, protocol: "TCP" }];
  await api.ok("POST", "/api/v1/namespaces/kube-system/services", {
    metadata: { name: "kube-dns", labels: { "k8s-app": "kube-dns" } },
    spec: { clusterIP: c.dnsServiceIP, ports },
  });
  await api.ok("POST", "/apis/discovery.k8s.io/v1/namespaces/kube-system/endpointslices", {
    metadata: { name: "kube-dns-server", labels: { "kubernetes.io/service-name": "kube-dns", "endpointslice.kubernetes.io/managed-by": "netdoctor-testcluster" } },
    addressType: "IPv4",
    endpoints: [{ addresses: [c.dnsIP], conditions: { ready: true } }],
    ports,
  });
}

/** Until this node's kube-proxy has programmed the kube-dns Service: DNS works from then on. */
export function waitServiceRules(node: NodeLayout, cluster: ClusterLayout): Promise<true> {
  return waitFor(`kube-proxy on ${node.name} to program the kube-dns Service`, 60_000, () =>
    inNetns(node.netns, ["iptables", "-t", "nat", "-S", "KUBE-SERVICES"], { allowFail: true }).includes(`${cluster.dnsServiceIP}/32`) || undefined);
}
