// kubectl netdoctor clean: remove everything netdoctor created, found by label, in the source and
// (when given) destination cluster; wait until it is gone (exit 3 naming what is left when that
// takes longer than CLEAN_DEADLINE_MS). Needs no config or results file.
import { ExitCode } from "../../errors.ts";
import { cleanUp, describeFound, findOurs, isNothing } from "../../floater/clean.ts";
import { createProgress } from "../../report/progress.ts";
import type { Args } from "../index.ts";
import { CLEAN_SETTINGS } from "../flags.ts";
import type { Io } from "../../runtime/io.ts";
import { prepare, runClusters } from "../prepare.ts";

export default async function clean(args: Args, io: Io): Promise<ExitCode> {
  const { settings, source, destination } = await prepare(args, io, CLEAN_SETTINGS);
  const namespace = args["all-namespaces"] ? undefined : settings.namespace;
  // Named as a run names them: two kubeconfigs may call both clusters alike.
  const named = runClusters({ source, destination });
  const clusters = named.map((c) => c.api);
  const progress = createProgress(io, settings.progress);

  const found = await Promise.all(clusters.map((api) => findOurs(api, namespace)));
  if (found.every(isNothing)) {
    io.out(`nothing to clean in ${named.map((c) => `context '${c.name}'`).join(" and ")}${namespace ? ` (namespace ${namespace}; -A for all)` : ""}\n`);
    return ExitCode.Ok;
  }
  const listed = (verb: string) => `${verb}:\n${clusters.flatMap((_, k) => describeFound(found[k]!, named[k]!.name)).map((l) => `  ${l}`).join("\n")}\n`;
  if (args["dry-run"]) {
    io.out(`dry run: nothing was removed\n${listed("would remove")}`);
    return ExitCode.Ok;
  }
  progress.phase("waiting for the objects to be deleted");
  await cleanUp(clusters.map((api, k) => ({ api, found: found[k]! })), namespace, {
    onLeft: (n) => progress.update(`waiting for the objects to be deleted: ${n} left`),
  });
  progress.done();
  io.out(listed("removed"));
  return ExitCode.Ok;
}
