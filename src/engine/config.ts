// What a run needs to know: the settings that shape its floaters and probes, not how the CLI
// found the clusters (kubeconfig, contexts) nor how it shows the outcome (output, progress, the
// results file).
import type { Settings } from "../config/settings.ts";

export type RunConfig = Omit<Settings, "kubeconfig" | "context" | "dstKubeconfig" | "dstContext" | "output" | "results" | "progress">;

export function runConfigOf(settings: Settings): RunConfig {
  const { kubeconfig: _k, context: _c, dstKubeconfig: _dk, dstContext: _dc, output: _o, results: _r, progress: _p, ...config } = settings;
  return config;
}
