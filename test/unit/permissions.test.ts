import { describe, expect, test } from "bun:test";
import { load } from "js-yaml";
import { describeCheck, grantCommand, requiredPermissions } from "../../src/floater/permissions.ts";
import { renderDryRun } from "../../src/report/dryrun.ts";
import { floaterObjects } from "../../src/floater/manifests.ts";

const docsOf = (cmd: string) => cmd.replace(/^kubectl apply -f - <<'EOF'\n/, "").replace(/\nEOF$/, "").split("\n---\n").map((d) => load(d) as any);

describe("permissions", () => {
  test("a run in a new namespace also needs to create and delete it", () => {
    const fresh = requiredPermissions("nd", false).map(describeCheck);
    const existing = requiredPermissions("nd", true).map(describeCheck);
    expect(fresh.filter((c) => !existing.includes(c))).toEqual(["create namespaces", "delete namespaces"]);
    expect(existing).toContain("create pods/exec in namespace nd");
    expect(existing).toContain("create daemonsets.apps in namespace nd");
  });
  test("the grant is exactly what is missing: cluster-scoped in a ClusterRole, namespaced in a Role of an existing namespace", () => {
    const missing = requiredPermissions("nd", true).filter((c) => ["nodes", "daemonsets"].includes(c.resource) || c.subresource === "exec");
    const docs = docsOf(grantCommand(missing, "jane", true));
    expect(docs.map((d) => `${d.kind} ${d.metadata.name}${d.metadata.namespace ? ` in ${d.metadata.namespace}` : ""}`)).toEqual([
      "ClusterRole netdoctor", "ClusterRoleBinding netdoctor", "Role netdoctor in nd", "RoleBinding netdoctor in nd",
    ]);
    expect(docs[0].rules).toEqual([{ apiGroups: [""], resources: ["nodes"], verbs: ["list"] }]);
    expect(docs[2].rules).toEqual([
      { apiGroups: ["apps"], resources: ["daemonsets"], verbs: ["create", "list", "delete"] },
      { apiGroups: [""], resources: ["pods/exec"], verbs: ["create", "get"] },
    ]);
    expect(docs[1].subjects).toEqual([{ kind: "User", name: "jane", apiGroup: "rbac.authorization.k8s.io" }]);
  });
  test("a namespace that does not exist yet: namespaced rules in a ClusterRole; service accounts as subjects", () => {
    const docs = docsOf(grantCommand(requiredPermissions("nd", false), "system:serviceaccount:ci:runner", false));
    expect(docs.map((d) => `${d.kind} ${d.metadata.name}`)).toEqual(["ClusterRole netdoctor", "ClusterRoleBinding netdoctor", "ClusterRole netdoctor-floaters", "ClusterRoleBinding netdoctor-floaters"]);
    expect(docs[0].rules).toContainEqual({ apiGroups: [""], resources: ["namespaces"], verbs: ["get", "create", "delete"] });
    expect(docs[3].subjects).toEqual([{ kind: "ServiceAccount", name: "runner", namespace: "ci" }]);
  });
});

describe("dry run", () => {
  const objects = floaterObjects({ namespace: "nd", runId: "abc123", image: "busybox", port: 8889, networks: ["pod"] });
  const cluster = { context: "a", server: "https://s", namespace: objects.namespace, serviceAccount: objects.serviceAccount, daemonSets: objects.daemonSets, services: objects.services, nodes: ["n1", "n2"], nodesKnown: true, missing: [] };
  test("text: what would be created, where, and the permissions", () => {
    const text = renderDryRun([cluster, { ...cluster, context: "b", namespace: undefined, missing: ["list nodes"], grant: "kubectl apply -f - <<'EOF'\nX\nEOF" }], "table");
    expect(text).toContain("dry run: nothing was created or changed");
    expect(text).toContain("would create namespace nd");
    expect(text).toContain("would create daemonset nd/netdoctor-abc123-pod on 2 nodes: n1, n2");
    expect(text).toContain("permissions: all granted");
    expect(text).toContain("namespace nd exists");
    expect(text).toContain("missing permissions: list nodes");
    expect(text).toContain("    kubectl apply -f - <<'EOF'");
  });
  test("-o yaml|json: the objects, as a List", () => {
    const list = load(renderDryRun([cluster], "yaml")) as any;
    expect(list.kind).toBe("List");
    expect(list.items.map((i: any) => i.kind)).toEqual(["Namespace", "ServiceAccount", "DaemonSet"]);
    expect(JSON.parse(renderDryRun([{ ...cluster, namespace: undefined }], "json")).items).toHaveLength(2);
  });
});
