// A cluster of a run is its API server: two kubeconfig files written by the same installer share
// every name (context, cluster, user), so a context name can only be a label. The run names each
// cluster once, uniquely (its context name, with the server where two names coincide), and that
// name is what floaters, results, findings and exec routing carry. Pure, apart from the types.
import { UsageError } from "../errors.ts";
import type { KubeApi } from "../kube/client.ts";
import type { ExecFn } from "../kube/exec.ts";
import { serverIdentity } from "../kube/server.ts";

/** What a run needs of one cluster: how to reach it, and the name it is known by in the run. */
export interface RunCluster {
  /** Unique within the run; the `cluster` of its floaters, nodes and results. */
  name: string;
  api: KubeApi;
  exec: ExecFn;
}

export interface ClusterIdentity {
  context: string;
  server: string;
}

/** The run's names for its clusters, in the order given: each context name, and where two
 * coincide, the server beside it ("admin (10.0.0.1:6443)"). The same inputs give the same names,
 * so a later resume or report finds the same pairs. */
export function clusterNames(clusters: ClusterIdentity[]): string[] {
  return clusters.map((c) => {
    const twin = clusters.some((o) => o !== c && o.context === c.context);
    return twin ? `${c.context} (${serverIdentity(c.server).replace(/^[a-z]+:\/\//, "")})` : c.context;
  });
}

/** Two sides of a cross-cluster run must be two API servers, whatever their contexts are called. */
export function assertDistinct(source: ClusterIdentity, destination: ClusterIdentity): void {
  if (serverIdentity(source.server) !== serverIdentity(destination.server)) return;
  const names = source.context === destination.context ? `context '${source.context}'` : `contexts '${source.context}' and '${destination.context}'`;
  throw new UsageError(`the destination is the source cluster (${names}, both ${destination.server}): name another --dst-context or --dst-kubeconfig`);
}
