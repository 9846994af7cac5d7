import { describe, expect, test } from "bun:test";
import { floaterObjects, imageWithRepository, podSecurityProblem } from "../../src/floater/manifests.ts";
import { selectNodes } from "../../src/floater/select.ts";
import { UsageError } from "../../src/errors.ts";

const spec = { namespace: "nd", runId: "abc123", image: "docker.io/library/busybox:1.37.0", port: 9000, networks: ["pod" as const] };

describe("floater objects", () => {
  test("everything is labelled with the manager and the run", () => {
    const o = floaterObjects(spec);
    for (const meta of [o.namespace.metadata, o.serviceAccount.metadata, o.daemonSets[0]!.metadata, o.daemonSets[0]!.spec!.template.metadata]) {
      expect(meta!.labels).toMatchObject({ "app.kubernetes.io/managed-by": "kubectl-netdoctor", "netdoctor.io/run-id": "abc123" });
    }
  });
  test("least privilege: no token, no RBAC, no privilege, nothing added", () => {
    const o = floaterObjects(spec);
    expect(o.serviceAccount.automountServiceAccountToken).toBe(false);
    const pod = o.daemonSets[0]!.spec!.template.spec!;
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.hostNetwork).toBeUndefined();
    const sc = pod.containers[0]!.securityContext!;
    expect(sc.privileged).toBeUndefined();
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.capabilities!.add).toBeUndefined();
    expect(sc.capabilities!.drop).not.toContain("NET_RAW");
    expect(o.namespace.metadata!.labels!["pod-security.kubernetes.io/enforce"]).toBe("baseline");
  });
  test("host network modes get hostNetwork and a privileged namespace", () => {
    const o = floaterObjects({ ...spec, networks: ["host", "pod"] });
    expect(o.daemonSets.map((d) => d.spec!.template.spec!.hostNetwork)).toEqual([true, undefined]);
    expect(o.namespace.metadata!.labels!["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    expect(new Set(o.daemonSets.map((d) => d.metadata!.name)).size).toBe(2);
  });
  test("port, image, pull secret, readiness on the port, small requests, all taints tolerated", () => {
    const ds = floaterObjects({ ...spec, imagePullSecret: "regcred" }).daemonSets[0]!;
    const pod = ds.spec!.template.spec!;
    const c = pod.containers[0]!;
    expect(c.image).toBe(spec.image);
    expect(c.env).toEqual([{ name: "FLOATER_PORT", value: "9000" }]);
    expect(c.readinessProbe!.tcpSocket!.port).toBe(9000);
    expect(c.resources!.requests).toEqual({ cpu: "10m", memory: "16Mi" });
    expect(pod.imagePullSecrets).toEqual([{ name: "regcred" }]);
    expect(pod.tolerations).toEqual([{ operator: "Exists" }]);
  });
  test("chosen nodes become node affinity, one term per node", () => {
    const pod = floaterObjects({ ...spec, nodeNames: ["n1", "n2"] }).daemonSets[0]!.spec!.template.spec!;
    const terms = pod.affinity!.nodeAffinity!.requiredDuringSchedulingIgnoredDuringExecution!.nodeSelectorTerms;
    expect(terms.map((t) => t.matchFields![0]!.values)).toEqual([["n1"], ["n2"]]);
  });
  test("image repository swaps the registry prefix", () => {
    expect(imageWithRepository("docker.io/library/busybox:1.37.0", "mirror.local/lib/")).toBe("mirror.local/lib/busybox:1.37.0");
    expect(imageWithRepository("busybox:1.37.0", "")).toBe("busybox:1.37.0");
  });
});

describe("Pod Security of an existing namespace", () => {
  const level = (l: string) => ({ "pod-security.kubernetes.io/enforce": l });
  test("pod network floaters need baseline, host network ones privileged", () => {
    expect(podSecurityProblem(level("baseline"), ["pod"])).toBeUndefined();
    expect(podSecurityProblem(level("privileged"), ["pod", "host"])).toBeUndefined();
    expect(podSecurityProblem(level("baseline"), ["host"])).toContain('is "baseline"');
    expect(podSecurityProblem(level("baseline"), ["pod", "host"])).toContain('only by "privileged"');
    expect(podSecurityProblem(level("restricted"), ["pod"])).toContain('only by "baseline"');
  });
  test("no label (the cluster default, unknown) or an unknown level: not refused", () => {
    expect(podSecurityProblem(undefined, ["host"])).toBeUndefined();
    expect(podSecurityProblem({}, ["host"])).toBeUndefined();
    expect(podSecurityProblem(level("bogus"), ["host"])).toBeUndefined();
  });
});

describe("node selection", () => {
  const all = ["n1", "n2", "n3"];
  test("--nodes narrows, --exclude-nodes removes", () => {
    expect(selectNodes(all, { nodes: ["n1", "n3"], excludeNodes: [] }, "c")).toEqual(["n1", "n3"]);
    expect(selectNodes(all, { nodes: [], excludeNodes: ["n2"] }, "c")).toEqual(["n1", "n3"]);
  });
  test("unknown names and an empty selection are usage errors", () => {
    expect(() => selectNodes(all, { nodes: ["n9"], excludeNodes: [] }, "c")).toThrow(UsageError);
    expect(() => selectNodes(all, { nodes: [], excludeNodes: all }, "c")).toThrow("no nodes left");
  });
});
