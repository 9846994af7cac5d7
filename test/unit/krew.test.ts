// plugin.yaml against the krew rules in shared/reference/kubectl-plugin-conventions.md (C1, C2).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { load } from "js-yaml";
import { RELEASE_PLATFORMS, renderKrewManifest } from "../../scripts/krew-manifest.ts";

const SUPPORTED = new Set(["windows/386", "windows/amd64", "windows/arm64", "linux/386", "linux/amd64", "linux/arm", "linux/arm64", "linux/ppc64le", "darwin/386", "darwin/amd64", "darwin/arm64"]);

function checkManifest(doc: any): void {
  expect(doc.apiVersion).toBe("krew.googlecontainertools.github.com/v1alpha2");
  expect(doc.kind).toBe("Plugin");
  expect(doc.metadata.name).toMatch(/^[\w-]+$/);
  expect(doc.spec.version).toMatch(/^v\d+\.\d+\.\d+(-[\w.]+)?$/);
  expect(doc.spec.homepage).toMatch(/^https:\/\//);
  expect(doc.spec.shortDescription.length).toBeLessThanOrEqual(50);
  expect(doc.spec.shortDescription).not.toContain("\n");
  for (const line of doc.spec.description.split("\n")) expect(line.length).toBeLessThanOrEqual(80);
  expect(doc.spec.description).not.toContain("kubectl netdoctor check");
  const seen = new Set<string>();
  for (const p of doc.spec.platforms) {
    expect(Object.keys(p.selector.matchLabels).sort()).toEqual(["arch", "os"]);
    const key = `${p.selector.matchLabels.os}/${p.selector.matchLabels.arch}`;
    expect(SUPPORTED.has(key)).toBe(true);
    expect(seen.has(key)).toBe(false); // selectors must not overlap
    seen.add(key);
    expect(p.uri).toMatch(/\.(tar\.gz|zip)$/);
    expect(p.uri).toContain(`/${doc.spec.version}/`);
    expect(p.sha256).toMatch(/^[a-f0-9]{64}$/);
    expect(p.files.length).toBeGreaterThan(0);
    for (const f of p.files) expect(f.from && f.to).toBeTruthy();
    expect(p.files.some((f: any) => /^licen[cs]e/i.test(f.from))).toBe(true);
    expect(p.files.some((f: any) => f.from === p.bin)).toBe(true);
    if (p.selector.matchLabels.os === "windows") expect(p.bin).toEndWith(".exe");
  }
}

describe("krew manifest", () => {
  test("the committed plugin.yaml follows krew's rules", () => {
    checkManifest(load(readFileSync(join(import.meta.dir, "..", "..", "plugin.yaml"), "utf8")));
  });
  test("the generator covers every release platform", () => {
    const sums = Object.fromEntries(RELEASE_PLATFORMS.map((p) => [p.archive, "a".repeat(64)]));
    const doc = load(renderKrewManifest("v1.2.3", sums)) as any;
    checkManifest(doc);
    expect(doc.spec.platforms).toHaveLength(RELEASE_PLATFORMS.length);
  });
});
