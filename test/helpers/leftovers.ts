// What netdoctor left in a cluster: every object labelled as ours, in any namespace.
import { adminApi } from "../../scripts/cluster/harness.ts";

const SELECTOR = "app.kubernetes.io%2Fmanaged-by%3Dkubectl-netdoctor";

/** Objects being deleted (or in a namespace being deleted) are waited for, up to `settleMs`: a
 * run removes its pods and asks for its namespace's deletion, which the API server finishes on
 * its own a few seconds later. What is still there after that is left behind. */
export async function netdoctorObjects(cluster: "a" | "b" = "a", settleMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + settleMs;
  for (;;) {
    const { names, terminating } = await snapshot(cluster);
    if (!terminating || Date.now() > deadline) return names;
    await Bun.sleep(250);
  }
}

async function snapshot(cluster: "a" | "b"): Promise<{ names: string[]; terminating: boolean }> {
  const api = adminApi(cluster);
  const names: string[] = [];
  let terminating = false;
  const goingNamespaces = new Set<string>();
  for (const [kind, path] of [
    ["namespace", "/api/v1/namespaces"],
    ["daemonset", "/apis/apps/v1/daemonsets"],
    ["serviceaccount", "/api/v1/serviceaccounts"],
    ["pod", "/api/v1/pods"],
    ["service", "/api/v1/services"],
  ] as const) {
    const list = await api.ok("GET", `${path}?labelSelector=${SELECTOR}`);
    for (const item of list.items) {
      const ns: string | undefined = item.metadata.namespace;
      if (item.metadata.deletionTimestamp) {
        terminating = true;
        if (kind === "namespace") goingNamespaces.add(item.metadata.name);
      }
      if (ns && goingNamespaces.has(ns)) terminating = true;
      names.push(`${kind} ${ns ? `${ns}/` : ""}${item.metadata.name}`);
    }
  }
  return { names, terminating };
}
