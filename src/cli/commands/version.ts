import { dump } from "js-yaml";
import { ExitCode } from "../../errors.ts";
import { buildInfo } from "../../version.ts";
import type { Args } from "../index.ts";
import type { Io } from "../../runtime/io.ts";

export default async function version(args: Args, io: Io): Promise<ExitCode> {
  const info = buildInfo();
  if (args.output === "json") io.out(`${JSON.stringify(info, null, 2)}\n`);
  else if (args.output === "yaml") io.out(dump(info));
  else io.out(`kubectl-netdoctor ${info.version} (commit ${info.commit}, built ${info.buildDate}, ${info.runtime}, ${info.platform})\n`);
  return ExitCode.Ok;
}
