// The first steps every cluster command shares: settings from flags + file, then the source (and
// destination) cluster, connected and verified.
import { resolveSettings } from "../config/load.ts";
import type { SettingKey, Settings } from "../config/settings.ts";
import { createKubeApi, type KubeApi } from "../kube/client.ts";
import { loadClusterTarget, type ClusterTarget, type KubeFlags } from "../kube/kubeconfig.ts";
import type { Args } from "./index.ts";
import type { Io } from "../runtime/io.ts";
import { kubeFlagsFrom, settingFlagsFrom } from "./flags.ts";
import { assertDistinct, clusterNames, type RunCluster } from "../engine/clusters.ts";
import { createExec } from "../kube/exec.ts";

export interface Prepared {
  settings: Settings;
  source: KubeApi;
  /** Set for a cross-cluster run (--dst-context / --dst-kubeconfig). */
  destination?: KubeApi;
}

export interface Targets {
  source: ClusterTarget;
  destination?: ClusterTarget;
}

export function loadSettings(args: Args, io: Io, keys: readonly SettingKey[]): Settings {
  const { settings, warnings } = resolveSettings(settingFlagsFrom(args, keys), {
    configPath: args.config,
    cwd: io.cwd,
  });
  for (const w of warnings) io.err(`warning: ${w}\n`);
  return settings;
}

export function kubeFlagsFor(args: Args, settings: Settings): { source: KubeFlags; destination?: KubeFlags } {
  const base = kubeFlagsFrom(args);
  const source = { ...base, kubeconfig: settings.kubeconfig || undefined, context: settings.context || undefined };
  if (!settings.dstKubeconfig && !settings.dstContext) return { source };
  // The destination shares only the kubeconfig (when no other is named); per-cluster overrides
  // such as --server or --token apply to the source alone.
  const destination: KubeFlags = {
    kubeconfig: settings.dstKubeconfig || source.kubeconfig,
    context: settings.dstContext || undefined,
    requestTimeout: base.requestTimeout,
  };
  return { source, destination };
}

/** The clusters the flags and settings name (from the kubeconfig; nothing is contacted yet). */
export function resolveTargets(args: Args, settings: Settings, io: Io): Targets {
  const flags = kubeFlagsFor(args, settings);
  const source = loadClusterTarget(flags.source, io.env);
  if (!flags.destination) return { source };
  const destination = loadClusterTarget(flags.destination, io.env);
  assertDistinct({ context: source.contextName, server: source.server }, { context: destination.contextName, server: destination.server });
  return { source, destination };
}

/** Clients for the targets, each verified to answer before anything is created. */
export async function connect(targets: Targets, io: Io): Promise<{ source: KubeApi; destination?: KubeApi }> {
  // Under Bun the REST client ignores a kubeconfig's proxy-url but honours HTTPS_PROXY; one set
  // by the user wins.
  const proxy = targets.source.proxyUrl ?? targets.destination?.proxyUrl;
  if (proxy && !io.env.HTTPS_PROXY) io.env.HTTPS_PROXY = proxy;
  const source = createKubeApi(targets.source);
  const destination = targets.destination && createKubeApi(targets.destination);
  await Promise.all([source, destination].filter((c): c is KubeApi => !!c).map((c) => c.serverVersion()));
  return { source, destination };
}

/** Settings, then the clusters they name, connected. */
export async function prepare(args: Args, io: Io, keys: readonly SettingKey[]): Promise<Prepared> {
  const settings = loadSettings(args, io, keys);
  return { settings, ...(await connect(resolveTargets(args, settings, io), io)) };
}

/** The clusters of a run as the engine knows them: each its API, its exec, and its run name. */
export function runClusters(connected: { source: KubeApi; destination?: KubeApi }): RunCluster[] {
  const apis = connected.destination ? [connected.source, connected.destination] : [connected.source];
  const names = clusterNames(apis.map((a) => ({ context: a.target.contextName, server: a.target.server })));
  return apis.map((api, k) => ({ name: names[k]!, api, exec: createExec(api.target) }));
}
