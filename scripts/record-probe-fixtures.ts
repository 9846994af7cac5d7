// Records every probe outcome as each busybox build reports it, into test/fixtures/busybox-*/,
// for test/unit/probe-fixtures.test.ts: the project's own probe script (probeScript) runs with
// that busybox's applets first in PATH, as on the test cluster's nodes, in two network
// namespaces made here (bbfx-src, bbfx-dst: 10.250.0.0/25, no default route; nothing leaves them).
// Run as root: bun scripts/record-probe-fixtures.ts [BUSYBOX DIR]...
// Without arguments: the floater image's busybox (built by build-cluster-binaries) into
// test/fixtures/busybox-1.37.0, and Debian bookworm's busybox-static 1.35 (the small build the
// test cluster ran before) into test/fixtures/busybox-1.35.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { probeScript, type ScriptOptions } from "../src/probe/script.ts";
import type { Probe } from "../src/probe/types.ts";
import { BUSYBOX_VERSION, binaries } from "./cluster/harness.ts";
import { debianBusybox } from "./debian-busybox.ts";
import { daemon, inNetns, run, stop, waitFor } from "./cluster/sh.ts";

const ROOT = join(import.meta.dir, "..");
const SRC = "bbfx-src";
const DST = "bbfx-dst";
const SRC_IP = "10.250.0.1";
/** bbfx-dst: the floater stand-in and the DNS server. */
const HOST = "10.250.0.2";
/** bbfx-dst drops everything to it. */
const DROPPED = "10.250.0.3";
/** bbfx-dst rejects everything to it with ICMP host-unreachable. */
const REJECTED = "10.250.0.4";
/** In 10.250.0.0/24 but off bbfx-src's /25 link, and bbfx-src has no other route: network unreachable. */
const UNROUTED = "10.250.0.200";
const FLOATER_PORT = 8889;
const CLOSED_PORT = 8890;
/** Listeners that close without "OK": at once (as a full backlog does; the request may then be
 * answered with a reset), and after reading the request. */
const CLOSING_PORT = 8891;
const CLOSING_AFTER_REQUEST_PORT = 8892;
const NAME = "kubernetes.default.svc.cluster.local";
const OPTIONS: ScriptOptions = { timeout: 2, pingCount: 3, lanes: 32, token: "fixtures" };

type Target = { ip: string; port?: number; name?: string };
const OUTCOMES: Record<string, { protocol: Probe["protocol"]; custom?: boolean; target: Target }> = {
  "tcp success": { protocol: "tcp", target: { ip: HOST, port: FLOATER_PORT } },
  "tcp refused": { protocol: "tcp", target: { ip: HOST, port: CLOSED_PORT } },
  "tcp silent drop": { protocol: "tcp", target: { ip: DROPPED, port: FLOATER_PORT } },
  "tcp host unreachable": { protocol: "tcp", target: { ip: REJECTED, port: FLOATER_PORT } },
  "tcp no route": { protocol: "tcp", target: { ip: UNROUTED, port: FLOATER_PORT } },
  "tcp connected, closed at once": { protocol: "tcp", target: { ip: HOST, port: CLOSING_PORT } },
  "tcp connected, closed after the request": { protocol: "tcp", target: { ip: HOST, port: CLOSING_AFTER_REQUEST_PORT } },
  "custom success": { protocol: "tcp", custom: true, target: { ip: HOST, port: FLOATER_PORT } },
  "custom refused": { protocol: "tcp", custom: true, target: { ip: HOST, port: CLOSED_PORT } },
  "custom silent drop": { protocol: "tcp", custom: true, target: { ip: DROPPED, port: FLOATER_PORT } },
  "custom host unreachable": { protocol: "tcp", custom: true, target: { ip: REJECTED, port: FLOATER_PORT } },
  "custom no route": { protocol: "tcp", custom: true, target: { ip: UNROUTED, port: FLOATER_PORT } },
  "custom connected, closed at once": { protocol: "tcp", custom: true, target: { ip: HOST, port: CLOSING_PORT } },
  "dns success": { protocol: "dns", target: { ip: HOST, name: NAME } },
  "dns NXDOMAIN": { protocol: "dns", target: { ip: HOST, name: "nope.default.svc.cluster.local" } },
  "dns no server answering": { protocol: "dns", target: { ip: DROPPED, name: NAME } },
  "ping success": { protocol: "icmp", target: { ip: HOST } },
  "ping loss (silent drop)": { protocol: "icmp", target: { ip: DROPPED } },
  "ping host unreachable": { protocol: "icmp", target: { ip: REJECTED } },
  "ping no route": { protocol: "icmp", target: { ip: UNROUTED } },
};

function probes(): Probe[] {
  return Object.values(OUTCOMES).map((o, k) => ({
    id: k + 1, protocol: o.protocol, family: "ipv4", custom: o.custom,
    source: { cluster: "fixtures", node: SRC, ip: SRC_IP },
    target: { cluster: "fixtures", node: o.custom || o.protocol === "dns" ? "" : DST, ...o.target },
  }));
}

function createNamespaces(): void {
  removeNamespaces();
  run(["ip", "netns", "add", SRC]);
  run(["ip", "netns", "add", DST]);
  run(["ip", "-n", SRC, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", DST]);
  for (const [ns, ips] of [[SRC, [SRC_IP]], [DST, [HOST, DROPPED, REJECTED]]] as const) {
    for (const ip of ips) run(["ip", "-n", ns, "addr", "add", `${ip}/25`, "dev", "eth0"]);
    run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
  }
  inNetns(DST, ["iptables", "-A", "INPUT", "-d", DROPPED, "-j", "DROP"]);
  inNetns(DST, ["iptables", "-A", "INPUT", "-d", REJECTED, "-j", "REJECT", "--reject-with", "icmp-host-unreachable"]);
}

function removeNamespaces(): void {
  for (const ns of [SRC, DST]) run(["ip", "netns", "del", ns], { allowFail: true });
}

/** The floater image's busybox, as the test cluster runs it. */
function imageBusybox(): string {
  const bin = binaries().busybox;
  if (!existsSync(bin)) run([join(ROOT, "scripts", "build-cluster-binaries"), "busybox"]);
  return bin;
}


async function record(busybox: string, dir: string): Promise<void> {
  const version = run([busybox]).split("\n")[0]!.trim();
  const work = mkdtempSync(join(tmpdir(), "bbfx-"));
  const tools = join(work, "tools");
  mkdirSync(tools);
  run([busybox, "--install", "-s", tools]);
  mkdirSync(join(work, "www"));
  writeFileSync(join(work, "www", "index.html"), "OK\n");
  writeFileSync(join(work, "zone.json"), JSON.stringify({ suffix: "cluster.local", records: { [NAME]: "10.96.0.1" } }));
  const log = join(work, "daemons.log");
  const pids: number[] = [];
  try {
    createNamespaces();
    pids.push(daemon(["ip", "netns", "exec", DST, busybox, "httpd", "-f", "-p", `${HOST}:${FLOATER_PORT}`, "-h", join(work, "www")], log));
    pids.push(daemon(["ip", "netns", "exec", DST, process.execPath, join(ROOT, "scripts", "cluster", "dns-server.ts"), `${HOST}=${join(work, "zone.json")}`], log));
    pids.push(daemon(["ip", "netns", "exec", DST, process.execPath, "-e",
      `Bun.listen({ hostname: "${HOST}", port: ${CLOSING_PORT}, socket: { open(s) { s.end(); }, data() {} } });
       Bun.listen({ hostname: "${HOST}", port: ${CLOSING_AFTER_REQUEST_PORT}, socket: { data(s) { s.end(); } } });`], log));
    await waitFor("the listeners in bbfx-dst", 10_000, () => {
      const listening = inNetns(DST, ["ss", "-ltnuH"]);
      return [`:${FLOATER_PORT}`, `:${CLOSING_PORT}`, `:${CLOSING_AFTER_REQUEST_PORT}`, ":53"].every((p) => listening.includes(`${HOST}${p}`)) || undefined;
    });
    const script = probeScript(probes(), OPTIONS);
    const stdout = run(["ip", "netns", "exec", SRC, "env", "-i", `PATH=${tools}`, join(tools, "sh"), "-c", script]);
    const lines = new Map(stdout.split("\n").filter((l) => l.startsWith("@@ ")).map((l) => [Number(l.split(" ")[1]), l]));
    const outcomes = Object.fromEntries(probes().map((p, k) => {
      const line = lines.get(p.id);
      if (!line) throw new Error(`no result line for probe ${p.id}: ${stdout}`);
      return [Object.keys(OUTCOMES)[k]!, { probe: p, line }];
    }));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "probes.json"), `${JSON.stringify({ busybox: version, timeoutSec: OPTIONS.timeout, outcomes }, null, 2)}\n`);
    console.log(`${dir}: ${Object.keys(outcomes).length} outcomes from ${version}`);
  } finally {
    await stop(pids);
    removeNamespaces();
    rmSync(work, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
if (args.length % 2 !== 0) throw new Error("usage: record-probe-fixtures.ts [BUSYBOX DIR]...");
const pairs: [string, string][] = args.length > 0
  ? Array.from({ length: args.length / 2 }, (_, k) => [args[2 * k]!, args[2 * k + 1]!])
  : [[imageBusybox(), join(ROOT, "test", "fixtures", `busybox-${BUSYBOX_VERSION}`)], [debianBusybox(), join(ROOT, "test", "fixtures", "busybox-1.35")]];
for (const [busybox, dir] of pairs) await record(busybox, dir);
