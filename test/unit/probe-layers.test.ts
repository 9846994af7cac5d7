// The Service path, NodePort and MTU probes: planned, scripted and classified.
import { describe, expect, test } from "bun:test";
import { classify } from "../../src/probe/classify.ts";
import { planProbes, type PlanOptions, type RunServices } from "../../src/probe/plan.ts";
import { lanesOf, probeScript, scriptDeadlineMs } from "../../src/probe/script.ts";
import type { Floater, Probe } from "../../src/probe/types.ts";

const floater = (node: string, k: number): Floater => ({ cluster: "c", node, pod: `p-${node}`, namespace: "ns", network: "pod", ips: [`10.0.${k}.1`], hostIps: [`192.168.0.${k}`] });
const floaters = [floater("n1", 1), floater("n2", 2), floater("n3", 3)];
const opts = (protocols: PlanOptions["protocols"]): PlanOptions => ({ mode: "pod", protocols, ipFamily: "ipv4", port: 8889, targets: [], dnsName: "", dnsServer: "" });
const services: RunServices = { port: 8889, clusterIPs: ["10.96.0.20"], localIPs: ["10.96.0.21"], nodePort: 30123 };
const show = (p: Probe) => `${p.source.node} ${p.protocol} ${p.target.node || p.target.name} ${p.target.ip}${p.target.port ? `:${p.target.port}` : ""}`;

describe("plan", () => {
  test("svc: each source asks the Service and the node-local Service once", () => {
    const [n1] = planProbes(opts(["svc"]), floaters, floaters, services);
    expect(n1!.count).toBe(2);
    expect(n1!.probes().map(show)).toEqual(["n1 svc service 10.96.0.20:8889", "n1 svc service-local 10.96.0.21:8889"]);
  });
  test("nodeport: every other node's own address at the NodePort", () => {
    const [n1] = planProbes(opts(["nodeport"]), floaters, floaters, services);
    expect(n1!.count).toBe(2);
    expect(n1!.probes().map(show)).toEqual(["n1 nodeport n2 192.168.0.2:30123", "n1 nodeport n3 192.168.0.3:30123"]);
  });
  test("nodeport: only the families its Service has (a single-stack Service with --ip-family dual)", () => {
    const dual = floaters.map((f, k) => ({ ...f, hostIps: [...f.hostIps, `fd00::${k + 1}`] }));
    const plan = (families: RunServices["nodePortFamilies"]) => planProbes({ ...opts(["nodeport"]), ipFamily: "dual" }, dual, dual, { ...services, nodePortFamilies: families })[0]!;
    expect(plan(["ipv4"]).probes().map(show)).toEqual(["n1 nodeport n2 192.168.0.2:30123", "n1 nodeport n3 192.168.0.3:30123"]);
    expect(plan(["ipv4"]).count).toBe(2);
    expect(plan(["ipv4", "ipv6"]).probes().map(show)).toEqual(["n1 nodeport n2 192.168.0.2:30123", "n1 nodeport n2 fd00::2:30123", "n1 nodeport n3 192.168.0.3:30123", "n1 nodeport n3 fd00::3:30123"]);
  });
  test("mtu: every other node's floater, as ping", () => {
    const [, n2] = planProbes(opts(["icmp", "mtu"]), floaters, floaters, services);
    expect(n2!.probes().map(show)).toEqual(["n2 icmp n3 10.0.3.1", "n2 mtu n3 10.0.3.1", "n2 icmp n1 10.0.1.1", "n2 mtu n1 10.0.1.1"]);
  });
  test("no Services (another cluster's targets): no svc or nodeport probes", () => {
    const [n1] = planProbes(opts(["svc", "nodeport", "icmp"]), floaters, floaters);
    expect(n1!.probes().map((p) => p.protocol)).toEqual(["icmp", "icmp"]);
    expect(n1!.count).toBe(2);
  });
});

describe("script", () => {
  const probes = planProbes(opts(["mtu", "svc", "nodeport"]), floaters, floaters, services)[0]!.probes();
  const script = probeScript(probes, { timeout: 2, pingCount: 1, lanes: 32, token: "t" });
  test("svc and nodeport expect the floater's answer; mtu pings at the interface's MTU less the headers", () => {
    expect(script).toContain("(t 5 '10.96.0.20' 8889)&");
    expect(script).toContain("(t 2 '192.168.0.2' 30123)&");
    expect(script).toContain("(m 1 '10.0.2.1' 28)&");
    expect(script).toContain("read U <$f");
  });
  test("the MTU is read only when mtu is probed; mtu counts as a ping for the lanes", () => {
    expect(probeScript(probes.filter((p) => p.protocol !== "mtu"), { timeout: 2, pingCount: 1, lanes: 4 })).not.toContain("/sys/class/net");
    const lanes = lanesOf(probes, 32);
    const mtuLanes = lanes.filter((l) => l.some((p) => p.protocol === "mtu"));
    expect(mtuLanes.length).toBeGreaterThan(0);
    expect(mtuLanes.flat().filter((p) => p.protocol !== "mtu")).toEqual([]);
    expect(scriptDeadlineMs([probes.find((p) => p.protocol === "mtu")!], { timeout: 2, pingCount: 1, lanes: 1 })).toBe((10 * 3 + 15) * 1000);
  });
});

describe("classify", () => {
  const [mtu4] = planProbes(opts(["mtu"]), floaters, floaters)[0]!.probes();
  const [svc] = planProbes(opts(["svc"]), floaters, floaters, services)[0]!.probes();
  test("mtu: passes, a black hole with the sizes, or a dead path", () => {
    expect(classify(mtu4!, { exitCode: 0, output: "MTU 1500 SIZE 1472 OK" }, 3)).toMatchObject({ status: "Succeeded", reasonCode: "ok" });
    expect(classify(mtu4!, { exitCode: 1, output: "MTU 1500 SIZE 1472 LOST LARGEST 1372" }, 3)).toMatchObject({
      status: "Failed", reasonCode: "mtu-blackhole",
      reason: "MTU black hole: 1500-byte packets (the source's MTU 1500, Don't Fragment) are lost while small ones pass; the largest that passes is about 1400 bytes",
    });
    expect(classify(mtu4!, { exitCode: 1, output: "MTU 1500 SIZE 1472 LOST SMALL LOST" }, 3)).toMatchObject({ status: "Failed", reasonCode: "timeout" });
    expect(classify(mtu4!, { exitCode: 0, output: "garbage" }, 3)).toMatchObject({ status: "Error", reasonCode: "wrong-answer" });
    // Sizes right below the full one pass: chance loss, not a hole.
    expect(classify(mtu4!, { exitCode: 1, output: "MTU 1500 SIZE 1472 LOST LARGEST 1461" }, 3)).toMatchObject({ status: "Succeeded", reasonCode: "loss" });
  });
  test("svc: the floater's answer, or why not", () => {
    expect(classify(svc!, { exitCode: 0, output: "HTTP/1.0 200 OK OK" }, 3)).toMatchObject({ status: "Succeeded" });
    expect(classify(svc!, { exitCode: 1, output: "nc: 10.96.0.20 (10.96.0.20:8889): Connection timed out" }, 3)).toMatchObject({ status: "Failed", reasonCode: "timeout" });
  });
});
