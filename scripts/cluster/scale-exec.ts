// Scale mode's exec groups (a daemon of the harness, root namespace). One kwok serves a shard's ten
// nodes in one namespace, so nothing in an exec'd probe says which node it is for, and all ten
// would send from the shard's address. kwok picks an exec's settings by pod name (an `Exec`
// object) before any ClusterExec: this gives every pod on a scale node an Exec that runs it with
// its node's group, and the shard sends what that group sends from the node's IP (network.ts), so
// faults can name one node's packets. A pod is marked Ready only once this is done: the shards'
// pod-ready stage waits for EXEC_GROUP_ANNOTATION (harness.ts), so no probe runs before.
import { adminApi, EXEC_GROUP_ANNOTATION, execSpec, topologyFromState } from "./harness.ts";

const t = topologyFromState();
const groups = new Map((t.scale?.nodes ?? []).map((n) => [n.name, n.gid]));
const api = adminApi("a");
/** Pods (by uid) handled or in hand. */
const seen = new Set<string>();
const log = (msg: string) => process.stdout.write(`${new Date().toISOString()} ${msg}\n`);

/** At most this many pods in hand at once: 500 at once timed requests out on a busy API server. */
const AT_ONCE = 16;
let inHand = 0;
const waiting: (() => void)[] = [];

async function assign(pod: any): Promise<void> {
  const { name, namespace, uid } = pod.metadata;
  const gid = groups.get(pod.spec?.nodeName);
  if (!gid || pod.metadata.deletionTimestamp || pod.metadata.annotations?.[EXEC_GROUP_ANNOTATION] || seen.has(uid)) return;
  seen.add(uid);
  if (inHand >= AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
  inHand++;
  try {
    const execs = `/apis/kwok.x-k8s.io/v1alpha1/namespaces/${namespace}/execs`;
    const exec = {
      apiVersion: "kwok.x-k8s.io/v1alpha1",
      kind: "Exec",
      // Goes with its pod (the garbage collector), so a later pod of the same name gets its own.
      metadata: { name, namespace, ownerReferences: [{ apiVersion: "v1", kind: "Pod", name, uid }] },
      spec: execSpec(gid),
    };
    const created = await api.request("POST", execs, exec);
    if (created.status === 409) {
      // One left by an earlier pod of that name, not yet collected: replace it.
      await api.ok("DELETE", `${execs}/${name}`);
      await api.ok("POST", execs, exec);
    } else if (created.status >= 300) {
      throw new Error(`POST ${execs}: ${created.status} ${JSON.stringify(created.json)}`);
    }
    await api.ok("PATCH", `/api/v1/namespaces/${namespace}/pods/${name}`, { metadata: { annotations: { [EXEC_GROUP_ANNOTATION]: String(gid) } } });
  } catch (err) {
    // Tried again shortly: a pending pod may have no next event (it waits for this very mark).
    log(`${namespace}/${name}: ${(err as Error).message}; trying again`);
    setTimeout(() => {
      seen.delete(uid);
      void assign(pod);
    }, 1000);
  } finally {
    inHand--;
    waiting.shift()?.();
  }
}

log(`exec groups for ${groups.size} scale nodes`);
for (;;) {
  try {
    const list = await api.ok("GET", "/api/v1/pods");
    for (const pod of list.items) void assign(pod);
    for await (const ev of api.watch(`/api/v1/pods?resourceVersion=${list.metadata.resourceVersion}&allowWatchBookmarks=false`)) {
      if (ev.type === "ADDED" || ev.type === "MODIFIED") void assign(ev.object);
      else if (ev.type === "DELETED") seen.delete(ev.object.metadata.uid);
      else if (ev.type === "ERROR") break; // e.g. 410 Gone: list again
    }
  } catch (err) {
    log(`watch: ${(err as Error).message}`);
    await Bun.sleep(500);
  }
}
