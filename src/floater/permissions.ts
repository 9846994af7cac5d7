// What a run may do in a cluster, asked before anything is created: every verb and resource a
// run uses, and, for what is missing, the exact RBAC that grants it (no more). Pure.
import type { AccessCheck } from "../kube/client.ts";

/** Every API call a run makes, as access checks. `namespaceExists`: else the run creates it (and
 * deletes it again). Optional shortcuts (deleting pods as a collection) are left out. */
export function requiredPermissions(namespace: string, namespaceExists: boolean, withServices = false): AccessCheck[] {
  return [
    { verb: "list", resource: "nodes" },
    { verb: "get", resource: "namespaces" },
    ...(namespaceExists ? [] : [{ verb: "create", resource: "namespaces" }, { verb: "delete", resource: "namespaces" }]),
    { verb: "create", resource: "serviceaccounts", namespace },
    { verb: "list", resource: "serviceaccounts", namespace },
    { verb: "delete", resource: "serviceaccounts", namespace },
    { verb: "create", resource: "daemonsets", group: "apps", namespace },
    { verb: "list", resource: "daemonsets", group: "apps", namespace },
    { verb: "delete", resource: "daemonsets", group: "apps", namespace },
    { verb: "list", resource: "pods", namespace },
    // WebSocket exec is authorised as "get" by some API servers and "create" by others.
    { verb: "create", resource: "pods", subresource: "exec", namespace },
    { verb: "get", resource: "pods", subresource: "exec", namespace },
    // svc and nodeport probes: the run's Services, and their endpoints to know when they serve.
    ...(withServices
      ? [
        { verb: "create", resource: "services", namespace },
        { verb: "list", resource: "services", namespace },
        { verb: "delete", resource: "services", namespace },
        { verb: "list", resource: "endpointslices", group: "discovery.k8s.io", namespace },
      ]
      : []),
  ];
}

export function describeCheck(c: AccessCheck): string {
  const resource = `${c.resource}${c.subresource ? `/${c.subresource}` : ""}${c.group ? `.${c.group}` : ""}`;
  return `${c.verb} ${resource}${c.namespace ? ` in namespace ${c.namespace}` : ""}`;
}

/** RBAC subject of a user name as the API server reports it (SelfSubjectReview). */
function subject(user: string | undefined): string {
  const sa = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(user ?? "");
  if (sa) return `{kind: ServiceAccount, name: ${sa[2]}, namespace: ${sa[1]}}`;
  return `{kind: User, name: ${JSON.stringify(user ?? "YOUR-USER")}, apiGroup: rbac.authorization.k8s.io}`;
}

/** A `kubectl apply` that grants exactly the missing checks to `user`: cluster-scoped rules in a
 * ClusterRole; namespaced ones in a Role when the namespace exists, else in a ClusterRole (a
 * namespace that does not exist yet cannot hold a Role). */
export function grantCommand(missing: AccessCheck[], user: string | undefined, namespaceExists: boolean): string {
  const rules = (checks: AccessCheck[]) => {
    const byResource = new Map<string, { group: string; resource: string; verbs: string[] }>();
    for (const c of checks) {
      const resource = `${c.resource}${c.subresource ? `/${c.subresource}` : ""}`;
      const key = `${c.group ?? ""}/${resource}`;
      const entry = byResource.get(key) ?? { group: c.group ?? "", resource, verbs: [] };
      entry.verbs.push(c.verb);
      byResource.set(key, entry);
    }
    return [...byResource.values()].map((r) => `- {apiGroups: [${JSON.stringify(r.group)}], resources: [${r.resource}], verbs: [${r.verbs.join(", ")}]}`);
  };
  const docs: string[] = [];
  const role = (kind: "ClusterRole" | "Role", name: string, checks: AccessCheck[], namespace?: string) => {
    if (!checks.length) return;
    const meta = namespace ? `{name: ${name}, namespace: ${namespace}}` : `{name: ${name}}`;
    docs.push([`apiVersion: rbac.authorization.k8s.io/v1`, `kind: ${kind}`, `metadata: ${meta}`, `rules:`, ...rules(checks)].join("\n"));
    docs.push([`apiVersion: rbac.authorization.k8s.io/v1`, `kind: ${kind}Binding`, `metadata: ${meta}`,
      `roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ${kind}, name: ${name}}`, `subjects:`, `- ${subject(user)}`].join("\n"));
  };
  const clusterScoped = missing.filter((c) => !c.namespace);
  const namespaced = missing.filter((c) => c.namespace);
  role("ClusterRole", "netdoctor", clusterScoped);
  if (namespaced.length && namespaceExists) role("Role", "netdoctor", namespaced, namespaced[0]!.namespace);
  else role("ClusterRole", "netdoctor-floaters", namespaced);
  return `kubectl apply -f - <<'EOF'\n${docs.join("\n---\n")}\nEOF`;
}
