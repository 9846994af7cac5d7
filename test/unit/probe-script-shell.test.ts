// The probe script's ping function under each busybox build's own ash (the cached builds of
// scripts/record-probe-fixtures.ts; skipped where absent), with a stand-in ping that prints what
// busybox ping prints: a shell function, which comes before any applet (a build that prefers its
// applets to PATH would run its own ping), aimed at loopback besides: no packet leaves.
// What the pod says in short, and what it keeps whole.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { classify } from "../../src/probe/classify.ts";
import { parseOutput } from "../../src/probe/parse.ts";
import { probeScript } from "../../src/probe/script.ts";
import type { Probe } from "../../src/probe/types.ts";

const CACHE = process.env.NETDOCTOR_CACHE ?? join(homedir(), ".cache", "netdoctor");
const BUILDS = [join(CACHE, "busybox-1.37.0", "busybox"), join(CACHE, "debian-bookworm-busybox-static", "busybox")];
const ping: Probe = { id: 1, protocol: "icmp", family: "ipv4", source: { cluster: "c", node: "a", ip: "10.0.0.1" }, target: { cluster: "c", node: "b", ip: "127.0.0.2" } };

const summary = (sent: number, received: number, extra = "") =>
  `PING 10.0.0.2 (10.0.0.2): 56 data bytes\n\n--- 10.0.0.2 ping statistics ---\n${sent} packets transmitted, ${received} packets received, ${extra}${sent ? Math.floor(((sent - received) * 100) / sent) : 0}% packet loss`;
const RTT = "\nround-trip min/avg/max = 0.099/0.150/0.234 ms";
const folded = (s: string) => s.split(/\s+/).filter(Boolean).join(" ");

/** [output, exit code] of the stand-in ping -> the line the script prints. */
const CASES: [string, string, number, string][] = [
  ["lost nothing: said in short", summary(1, 1) + RTT, 0, "@@ 1 0 RTT 0.099/0.150/0.234"],
  ["a duplicate is no loss", summary(3, 3, "1 duplicates, ") + RTT, 0, "@@ 1 0 RTT 0.099/0.150/0.234"],
  ["no round-trip line: kept whole", summary(1, 1), 0, `@@ 1 0 ${folded(summary(1, 1))}`],
  ["nothing sent, 0% and exit 1: kept whole", summary(0, 0), 1, `@@ 1 1 ${folded(summary(0, 0))}`],
  ["lost: confirmed by a second burst, both kept", summary(1, 0), 1, `@@ 1 1 ${folded(summary(1, 0))} ${folded(summary(1, 0))}`],
  ["an error: kept whole", "ping: sendto: Network is unreachable", 1, "@@ 1 1 ping: sendto: Network is unreachable"],
];

// Both builds are put in the cache by scripts/setup: a missing one fails here, never skips.
test("both busybox builds are there (scripts/setup fetches them)", () => {
  expect(BUILDS.filter((b) => !existsSync(b))).toEqual([]);
});

for (const busybox of BUILDS) {
  describe(`ping's report under ${busybox}`, () => {
    for (const [name, output, rc, line] of CASES) {
      test(name, () => {
        const dir = mkdtempSync(join(tmpdir(), "nd-script-"));
        try {
          Bun.spawnSync([busybox, "--install", "-s", dir]);
          writeFileSync(join(dir, "out"), output);
          const stand = `ping(){ cat ${join(dir, "out")}; return ${rc}; }\n`;
          const script = stand + probeScript([ping], { timeout: 1, pingCount: 1, lanes: 1, token: "unit" });
          const run = Bun.spawnSync([join(dir, "sh"), "-c", script], { env: { PATH: dir } });
          const got = run.stdout.toString().split("\n").filter((l) => l.startsWith("@@ "));
          expect(got).toEqual([line]);
          // And it reads as the whole output would have.
          const whole = rc === 0 && output.includes(" 0% packet loss") ? output : undefined;
          if (whole) expect(classify(ping, parseOutput(got[0]!)[1], 1)).toEqual(classify(ping, { exitCode: 0, output: folded(whole) }, 1));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  });
}

for (const busybox of BUILDS) {
  describe(`a target others found silent, under ${busybox}`, () => {
    test("lost: one burst, waited 1 s, not confirmed", () => {
      const dir = mkdtempSync(join(tmpdir(), "nd-script-"));
      try {
        Bun.spawnSync([busybox, "--install", "-s", dir]);
        writeFileSync(join(dir, "out"), summary(1, 0));
        const stand = `ping(){ echo "$*" >>${join(dir, "args")}; cat ${join(dir, "out")}; return 1; }\n`;
        const script = stand + probeScript([{ ...ping, corroboratedBy: 3 }], { timeout: 3, pingCount: 1, lanes: 1, token: "unit" });
        const run = Bun.spawnSync([join(dir, "sh"), "-c", script], { env: { PATH: dir } });
        expect(run.stdout.toString().split("\n").filter((l) => l.startsWith("@@ "))).toEqual([`@@ 1 1 ${folded(summary(1, 0))}`]);
        expect(readFileSync(join(dir, "args"), "utf8")).toBe("-q -c 1 -i 0.05 -W 1 -w 1 127.0.0.2\n");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}
