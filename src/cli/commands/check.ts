import { ExitCode } from "../../errors.ts";
import type { Args } from "../index.ts";
import type { Io } from "../io.ts";
import { prepare } from "../prepare.ts";
import { SETTING_KEYS } from "../../config/settings.ts";

export default async function check(args: Args, io: Io): Promise<ExitCode> {
  const { source } = await prepare(args, io, SETTING_KEYS);
  io.err(`connected to context '${source.target.contextName}' (${source.target.server}); check is not implemented yet\n`);
  return ExitCode.Ok;
}
