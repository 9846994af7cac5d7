// What --dry-run prints: per cluster, the objects a run would create, on which nodes, and the
// permissions it lacks. -o json|yaml prints the objects themselves (a v1 List, as kubectl's
// --dry-run=client -o yaml does). Pure.
import { dump } from "js-yaml";
import type { V1DaemonSet, V1Namespace, V1Service, V1ServiceAccount } from "@kubernetes/client-node";
import type { Output } from "../config/settings.ts";

export interface DryRunCluster {
  context: string;
  server: string;
  /** Objects the run would create (the namespace only when it does not exist). */
  namespace?: V1Namespace;
  serviceAccount: V1ServiceAccount;
  daemonSets: V1DaemonSet[];
  services: V1Service[];
  nodes: string[];
  /** False when the nodes could not be listed (missing permission). */
  nodesKnown: boolean;
  /** Missing permissions, described, and the grant for them. */
  missing: string[];
  grant?: string;
}

export function renderDryRun(clusters: DryRunCluster[], output: Output): string {
  if (output === "json" || output === "yaml") {
    const items = clusters.flatMap((c) => [...(c.namespace ? [c.namespace] : []), c.serviceAccount, ...c.daemonSets, ...c.services]);
    const list = { apiVersion: "v1", kind: "List", items };
    return output === "json" ? `${JSON.stringify(list, null, 2)}\n` : dump(list, { noRefs: true, lineWidth: -1 });
  }
  const lines = ["dry run: nothing was created or changed"];
  for (const c of clusters) {
    const ns = c.serviceAccount.metadata!.namespace!;
    lines.push(`context '${c.context}' (${c.server}):`);
    if (!c.nodesKnown) {
      lines.push("  the nodes could not be listed (permission missing): what would be created is not known");
    } else if (c.nodes.length === 0) {
      lines.push("  nothing to create: no node to check");
    } else {
      lines.push(c.namespace ? `  would create namespace ${ns} (and delete it afterwards)` : `  namespace ${ns} exists`);
      lines.push(`  would create serviceaccount ${ns}/${c.serviceAccount.metadata!.name}`);
      const sample = c.nodes.slice(0, 8).join(", ") + (c.nodes.length > 8 ? `, ... (${c.nodes.length - 8} more)` : "");
      for (const ds of c.daemonSets) lines.push(`  would create daemonset ${ns}/${ds.metadata!.name} on ${c.nodes.length} node${c.nodes.length === 1 ? "" : "s"}: ${sample}`);
      for (const svc of c.services) lines.push(`  would create service ${ns}/${svc.metadata!.name} (${svc.spec!.type ?? "ClusterIP"})`);
    }
    if (c.missing.length) {
      lines.push(`  missing permissions: ${c.missing.join(", ")}`);
      if (c.grant) lines.push(`  a cluster admin can grant exactly these with:\n${c.grant.replace(/^/gm, "    ")}`);
    } else {
      lines.push("  permissions: all granted");
    }
  }
  return `${lines.join("\n")}\n`;
}
