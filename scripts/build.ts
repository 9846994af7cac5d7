// Builds dist/kubectl-netdoctor (a standalone Bun binary for this machine); with --release also
// the cross-built archives for krew, their sha256, and plugin.yaml filled from them.
//   bun scripts/build.ts [--release]
import { $ } from "bun";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { renderKrewManifest, RELEASE_PLATFORMS } from "./krew-manifest.ts";

const root = join(import.meta.dir, "..");
const dist = join(root, "dist");
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
const version = `v${pkg.version}`;
const commit = (await $`git -C ${root} rev-parse --short HEAD`.nothrow().quiet()).stdout.toString().trim() || "unknown";
const buildDate = new Date().toISOString().replace(/\.\d+Z$/, "Z");

async function compile(outfile: string, target?: string): Promise<void> {
  // The two --no-compile-autoload flags matter for security: without them the binary would read
  // .env and bunfig.toml from whatever directory the user runs it in.
  const args = [
    "build", "--compile", "--minify", "--sourcemap", "--bytecode", "--format=esm",
    "--no-compile-autoload-dotenv", "--no-compile-autoload-bunfig",
    `--define=NETDOCTOR_VERSION=${JSON.stringify(version)}`,
    `--define=NETDOCTOR_COMMIT=${JSON.stringify(commit)}`,
    `--define=NETDOCTOR_BUILD_DATE=${JSON.stringify(buildDate)}`,
    ...(target ? [`--target=${target}`] : []),
    join(root, "src/main.ts"), "--outfile", outfile,
  ];
  const proc = Bun.spawn([process.execPath, ...args], { stdout: "ignore", stderr: "inherit", cwd: root });
  if ((await proc.exited) !== 0) throw new Error(`bun build failed for ${target ?? "this machine"}`);
}

mkdirSync(dist, { recursive: true });
await compile(join(dist, "kubectl-netdoctor"));
console.log(`built dist/kubectl-netdoctor ${version} (${commit})`);

if (process.argv.includes("--release")) {
  const out = join(dist, "release");
  rmSync(out, { recursive: true, force: true });
  const sums: Record<string, string> = {};
  for (const p of RELEASE_PLATFORMS) {
    const stage = join(out, `stage-${p.os}-${p.arch}`);
    mkdirSync(stage, { recursive: true });
    await compile(join(stage, p.bin), p.bunTarget);
    copyFileSync(join(root, "LICENSE"), join(stage, "LICENSE"));
    for (const extra of p.extras) copyFileSync(join(root, "scripts", extra), join(stage, extra));
    const archive = join(out, p.archive);
    const members = [p.bin, "LICENSE", ...p.extras];
    if (p.archive.endsWith(".zip")) await $`cd ${stage} && zip -q -X ${archive} ${members}`;
    else await $`tar -C ${stage} --owner=0 --group=0 -czf ${archive} ${members}`;
    rmSync(stage, { recursive: true });
    sums[p.archive] = createHash("sha256").update(readFileSync(archive)).digest("hex");
    console.log(`${sums[p.archive]}  ${p.archive}`);
  }
  writeFileSync(join(out, "sha256sums.txt"), Object.entries(sums).map(([f, s]) => `${s}  ${f}\n`).join(""));
  writeFileSync(join(root, "plugin.yaml"), renderKrewManifest(version, sums));
  console.log("wrote plugin.yaml");
}
