// kubectl netdoctor check: floaters up, plan every pair, probe, report, save, exit 0/1.
import type { ExitCode } from "../../errors.ts";
import { SETTING_KEYS } from "../../config/settings.ts";
import { bringUpFloaters } from "../../floater/session.ts";
import { networksOf, planProbes } from "../../probe/plan.ts";
import { createProgress } from "../../report/progress.ts";
import { buildDocument } from "../../results/document.ts";
import { defaultResultsPath } from "../../results/store.ts";
import type { Args } from "../index.ts";
import type { Io } from "../io.ts";
import { Lifecycle } from "../lifecycle.ts";
import { prepare } from "../prepare.ts";
import { finishRun, probeAll } from "../steps.ts";

export default async function check(args: Args, io: Io): Promise<ExitCode> {
  const { settings, source } = await prepare(args, io, SETTING_KEYS);
  const resultsFile = settings.results || defaultResultsPath(source.target);
  const progress = createProgress(io, settings.progress);
  const startedAt = new Date();

  return new Lifecycle(io).run(async (life) => {
    const floaters = await bringUpFloaters(source, settings, life, progress);
    const { source: from, target: to } = networksOf(settings.mode);
    const plans = planProbes(settings, floaters.ready.filter((f) => f.network === from), floaters.ready.filter((f) => f.network === to));
    const { verdicts, stats } = await probeAll(plans, source, settings, life, progress);
    const doc = buildDocument({ settings, startedAt, partial: life.interrupted, source: source.target, floaters, verdicts, stats });
    return finishRun(doc, resultsFile, settings.output, io);
  });
}
