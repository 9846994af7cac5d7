// Debian bookworm's busybox-static (1.35, the small build the test cluster ran before the floater
// image's own), fetched once into the cache through a private apt list: the probe script's shell
// tests (test/unit/probe-script-shell.test.ts) and its recorded fixtures run under it as well as
// under the image's busybox. Run by scripts/setup: bun scripts/debian-busybox.ts (prints its path).
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CACHE } from "./cluster/harness.ts";
import { run } from "./cluster/sh.ts";

export const DEBIAN_BUSYBOX = join(CACHE, "debian-bookworm-busybox-static", "busybox");

/** Debian bookworm's busybox-static, fetched through a private apt list in the cache. */
export function debianBusybox(): string {
  const bin = DEBIAN_BUSYBOX;
  if (existsSync(bin)) return bin;
  const apt = join(CACHE, "apt-bookworm");
  mkdirSync(join(apt, "lists", "partial"), { recursive: true });
  mkdirSync(join(apt, "cache", "archives", "partial"), { recursive: true });
  writeFileSync(join(apt, "sources.list"), "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main\n");
  const o = [`Dir::Etc::SourceList=${join(apt, "sources.list")}`, "Dir::Etc::SourceParts=/dev/null", `Dir::State::Lists=${join(apt, "lists")}`,
    `Dir::Cache=${join(apt, "cache")}`, "Dir::State::status=/dev/null", "APT::Sandbox::User=root"].flatMap((x) => ["-o", x]);
  const tmp = mkdtempSync(join(tmpdir(), "bbfx-deb-"));
  try {
    run(["apt-get", ...o, "-qq", "update"]);
    run(["bash", "-c", `cd ${tmp} && apt-get "$@" -qq download busybox-static && dpkg-deb -x busybox-static_*.deb x`, "-", ...o]);
    mkdirSync(join(bin, ".."), { recursive: true });
    run(["cp", join(tmp, "x", "bin", "busybox"), `${bin}.tmp`]);
    run(["mv", `${bin}.tmp`, bin]);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return bin;
}

if (import.meta.main) console.log(debianBusybox());
