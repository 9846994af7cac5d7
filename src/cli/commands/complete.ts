import { ExitCode } from "../../errors.ts";
import { contextNames } from "../../kube/kubeconfig.ts";
import { complete } from "../completion.ts";
import type { Args } from "../index.ts";
import type { Io } from "../../runtime/io.ts";

/** Words come raw from the shell, so read them from argv rather than yargs' parse of them. */
export default async function completeCommand(_args: Args, io: Io): Promise<ExitCode> {
  const argv = process.argv;
  const words = argv.slice(argv.indexOf("__complete") + 1);
  if (words.length === 0) words.push("");
  const kubeconfigAt = words.indexOf("--kubeconfig");
  const contexts = contextNames({ kubeconfig: kubeconfigAt >= 0 ? words[kubeconfigAt + 1] : undefined }, io.env);
  io.out(complete(words, contexts));
  return ExitCode.Ok;
}
