// A minimal authoritative DNS server standing in for each test cluster's CoreDNS: answers A
// queries for the names it is given, NXDOMAIN for other names in its zone, and refuses the rest
// (it never forwards: nothing may leave the machine). Run: bun dns-server.ts IP=zonefile.json ...
import { readFileSync } from "node:fs";

type Zone = Record<string, string>;

export function parseQuestion(msg: Buffer): { id: number; name: string; qtype: number; end: number } | undefined {
  if (msg.length < 12) return undefined;
  const id = msg.readUInt16BE(0);
  const labels: string[] = [];
  let i = 12;
  while (i < msg.length && msg[i] !== 0) {
    const len = msg[i]!;
    if (len > 63 || i + 1 + len > msg.length) return undefined;
    labels.push(msg.subarray(i + 1, i + 1 + len).toString("ascii"));
    i += 1 + len;
  }
  if (i + 5 > msg.length) return undefined;
  return { id, name: labels.join(".").toLowerCase(), qtype: msg.readUInt16BE(i + 1), end: i + 5 };
}

export function answer(msg: Buffer, zone: Zone, suffix: string): Buffer | undefined {
  const q = parseQuestion(msg);
  if (!q) return undefined;
  const question = msg.subarray(12, q.end);
  const ip = zone[q.name];
  const inZone = q.name === suffix || q.name.endsWith(`.${suffix}`);
  // NOERROR with an answer; NOERROR without one (AAAA of a known name); NXDOMAIN; REFUSED.
  const rcode = ip ? 0 : inZone ? 3 : 5;
  const withAnswer = ip !== undefined && q.qtype === 1;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.id, 0);
  header.writeUInt16BE(0x8400 | 0x0100 | 0x0080 | rcode, 2); // QR, AA, RD, RA
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(withAnswer ? 1 : 0, 6);
  if (!withAnswer) return Buffer.concat([header, question]);
  const rr = Buffer.alloc(16);
  rr.writeUInt16BE(0xc00c, 0); // pointer to the question's name
  rr.writeUInt16BE(1, 2); // A
  rr.writeUInt16BE(1, 4); // IN
  rr.writeUInt32BE(30, 6); // TTL
  rr.writeUInt16BE(4, 10);
  ip.split(".").forEach((o, k) => rr.writeUInt8(Number(o), 12 + k));
  return Buffer.concat([header, question, rr]);
}

if (import.meta.main) {
  for (const arg of process.argv.slice(2)) {
    const [ip, file] = arg.split("=") as [string, string];
    const zone = JSON.parse(readFileSync(file, "utf8")) as { suffix: string; records: Zone };
    await Bun.udpSocket({
      hostname: ip,
      port: 53,
      socket: {
        data(socket, buf, port, addr) {
          const reply = answer(Buffer.from(buf), zone.records, zone.suffix);
          if (reply) socket.send(reply, port, addr);
        },
      },
    });
    console.log(`dns: serving ${zone.suffix} on ${ip}:53`);
  }
}
