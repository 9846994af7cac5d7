// Build info, stamped by scripts/build.ts through --define; a source run reports "dev".
declare const NETDOCTOR_VERSION: string | undefined;
declare const NETDOCTOR_COMMIT: string | undefined;
declare const NETDOCTOR_BUILD_DATE: string | undefined;

export interface BuildInfo {
  version: string;
  commit: string;
  buildDate: string;
  runtime: string;
  platform: string;
}

export function buildInfo(): BuildInfo {
  return {
    version: typeof NETDOCTOR_VERSION === "string" ? NETDOCTOR_VERSION : "v0.0.0-dev",
    commit: typeof NETDOCTOR_COMMIT === "string" ? NETDOCTOR_COMMIT : "unknown",
    buildDate: typeof NETDOCTOR_BUILD_DATE === "string" ? NETDOCTOR_BUILD_DATE : "unknown",
    runtime: `bun ${typeof Bun !== "undefined" ? Bun.version : "?"}`,
    platform: `${process.platform}/${process.arch}`,
  };
}
