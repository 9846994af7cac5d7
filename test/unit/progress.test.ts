import { describe, expect, setSystemTime, test } from "bun:test";
import type { Io } from "../../src/runtime/io.ts";
import { createProgress } from "../../src/report/progress.ts";

function plainIo(): { io: Io; lines: string[] } {
  const lines: string[] = [];
  const io: Io = { out: () => {}, err: (t) => lines.push(...t.split("\n").filter(Boolean)), env: {}, cwd: "/", stdoutIsTTY: false, stderrIsTTY: false, columns: 80 };
  return { io, lines };
}

describe("progress without a terminal", () => {
  test("a line per phase, counts at most every 5 s, and always the last count", () => {
    const { io, lines } = plainIo();
    const p = createProgress(io, true);
    setSystemTime(new Date("2026-11-26T00:00:00Z"));
    p.phase("waiting for 500 floaters to be ready (up to 120s)");
    p.update("waiting for floaters: 10/500 ready");
    setSystemTime(new Date("2026-11-26T00:00:06Z"));
    p.update("waiting for floaters: 320/500 ready");
    p.update("waiting for floaters: 330/500 ready");
    p.done("500 floaters ready");
    p.phase("probing 249500 pairs");
    p.probes(10, 100, 0);
    setSystemTime(new Date("2026-11-26T00:00:12Z"));
    p.probes(50, 100, 1);
    p.probes(100, 100, 1);
    setSystemTime();
    expect(lines).toEqual([
      "waiting for 500 floaters to be ready (up to 120s)",
      "waiting for floaters: 320/500 ready",
      "500 floaters ready",
      "probing 249500 pairs",
      "probing: 50/100 pairs, 1 failed, ETA 6s",
      "probing: 100/100 pairs, 1 failed",
    ]);
  });

  test("--no-progress prints nothing", () => {
    const { io, lines } = plainIo();
    const p = createProgress(io, false);
    p.phase("x");
    p.update("y");
    p.probes(1, 1, 0);
    p.done("z");
    expect(lines).toEqual([]);
  });
});
