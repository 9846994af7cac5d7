// Every setting netdoctor has: its type, default, meaning and allowed values. The CLI flags, the
// netdoctor.yaml template written by `init` and the validation all derive from SETTING_SPECS, so a
// setting is declared once.

export const MODES = ["pod", "node", "node-to-pod", "pod-to-node"] as const;
export const PROTOCOLS = ["icmp", "tcp", "dns", "svc", "nodeport", "mtu"] as const;
export const IP_FAMILIES = ["ipv4", "ipv6", "dual"] as const;
export const OUTPUTS = ["table", "wide", "json", "yaml"] as const;
/** `report -o`: the outputs above, and the two made for files (HTML page, JUnit XML). */
export const REPORT_FORMATS = [...OUTPUTS, "html", "junit"] as const;
export const STRATEGIES = ["fanout", "pair"] as const;
export const DIRECTIONS = ["a-to-b", "b-to-a", "both"] as const;

export type Mode = (typeof MODES)[number];
export type Protocol = (typeof PROTOCOLS)[number];
export type IpFamily = (typeof IP_FAMILIES)[number];
export type Output = (typeof OUTPUTS)[number];
export type ReportFormat = (typeof REPORT_FORMATS)[number];
export type Strategy = (typeof STRATEGIES)[number];
export type Direction = (typeof DIRECTIONS)[number];

/** A stock, multi-arch image that ships ping, nc, nslookup and httpd: see docs/floater-image.md. */
export const DEFAULT_IMAGE = "docker.io/library/busybox:1.37.0";

export interface Settings {
  namespace: string;
  image: string;
  imageRepository: string;
  dstImageRepository: string;
  imagePullSecret: string;
  mode: Mode;
  protocols: Protocol[];
  ipFamily: IpFamily;
  port: number;
  podWaitTimeout: number;
  timeout: number;
  concurrency: number;
  probeConcurrency: number;
  pingCount: number;
  keep: boolean;
  kubeconfig: string;
  context: string;
  dstKubeconfig: string;
  dstContext: string;
  direction: Direction;
  nodes: string[];
  nodeSelector: string;
  excludeNodes: string[];
  targets: string[];
  dnsName: string;
  dnsServer: string;
  strategy: Strategy;
  output: Output;
  results: string;
  progress: boolean;
  sample: number;
  seed: string;
  sampleZones: boolean;
}

export type SettingKey = keyof Settings;

type Kind = "string" | "int" | "seconds" | "bool" | "enum" | "enumList" | "list";

export interface SettingSpec {
  key: SettingKey;
  kind: Kind;
  describe: string;
  default: Settings[SettingKey];
  choices?: readonly string[];
  min?: number;
  max?: number;
  /** Short flag, e.g. "n" for --namespace. */
  alias?: string;
}

export const SETTING_SPECS: readonly SettingSpec[] = [
  { key: "namespace", kind: "string", alias: "n", default: "netdoctor", describe: "Namespace for the floater pods (created, and deleted after the run, if it does not exist)" },
  { key: "mode", kind: "enum", choices: MODES, default: "pod", describe: "Which addresses are probed: pod (pod->pod), node (host->host), node-to-pod, pod-to-node" },
  { key: "protocols", kind: "enumList", choices: PROTOCOLS, default: ["icmp", "tcp"], describe: "Probes to run (comma-separated, or all): icmp, tcp and mtu per node pair; nodeport per node pair at the node's address; svc and dns per node" },
  { key: "ipFamily", kind: "enum", choices: IP_FAMILIES, default: "ipv4", describe: "Address family to probe; dual probes both" },
  { key: "port", kind: "int", min: 1, max: 65535, default: 8889, describe: "TCP port the floaters listen on" },
  { key: "timeout", kind: "seconds", min: 0.1, max: 300, default: 3, describe: "Time limit of one probe, in seconds" },
  { key: "pingCount", kind: "int", min: 1, max: 100, default: 1, describe: "ICMP packets per pair, as netctl's one ping; lost ones are confirmed by a burst of at least 3" },
  { key: "podWaitTimeout", kind: "seconds", min: 1, max: 3600, default: 120, describe: "How long to wait for the floaters to become ready, in seconds" },
  { key: "concurrency", kind: "int", min: 0, max: 1000, default: 0, describe: "Source pods probed at once (one exec each); 0: adapt to the API server, from 10 up to 64" },
  { key: "probeConcurrency", kind: "int", min: 1, max: 1000, default: 32, describe: "Targets probed at once inside one source pod" },
  { key: "sample", kind: "int", min: 0, max: 100000, default: 0, describe: "Probe only this many targets per source, each node a target of about as many sources (0: the full mesh)" },
  { key: "seed", kind: "string", default: "", describe: "Seed of --sample: the same seed, the same pairs (default: the run id)" },
  { key: "sampleZones", kind: "bool", default: false, describe: "With --sample: also probe every pair of zones (topology.kubernetes.io/zone) at least once" },
  { key: "strategy", kind: "enum", choices: STRATEGIES, default: "fanout", describe: "fanout: one exec per source pod; pair: one exec per pair (as netctl)" },
  { key: "nodes", kind: "list", default: [], describe: "Check only these nodes (comma-separated names)" },
  { key: "nodeSelector", kind: "string", alias: "l", default: "", describe: "Check only nodes matching this label selector" },
  { key: "excludeNodes", kind: "list", default: [], describe: "Never check these nodes (comma-separated names)" },
  { key: "targets", kind: "list", default: [], describe: "Extra targets probed from every source: IP or IP:PORT (comma-separated)" },
  { key: "dnsName", kind: "string", default: "", describe: "Name the dns probe resolves: dot-separated labels of letters, digits, '-' and '_' (default kubernetes.default.svc.cluster.local)" },
  { key: "dnsServer", kind: "string", default: "", describe: "DNS server the dns probe asks: IP, IP:PORT or [IPv6]:PORT (default: the pod's resolver)" },
  { key: "image", kind: "string", default: DEFAULT_IMAGE, describe: "Floater image; needs sh, ping, nc, nslookup and httpd" },
  { key: "imageRepository", kind: "string", default: "", describe: "Registry/repository prefix replacing the image's own (mirrors, air-gapped)" },
  { key: "dstImageRepository", kind: "string", default: "", describe: "Image repository prefix in the destination cluster (default: as the source)" },
  { key: "imagePullSecret", kind: "string", default: "", describe: "Name of an image pull secret in the namespace" },
  { key: "keep", kind: "bool", default: false, describe: "Leave the floaters running after the check, for a quick resume" },
  { key: "kubeconfig", kind: "string", default: "", describe: "Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)" },
  { key: "context", kind: "string", default: "", describe: "Kubeconfig context of the source cluster" },
  { key: "dstKubeconfig", kind: "string", default: "", describe: "Kubeconfig of the destination cluster (cross-cluster check)" },
  { key: "dstContext", kind: "string", default: "", describe: "Kubeconfig context of the destination cluster (cross-cluster check)" },
  { key: "direction", kind: "enum", choices: DIRECTIONS, default: "both", describe: "Cross-cluster: which way to probe" },
  { key: "output", kind: "enum", choices: OUTPUTS, alias: "o", default: "table", describe: "Output format" },
  { key: "results", kind: "string", default: "", describe: "Results file (default: <kubeconfig dir>/netdoctor/<context>.json)" },
  { key: "progress", kind: "bool", default: true, describe: "Show progress on stderr (--no-progress to turn off)" },
];

export const SETTING_KEYS: readonly SettingKey[] = SETTING_SPECS.map((s) => s.key);

export function defaultSettings(): Settings {
  const out: Record<string, unknown> = {};
  for (const spec of SETTING_SPECS) {
    out[spec.key] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
  }
  return out as unknown as Settings;
}

export function specOf(key: SettingKey): SettingSpec {
  const spec = SETTING_SPECS.find((s) => s.key === key);
  if (!spec) throw new Error(`no setting ${key}`);
  return spec;
}

/** The flag spelling of a setting key: podWaitTimeout -> pod-wait-timeout. */
export function flagName(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}
