// The replay bench's bad day (scripts/replay-answers.ts): the same pairs fail for a seed, about
// the fraction asked, with answers the plugin reads as the network failures they were recorded as.
import { describe, expect, test } from "bun:test";
import { classify } from "../../src/probe/classify.ts";
import { parseOutput } from "../../src/probe/parse.ts";
import type { Probe } from "../../src/probe/types.ts";
import { failureAnswer, FailureChooser, recordedFailures, type CallKind } from "../../scripts/replay-answers.ts";

const failures = recordedFailures();
const sources = Array.from({ length: 200 }, (_, k) => `floater-${k + 1}`);
const ips = Array.from({ length: 200 }, (_, k) => `10.128.${k >> 8}.${k & 255}`);
const picks = (chooser: FailureChooser, kind: CallKind) => sources.flatMap((s) => ips.map((ip) => chooser.pick(s, kind, ip)));

describe("replay failures", () => {
  test("both builds' network failures, per call: 3 ping outcomes and 4 tcp ones each", () => {
    expect([failures.i.length, failures.t.length]).toEqual([6, 8]);
    expect(new Set(failures.t).size).toBe(8); // the builds' nc words differ; their pings do not
  });

  test("the same pairs fail with the same answers for a seed, others for another seed", () => {
    const a = picks(new FailureChooser(0.1, failures, 7), "t");
    expect(picks(new FailureChooser(0.1, failures, 7), "t")).toEqual(a);
    expect(picks(new FailureChooser(0.1, failures, 8), "t")).not.toEqual(a);
  });

  for (const [fraction, tolerance] of [[0, 0], [0.01, 0.002], [0.5, 0.01], [1, 0]] as const) {
    test(`fail ${fraction}: ${fraction} of the pairs fail, within ${tolerance}`, () => {
      const all = picks(new FailureChooser(fraction, failures), "i");
      const failed = all.filter((f) => f !== undefined).length / all.length;
      expect(Math.abs(failed - fraction)).toBeLessThanOrEqual(tolerance);
    });
  }

  test("every recorded failure is drawn", () => {
    for (const kind of ["i", "t"] as const) expect(new Set(picks(new FailureChooser(1, failures), kind))).toEqual(new Set(failures[kind]));
  });

  const target = { cluster: "replay", node: "node-2", ip: "10.128.0.1", port: 8889 };
  const probeOf = (kind: CallKind, brief: boolean): Probe => ({
    id: 7, protocol: kind === "i" ? "icmp" : "tcp", family: "ipv4", source: { cluster: "replay", node: "node-1", ip: "10.128.0.0" },
    target: kind === "i" ? { ...target, port: undefined } : target, ...(brief ? { corroboratedBy: 3 } : {}),
  });
  for (const brief of [false, true]) {
    test(`the plugin reads each as the network failure it was${brief ? ", tried once (a corroborated call)" : ""}`, () => {
      for (const kind of ["i", "t"] as const) {
        for (const failure of failures[kind]) {
          const line = `@@ 7 ${failureAnswer(failure, target.ip, String(target.port), brief)}`;
          expect(line).not.toContain("10.250.0.");
          const raw = parseOutput(line)[7];
          const v = classify(probeOf(kind, brief), raw, 3);
          expect([line, v.status, ["timeout", "refused", "unreachable", "no-route"].includes(v.reasonCode)]).toEqual([line, "Failed", true]);
          if (brief) expect([line, raw?.confirmed, (line.match(/ping statistics/g) ?? []).length <= 1]).toEqual([line, undefined, true]);
        }
      }
    });
  }
});
