// The probe script under each busybox build's own ash (the cached builds of
// scripts/record-probe-fixtures.ts; a missing one fails), its tools replaced by stand-ins: shell
// functions, which come before any applet (a build that prefers its applets to PATH would run its
// own ping), aimed at loopback besides: no packet leaves. A stand-in ping that prints what busybox
// ping prints: what the pod says in short, and what it keeps whole. Stand-ins that record their
// arguments: hostile values reach their tools unchanged.
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { classify } from "../../src/probe/classify.ts";
import { parseOutput } from "../../src/probe/parse.ts";
import { probeScript } from "../../src/probe/script.ts";
import type { Probe } from "../../src/probe/types.ts";
import { HOSTILE } from "../helpers/hostile.ts";

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

/** Runs the script `make` writes (given a fresh directory for its stand-ins' files) under the
 * build's own ash, with only its applets on PATH and that directory as the working directory;
 * returns the script's result lines and the files the directory holds after it. */
function inBusybox(busybox: string, make: (dir: string) => string): { lines: string[]; files: Map<string, string> } {
  const dir = mkdtempSync(join(tmpdir(), "nd-script-"));
  try {
    const bin = join(dir, "bin");
    mkdirSync(bin);
    Bun.spawnSync([busybox, "--install", "-s", bin]);
    const run = Bun.spawnSync([join(bin, "sh"), "-c", make(dir)], { cwd: dir, env: { PATH: bin } });
    const files = new Map(readdirSync(dir).filter((f) => f !== "bin").map((f) => [f, readFileSync(join(dir, f), "utf8")]));
    return { lines: run.stdout.toString().split("\n").filter((l) => l.startsWith("@@ ")), files };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Both builds are put in the cache by scripts/setup: a missing one fails here, never skips.
test("both busybox builds are there (scripts/setup fetches them)", () => {
  expect(BUILDS.filter((b) => !existsSync(b))).toEqual([]);
});

for (const busybox of BUILDS) {
  describe(`ping's report under ${busybox}`, () => {
    for (const [name, output, rc, line] of CASES) {
      test(name, () => {
        const got = inBusybox(busybox, (dir) => {
          writeFileSync(join(dir, "out"), output);
          return `ping(){ cat ${join(dir, "out")}; return ${rc}; }\n` + probeScript([ping], { timeout: 1, pingCount: 1, lanes: 1, token: "unit" });
        }).lines;
        expect(got).toEqual([line]);
        // And it reads as the whole output would have.
        const whole = rc === 0 && output.includes(" 0% packet loss") ? output : undefined;
        if (whole) expect(classify(ping, parseOutput(got[0]!)[1], 1)).toEqual(classify(ping, { exitCode: 0, output: folded(whole) }, 1));
      });
    }
  });
}

for (const busybox of BUILDS) {
  describe(`a target others found silent, under ${busybox}`, () => {
    test("lost: one burst, waited 1 s, not confirmed", () => {
      const { lines, files } = inBusybox(busybox, (dir) => {
        writeFileSync(join(dir, "out"), summary(1, 0));
        return `ping(){ echo "$*" >>${join(dir, "args")}; cat ${join(dir, "out")}; return 1; }\n` +
          probeScript([{ ...ping, corroboratedBy: 3 }], { timeout: 3, pingCount: 1, lanes: 1, token: "unit" });
      });
      expect(lines).toEqual([`@@ 1 1 ${folded(summary(1, 0))}`]);
      expect(files.get("args")).toBe("-q -c 1 -i 0.05 -W 1 -w 1 127.0.0.2\n");
    });
  });
}

// Defence in depth behind the settings' validation: whatever an address or a name holds, the
// probe's tool receives it as one argument, byte for byte, and the shell runs nothing of it.
// Stand-ins (shell functions, found before any applet) record each call's arguments, NUL-ended.
const RECORD = "rec(){ { printf '%s\\0' @call \"$@\"; } >>calls; }\nping(){ rec ping \"$@\"; return 1; }\nnc(){ rec nc \"$@\"; echo OK; }\n" +
  "timeout(){ shift; \"$@\"; }\nnslookup(){ rec nslookup \"$@\"; }\n";

const callsOf = (recorded = "") => recorded.split("\0").slice(0, -1).reduce<string[][]>((calls, a) => (a === "@call" ? calls.push([]) : calls.at(-1)!.push(a), calls), []);

for (const busybox of BUILDS) {
  describe(`hostile values reach their tool unchanged, under ${busybox}`, () => {
    for (const value of HOSTILE) {
      test(JSON.stringify(value), () => {
        const at = (id: number, protocol: Probe["protocol"], target: Partial<Probe["target"]>): Probe =>
          ({ ...ping, id, protocol, target: { cluster: "", node: "", ip: value, ...target } });
        const probes = [
          at(1, "icmp", {}), at(2, "tcp", { port: 8889 }), { ...at(3, "tcp", { port: 443 }), custom: true }, at(4, "mtu", {}),
          at(5, "dns", { name: value }), at(6, "dns", { name: value, ip: "" }),
        ];
        const { lines, files } = inBusybox(busybox, () => RECORD + probeScript(probes, { timeout: 1, pingCount: 1, lanes: 1, token: "quoting" }));
        const mtuPing = (size: unknown) => ["ping", "-q", "-c", "2", "-i", "0.05", "-s", size, "-W", "1", "-w", "1", value];
        expect<unknown[][]>(callsOf(files.get("calls"))).toEqual([
          ["nc", "--help"],
          ["ping", "-q", "-c", "1", "-i", "0.05", "-W", "1", "-w", "1", value],
          ["nc", "-w", "1", value, "8889"],
          ["nc", "-w", "1", value, "443"],
          mtuPing(expect.any(String)), mtuPing(expect.any(String)), mtuPing("56"),
          ["nslookup", value, value],
          ["nslookup", value],
        ]);
        expect([...files.keys()]).toEqual(["calls"]);
        expect(lines.map((l) => l.split(" ")[1])).toEqual(["1", "2", "3", "4", "5", "6"]);
      });
    }
  });
}
