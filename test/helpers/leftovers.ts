// What netdoctor left in a cluster: every object labelled as ours, in any namespace.
import { adminApi } from "../../scripts/cluster/harness.ts";

const SELECTOR = "app.kubernetes.io%2Fmanaged-by%3Dkubectl-netdoctor";

export async function netdoctorObjects(cluster: "a" | "b" = "a"): Promise<string[]> {
  const api = adminApi(cluster);
  const out: string[] = [];
  for (const [kind, path] of [
    ["namespace", "/api/v1/namespaces"],
    ["daemonset", "/apis/apps/v1/daemonsets"],
    ["serviceaccount", "/api/v1/serviceaccounts"],
    ["pod", "/api/v1/pods"],
  ] as const) {
    const list = await api.ok("GET", `${path}?labelSelector=${SELECTOR}`);
    for (const item of list.items) out.push(`${kind} ${item.metadata.namespace ? `${item.metadata.namespace}/` : ""}${item.metadata.name}`);
  }
  return out;
}
