// The first steps every cluster command shares: settings from flags + file, then the source (and
// destination) cluster, connected and verified.
import { resolveSettings } from "../config/load.ts";
import type { SettingKey, Settings } from "../config/settings.ts";
import { createKubeApi, type KubeApi } from "../kube/client.ts";
import { loadClusterTarget, type KubeFlags } from "../kube/kubeconfig.ts";
import type { Args } from "./index.ts";
import type { Io } from "./io.ts";
import { kubeFlagsFrom, settingFlagsFrom } from "./flags.ts";
import { UsageError } from "../errors.ts";

export interface Prepared {
  settings: Settings;
  source: KubeApi;
  /** Set for a cross-cluster run (--dst-context / --dst-kubeconfig). */
  destination?: KubeApi;
}

export function loadSettings(args: Args, io: Io, keys: readonly SettingKey[]): Settings {
  const { settings, warnings } = resolveSettings(settingFlagsFrom(args, keys), {
    configPath: args.config as string | undefined,
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

/** Settings, then the clusters, each verified to answer before anything is created. */
export async function prepare(args: Args, io: Io, keys: readonly SettingKey[]): Promise<Prepared> {
  const settings = loadSettings(args, io, keys);
  const flags = kubeFlagsFor(args, settings);
  const source = createKubeApi(loadClusterTarget(flags.source, io.env));
  let destination: KubeApi | undefined;
  if (flags.destination) {
    const dst = loadClusterTarget(flags.destination, io.env);
    if (dst.contextName === source.target.contextName && dst.server === source.target.server) {
      throw new UsageError(`the destination is the source cluster (context '${dst.contextName}'): name another --dst-context or --dst-kubeconfig`);
    }
    destination = createKubeApi(dst);
  }
  await Promise.all([source, destination].filter((c): c is KubeApi => !!c).map((c) => c.serverVersion()));
  return { settings, source, destination };
}
