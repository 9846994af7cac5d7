// Custom targets (--target, netctl's customized lists) and DNS servers (--dns-server: busybox
// nslookup takes a port too): "IP", "IP:PORT" or "[IPv6]:PORT".
import { isIP } from "node:net";

export interface TargetSpec {
  ip: string;
  port?: number;
}

export function parseTarget(spec: string): TargetSpec | undefined {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(spec);
  const [ip, port] = v6 ? [v6[1]!, v6[2]] : spec.split(":").length === 2 ? spec.split(":") : [spec, undefined];
  if (!ip || isIP(ip) === 0) return undefined;
  if (port === undefined) return { ip };
  const n = Number(port);
  return Number.isInteger(n) && n >= 1 && n <= 65535 ? { ip, port: n } : undefined;
}
