// Every API request has a time limit (--request-timeout, 30 s by default): an API server that
// accepts the connection and never answers becomes one line naming the context, the server and
// the action (exit 3), not a hang.
import { afterAll, describe, expect, test } from "bun:test";
import { KubeConfig } from "@kubernetes/client-node";
import { ClusterError, ExitCode } from "../../src/errors.ts";
import { createKubeApi } from "../../src/kube/client.ts";
import type { ClusterTarget } from "../../src/kube/kubeconfig.ts";

describe("a request the API server never answers", () => {
  const server = Bun.serve({ port: 0, fetch: () => new Promise<Response>(() => {}) });
  afterAll(() => server.stop(true));
  const target = (requestTimeoutMs: number): ClusterTarget => {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: "c", server: `http://127.0.0.1:${server.port}`, skipTLSVerify: true }],
      users: [{ name: "u" }],
      contexts: [{ name: "prod", cluster: "c", user: "u" }],
      currentContext: "prod",
    });
    return { kubeConfig, contextName: "prod", server: `http://127.0.0.1:${server.port}`, files: [], requestTimeoutMs, impersonateGroups: [] };
  };

  test("times out at the request timeout as a ClusterError naming the action, context and server", async () => {
    const t0 = performance.now();
    const err = await createKubeApi(target(200)).listPods("ns", "a=b").catch((e) => e);
    expect(performance.now() - t0).toBeLessThan(1_500);
    expect(err).toBeInstanceOf(ClusterError);
    expect(err.exitCode).toBe(ExitCode.Cluster);
    expect(err.message).toBe(`listing pods: timed out after 0.2s waiting for the API server of context 'prod' (http://127.0.0.1:${server.port}) to answer (--request-timeout)`);
  });
  test("0: no limit, as kubectl", async () => {
    const pending = createKubeApi(target(0)).listPods("ns", "a=b").then(() => "answered", () => "failed");
    expect(await Promise.race([pending, Bun.sleep(400).then(() => "still waiting")])).toBe("still waiting");
  });
});
