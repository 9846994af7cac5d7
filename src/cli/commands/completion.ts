import { ExitCode } from "../../errors.ts";
import { completionScript } from "../completion.ts";
import type { Args } from "../index.ts";
import type { Io } from "../../runtime/io.ts";

export default async function completion(args: Args, io: Io): Promise<ExitCode> {
  io.out(completionScript(args.shell ?? "bash"));
  return ExitCode.Ok;
}
