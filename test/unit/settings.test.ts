import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { load } from "js-yaml";
import { resolveSettings } from "../../src/config/load.ts";
import { defaultSettings, SETTING_KEYS } from "../../src/config/settings.ts";
import { settingsTemplate } from "../../src/config/template.ts";
import { HOSTILE } from "../helpers/hostile.ts";
import { usageErrorOf } from "../helpers/usage.ts";

const dir = () => mkdtempSync(join(tmpdir(), "nd-settings-"));
const withFile = (name: string, text: string) => {
  const d = dir();
  writeFileSync(join(d, name), text);
  return d;
};
const fails = usageErrorOf;

describe("precedence", () => {
  test("defaults when nothing is given", () => {
    expect(resolveSettings({}, { cwd: dir() }).settings).toEqual(defaultSettings());
  });
  test("file over defaults, flags over file", () => {
    const cwd = withFile("netdoctor.yaml", "port: 9000\nconcurrency: 4\nmode: node\n");
    const { settings, file } = resolveSettings({ port: "9100" }, { cwd });
    expect(file).toBe(join(cwd, "netdoctor.yaml"));
    expect(settings.port).toBe(9100);
    expect(settings.concurrency).toBe(4);
    expect(settings.mode).toBe("node");
  });
  test("netdoctor.yaml wins over config.json; --config over both", () => {
    const cwd = withFile("netdoctor.yaml", "port: 9000\n");
    writeFileSync(join(cwd, "config.json"), '{"port": "9001"}');
    writeFileSync(join(cwd, "other.yaml"), "port: 9002\n");
    expect(resolveSettings({}, { cwd }).settings.port).toBe(9000);
    expect(resolveSettings({}, { cwd, configPath: join(cwd, "other.yaml") }).settings.port).toBe(9002);
  });
  test("a missing --config file is a usage error", () => {
    expect(fails(() => resolveSettings({}, { cwd: dir(), configPath: "/nope/x.yaml" }))).toContain("/nope/x.yaml does not exist");
  });
});

describe("netctl config.json", () => {
  const netctl = {
    namespace: "kosmos-system", version: "v0.2.0", mode: "pod-to-node", protocol: "dns", podWaitTime: 30, port: "8889",
    maxNum: 3, cmdTimeout: 10, autoClean: true, srcKubeConfig: "~/.kube/src", srcImageRepository: "mirror.local/kosmos",
    dstKubeConfig: "~/.kube/dst", dstImageRepository: "mirror.local/dst", customizedTargetIPList: ["10.0.0.1", "10.0.0.2"],
    customizedTargetPortList: ["80", "443"], targetDNSServer: "10.96.0.10", targetHostToLookup: "example.svc.cluster.local",
  };
  test("every key is accepted and mapped", () => {
    const cwd = withFile("config.json", JSON.stringify(netctl));
    const { settings, warnings } = resolveSettings({}, { cwd });
    expect(settings).toMatchObject({
      namespace: "kosmos-system", mode: "pod-to-node", protocols: ["dns"], podWaitTimeout: 30, port: 8889, concurrency: 3,
      timeout: 10, keep: false, kubeconfig: "~/.kube/src", imageRepository: "mirror.local/kosmos", dstKubeconfig: "~/.kube/dst",
      dstImageRepository: "mirror.local/dst", targets: ["10.0.0.1:80", "10.0.0.1:443", "10.0.0.2:80", "10.0.0.2:443"],
      dnsServer: "10.96.0.10", dnsName: "example.svc.cluster.local",
    });
    expect(warnings.join()).toContain("version");
  });
  test("netctl's protocol: anything but tcp/dns was a ping", () => {
    const cwd = withFile("config.json", '{"protocol": "ping", "autoClean": false}');
    const { settings } = resolveSettings({}, { cwd });
    expect(settings.protocols).toEqual(["icmp"]);
    expect(settings.keep).toBe(true);
  });
  test("custom IPs without ports are pinged", () => {
    const cwd = withFile("config.json", '{"customizedTargetIPList": ["10.1.1.1"]}');
    expect(resolveSettings({}, { cwd }).settings.targets).toEqual(["10.1.1.1"]);
  });
  test("errors name the netctl key the user wrote", () => {
    const cwd = withFile("config.json", '{"maxNum": -1}');
    expect(fails(() => resolveSettings({}, { cwd }))).toBe(`setting 'maxNum' in ${join(cwd, "config.json")}: -1 is out of range: allowed 0 to 1000`);
  });
});

describe("validation", () => {
  const cases: [string, Record<string, unknown>, string][] = [
    ["port above range", { port: "70000" }, "flag --port: '70000' is out of range: allowed 1 to 65535"],
    ["port not a number", { port: "http" }, "flag --port: expected a whole number, got 'http'"],
    ["concurrency over the cap", { concurrency: "1001" }, "flag --concurrency: '1001' is out of range: allowed 0 to 1000"],
    ["negative concurrency", { concurrency: "-3" }, "out of range"],
    ["unknown mode", { mode: "mesh" }, "flag --mode: 'mesh' is not one of pod, node, node-to-pod, pod-to-node"],
    ["unknown protocol", { protocols: "icmp,udp" }, "flag --protocols: 'udp' is not one of icmp, tcp, dns"],
    ["an unknown protocol beside all", { protocols: "all,bogus" }, "flag --protocols: 'bogus' is not one of icmp, tcp, dns, svc, nodeport, mtu (or all)"],
    ["bad duration", { timeout: "soon" }, "flag --timeout: expected a duration"],
  ];
  for (const [name, flags, message] of cases) {
    test(name, () => expect(fails(() => resolveSettings(flags, { cwd: dir() }))).toContain(message));
  }
  test("-p all is every protocol", () => {
    expect(resolveSettings({ protocols: "all" }, { cwd: dir() }).settings.protocols).toEqual(["icmp", "tcp", "dns", "svc", "nodeport", "mtu"]);
  });
  test("durations accept units", () => {
    const { settings } = resolveSettings({ timeout: "500ms", podWaitTimeout: "2m" }, { cwd: dir() });
    expect(settings.timeout).toBe(0.5);
    expect(settings.podWaitTimeout).toBe(120);
  });
  test("an unknown key names the closest valid one", () => {
    const cwd = withFile("netdoctor.yaml", "podWaitTimeot: 3\n");
    expect(fails(() => resolveSettings({}, { cwd }))).toBe(`${join(cwd, "netdoctor.yaml")}: unknown setting 'podWaitTimeot' (did you mean 'podWaitTimeout'?)`);
  });
  test("an unknown key far from any gets no suggestion", () => {
    const cwd = withFile("netdoctor.yaml", "colour: blue\n");
    expect(fails(() => resolveSettings({}, { cwd }))).toEndWith("unknown setting 'colour'");
  });
  test("malformed YAML names the line", () => {
    const cwd = withFile("netdoctor.yaml", "port: 1\nmode: [pod\nconcurrency: 2\n");
    expect(fails(() => resolveSettings({}, { cwd }))).toMatch(/netdoctor\.yaml:\d+: malformed YAML/);
  });
  test("malformed JSON names the line", () => {
    const cwd = withFile("config.json", '{\n "port": "8889",\n "mode": \n');
    expect(fails(() => resolveSettings({}, { cwd }))).toMatch(/config\.json:\d+: malformed JSON/);
  });
  test("invalid targets are refused", () => {
    expect(fails(() => resolveSettings({ targets: "10.0.0.1:99999" }, { cwd: dir() }))).toContain("99999");
    expect(fails(() => resolveSettings({ targets: "not-an-ip" }, { cwd: dir() }))).toContain("not-an-ip");
  });
  test("DNS names: RFC 1123 labels, '_', a trailing dot, 253 characters at most", () => {
    const label = "a".repeat(63);
    const longest = [label, label, label, "a".repeat(61)].join("."); // 253
    for (const name of ["kubernetes.default.svc.cluster.local", "example.com.", "_sip._tcp.example.com", "1.2.3.4", "x", longest, `${longest}.`]) {
      expect(resolveSettings({ dnsName: name }, { cwd: dir() }).settings.dnsName).toBe(name);
    }
    for (const name of [`${longest}a`, "a".repeat(64), "a..b", ".", "-a.b", "a-.b", "ex ample.com", "é.com"]) {
      expect(fails(() => resolveSettings({ dnsName: name }, { cwd: dir() }))).toStartWith("flag --dns-name: ");
    }
  });
  test("DNS servers: an IP, with a port as IP:PORT or [IPv6]:PORT", () => {
    for (const server of ["10.96.0.10", "10.96.0.10:5353", "fd00::10", "[fd00::10]:53"]) {
      expect(resolveSettings({ dnsServer: server }, { cwd: dir() }).settings.dnsServer).toBe(server);
    }
    for (const server of ["dns.local", "10.96.0.10:0", "10.96.0.10:65536", "fd00::10:53:x", "[fd00::10]53"]) {
      expect(fails(() => resolveSettings({ dnsServer: server }, { cwd: dir() }))).toStartWith("flag --dns-server: ");
    }
  });
  test("hostile DNS names and servers are refused, on one line naming the flag or setting and the value", () => {
    for (const value of HOSTILE) {
      const shown = `'${value.replace("\n", "\\n")}'`;
      for (const [key, flag] of [["dnsName", "--dns-name"], ["dnsServer", "--dns-server"]] as const) {
        const message = fails(() => resolveSettings({ [key]: value }, { cwd: dir() }));
        expect(message).toStartWith(`flag ${flag}: ${shown} is not a DNS `);
        expect(message).not.toContain("\n");
      }
      // The config files too, in either vocabulary.
      const yaml = withFile("netdoctor.yaml", `dnsName: ${JSON.stringify(value)}\n`);
      expect(fails(() => resolveSettings({}, { cwd: yaml }))).toStartWith(`setting 'dnsName' in ${join(yaml, "netdoctor.yaml")}: ${shown}`);
      const json = withFile("config.json", JSON.stringify({ targetDNSServer: value }));
      expect(fails(() => resolveSettings({}, { cwd: json }))).toStartWith(`setting 'targetDNSServer' in ${join(json, "config.json")}: ${shown}`);
    }
  });
});

describe("init template", () => {
  test("holds every setting with its default, and loads back to the defaults", () => {
    const text = settingsTemplate();
    const doc = load(text) as Record<string, unknown>;
    for (const key of SETTING_KEYS.filter((k) => k !== "output" && k !== "progress")) expect(Object.keys(doc)).toContain(key);
    const cwd = withFile("netdoctor.yaml", text);
    expect(resolveSettings({}, { cwd }).settings).toEqual(defaultSettings());
  });
});
