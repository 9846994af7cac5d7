import { existsSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { ExitCode, UsageError } from "../../errors.ts";
import { settingsTemplate } from "../../config/template.ts";
import type { Args } from "../index.ts";
import type { Io } from "../../runtime/io.ts";

export default async function init(args: Args, io: Io): Promise<ExitCode> {
  const path = resolve(io.cwd, args.config ?? "netdoctor.yaml");
  if (existsSync(path) && !args.force) {
    throw new UsageError(`${path} already exists (use --force to overwrite)`);
  }
  writeFileSync(path, settingsTemplate());
  io.out(`wrote ${path}\n`);
  return ExitCode.Ok;
}
