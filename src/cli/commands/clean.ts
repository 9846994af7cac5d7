// kubectl netdoctor clean: remove everything netdoctor created, found by label, in the source and
// (when given) destination cluster; wait until it is gone. Needs no config or results file.
import { ExitCode } from "../../errors.ts";
import { describeFound, findOurs, isNothing, remaining, removeOurs } from "../../floater/clean.ts";
import { createProgress } from "../../report/progress.ts";
import { poll, timeoutMessage } from "../../runtime/poll.ts";
import type { KubeApi } from "../../kube/client.ts";
import type { Args } from "../index.ts";
import { CLEAN_SETTINGS } from "../flags.ts";
import type { Io } from "../../runtime/io.ts";
import { prepare } from "../prepare.ts";

export default async function clean(args: Args, io: Io): Promise<ExitCode> {
  const { settings, source, destination } = await prepare(args, io, CLEAN_SETTINGS);
  const namespace = args["all-namespaces"] ? undefined : settings.namespace;
  const clusters = [source, destination].filter((c): c is KubeApi => c !== undefined);
  const progress = createProgress(io, settings.progress);

  const found = await Promise.all(clusters.map((api) => findOurs(api, namespace)));
  if (found.every(isNothing)) {
    io.out(`nothing to clean in ${clusters.map((c) => `context '${c.target.contextName}'`).join(" and ")}${namespace ? ` (namespace ${namespace}; -A for all)` : ""}\n`);
    return ExitCode.Ok;
  }
  const listed = (verb: string) => `${verb}:\n${clusters.flatMap((api, k) => describeFound(found[k]!, api.target.contextName)).map((l) => `  ${l}`).join("\n")}\n`;
  if (args["dry-run"]) {
    io.out(`dry run: nothing was removed\n${listed("would remove")}`);
    return ExitCode.Ok;
  }
  await Promise.all(clusters.map((api, k) => removeOurs(api, found[k]!)));
  progress.phase("waiting for the objects to be deleted");
  const timeoutMs = 120_000;
  const left = await poll({
    look: async () => (await Promise.all(clusters.map((api) => remaining(api, namespace)))).reduce((a, b) => a + b, 0),
    done: (n) => n === 0,
    onLook: (n) => progress.update(`waiting for the objects to be deleted: ${n} left`),
    timeoutMs,
  });
  if (!left.met) io.err(`warning: ${timeoutMessage("the objects to be deleted", timeoutMs, `${left.state} still being deleted`)}\n`);
  progress.done();
  io.out(listed("removed"));
  return ExitCode.Ok;
}
