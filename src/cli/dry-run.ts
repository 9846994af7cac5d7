// --dry-run: what the run would create and which permissions it lacks; nothing is changed. Exits
// as the real run would before creating anything: 3 when a permission is missing.
import { ExitCode } from "../errors.ts";
import type { RunConfig } from "../engine/config.ts";
import { floaterSpec, type ClusterPlan } from "../engine/plan.ts";
import { floaterObjects } from "../floater/manifests.ts";
import { describeCheck, grantCommand } from "../floater/permissions.ts";
import type { Settings } from "../config/settings.ts";
import { renderDryRun, type DryRunCluster } from "../report/dryrun.ts";
import type { Io } from "../runtime/io.ts";

export function showDryRun(plans: ClusterPlan[], config: RunConfig, output: Settings["output"], runId: string, io: Io): ExitCode {
  const clusters = plans.map((plan, k): DryRunCluster => {
    const objects = floaterObjects(floaterSpec(plan, k, config, runId));
    const target = plan.cluster.api.target;
    return {
      context: target.contextName,
      server: target.server,
      ...(plan.namespaceExists ? {} : { namespace: objects.namespace }),
      serviceAccount: objects.serviceAccount,
      daemonSets: objects.daemonSets,
      services: objects.services,
      nodes: plan.nodes.selected,
      nodesKnown: plan.nodesKnown,
      missing: plan.missing.map(describeCheck),
      ...(plan.missing.length ? { grant: grantCommand(plan.missing, plan.user, plan.namespaceExists) } : {}),
    };
  });
  io.out(renderDryRun(clusters, output));
  return plans.some((p) => p.missing.length) ? ExitCode.Cluster : ExitCode.Ok;
}
