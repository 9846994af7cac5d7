// The commented netdoctor.yaml that `init` writes: every setting, its meaning and its default.
import { dump } from "js-yaml";
import { SETTING_SPECS } from "./settings.ts";

export function settingsTemplate(): string {
  const lines = [
    "# netdoctor settings. Flags override these; delete a line to use the default.",
    "# netctl's config.json keys are accepted too (maxNum, cmdTimeout, podWaitTime, ...).",
    "",
  ];
  for (const spec of SETTING_SPECS) {
    if (spec.key === "output" || spec.key === "progress") continue; // per invocation, not per cluster
    const allowed = spec.choices ? ` Allowed: ${spec.choices.join(", ")}.` : spec.min !== undefined ? ` Range: ${spec.min}-${spec.max}.` : "";
    lines.push(`# ${spec.describe}.${allowed}`);
    lines.push(dump({ [spec.key]: spec.default }, { flowLevel: 1 }).trimEnd());
    lines.push("");
  }
  return lines.join("\n");
}
