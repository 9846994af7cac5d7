// The layout is the architecture: these rules keep it so. The results hold and store (they never
// analyse), the engine runs a run (it never touches the process: argv, signals, the terminal, the
// garbage collector are the CLI's and the runtime's).
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const SRC = join(import.meta.dir, "..", "..", "src");
const filesIn = (dir: string) => readdirSync(join(SRC, dir), { recursive: true }).map(String).filter((f) => f.endsWith(".ts")).map((f) => join(dir, f));
const importsOf = (file: string) => [...readFileSync(join(SRC, file), "utf8").matchAll(/^import [^;]*? from "([^"]+)";/gms)].map((m) => m[1]!);

describe("layout", () => {
  test("nothing under src/results imports src/analysis", () => {
    const files = filesIn("results");
    expect(files.length).toBeGreaterThan(5);
    expect(files.filter((f) => importsOf(f).some((i) => i.includes("/analysis/")))).toEqual([]);
  });
  test("src/engine touches no process global and imports nothing of the CLI", () => {
    const files = filesIn("engine");
    expect(files.length).toBeGreaterThan(5);
    const offending = files.filter((f) => /\bprocess\.|Bun\.gc|console\./.test(readFileSync(join(SRC, f), "utf8")) || importsOf(f).some((i) => i.includes("/cli/") || i.includes("/report/")));
    expect(offending).toEqual([]);
  });
  test("src/cli and src/floater hold no run orchestration: they do not probe", () => {
    const files = [...filesIn("cli"), ...filesIn("floater")];
    expect(files.filter((f) => importsOf(f).some((i) => /probe\/run\.ts|engine\/probing\.ts/.test(i)))).toEqual([]);
  });
});
