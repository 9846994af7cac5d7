// Every probe outcome as the probe script really reported it (scripts/record-probe-fixtures.ts)
// with the floater image's busybox and with Debian's small busybox-static: the same outcome must
// get the same verdict and reason from either build.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { classify } from "../../src/probe/classify.ts";
import { parseOutput } from "../../src/probe/parse.ts";
import type { Probe, Status } from "../../src/probe/types.ts";

interface Fixtures {
  busybox: string;
  timeoutSec: number;
  outcomes: Record<string, { probe: Probe; line: string }>;
}

const BUILDS = ["busybox-1.37.0", "busybox-1.35"];
const fixtures = BUILDS.map((b) => JSON.parse(readFileSync(join(import.meta.dir, "..", "fixtures", b, "probes.json"), "utf8")) as Fixtures);

const EXPECTED: Record<string, [Status, string]> = {
  "tcp success": ["Succeeded", ""],
  "tcp refused": ["Failed", "connection refused on port 8890 (floater not listening, or a reject rule)"],
  "tcp silent drop": ["Failed", "timeout: no answer within 2s"],
  "tcp host unreachable": ["Failed", "host unreachable (no route, or rejected with ICMP unreachable)"],
  "tcp no route": ["Failed", "network unreachable (no route from the source)"],
  "tcp connected, closed at once": ["Failed", "connected, but the floater's answer did not come back (got: nothing)"],
  "tcp connected, closed after the request": ["Failed", "connected, but the floater's answer did not come back (got: nothing)"],
  "custom success": ["Succeeded", ""],
  "custom refused": ["Failed", "connection refused"],
  "custom silent drop": ["Failed", "timeout: no answer within 2s"],
  "custom host unreachable": ["Failed", "host unreachable (no route, or rejected with ICMP unreachable)"],
  "custom no route": ["Failed", "network unreachable (no route from the source)"],
  // A custom target is a plain connect: a listener that closes at once still accepted it.
  "custom connected, closed at once": ["Succeeded", ""],
  "dns success": ["Succeeded", ""],
  "dns NXDOMAIN": ["Failed", "NXDOMAIN: nope.default.svc.cluster.local does not resolve (DNS server 10.250.0.2 answers: the name is missing)"],
  "dns no server answering": ["Failed", "DNS server 10.250.0.3 did not answer within 2s: unreachable from this node, or down"],
  "ping success": ["Succeeded", ""],
  "ping loss (silent drop)": ["Failed", "timeout: no reply to 6 pings"],
  // busybox ping ignores ICMP errors: a rejected ping reads as lost, on every build.
  "ping host unreachable": ["Failed", "timeout: no reply to 6 pings"],
  "ping no route": ["Failed", "network unreachable (no route from the source)"],
};

const verdict = (f: Fixtures, outcome: string) => {
  const { probe, line } = f.outcomes[outcome]!;
  const v = classify(probe, parseOutput(line)[probe.id], f.timeoutSec);
  return [v.status, v.reason];
};

describe("probe outcomes recorded from each busybox build", () => {
  test("both builds were recorded, with every outcome", () => {
    expect(fixtures.map((f) => f.busybox.split(" ")[1])).toEqual(["v1.37.0", "v1.35.0"]);
    for (const f of fixtures) expect(Object.keys(f.outcomes).sort()).toEqual(Object.keys(EXPECTED).sort());
  });
  for (const [outcome, expected] of Object.entries(EXPECTED)) {
    test(`${outcome}: the same verdict and reason from every build`, () => {
      for (const f of fixtures) expect([f.busybox, ...verdict(f, outcome)]).toEqual([f.busybox, ...expected]);
    });
  }
  test("a ping that lost nothing is said in short by the pod, and its average round trip kept", () => {
    for (const f of fixtures) {
      const { probe, line } = f.outcomes["ping success"]!;
      const rtt = /^@@ \d+ 0 RTT ([\d.]+)\/([\d.]+)\/([\d.]+)$/.exec(line);
      expect([f.busybox, rtt !== null]).toEqual([f.busybox, true]);
      expect(classify(probe, parseOutput(line)[probe.id], f.timeoutSec)).toMatchObject({ reasonCode: "ok", rttMs: Number(rtt![2]), lossPct: 0 });
    }
  });
  test("a floater probe that failed once was tried again, and says so (even when it got nothing)", () => {
    for (const f of fixtures) {
      for (const outcome of ["tcp silent drop", "tcp connected, closed at once", "tcp connected, closed after the request"]) {
        const { probe, line } = f.outcomes[outcome]!;
        expect([f.busybox, outcome, parseOutput(line)[probe.id]?.confirmed]).toEqual([f.busybox, outcome, true]);
      }
    }
  });
  test("each failure keeps its own reason", () => {
    const tcp = ["tcp refused", "tcp silent drop", "tcp host unreachable", "tcp no route", "tcp connected, closed at once"];
    expect(new Set(tcp.map((o) => EXPECTED[o]![1])).size).toBe(tcp.length);
  });
});
