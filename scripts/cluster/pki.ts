// Certificates for the test cluster, made with openssl: a CA, the API server's serving cert, an
// admin client (system:masters), an RBAC-limited client, a kubelet serving cert for kwok, and the
// service-account signing key. Kept across runs: `up` only makes what is missing.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { run } from "./sh.ts";

export interface Pki {
  dir: string;
  ca: string;
  caKey: string;
  apiserverCert: string;
  apiserverKey: string;
  adminCert: string;
  adminKey: string;
  limitedCert: string;
  limitedKey: string;
  kubeletCert: string;
  kubeletKey: string;
  saKey: string;
  saPub: string;
}

export function ensurePki(dir: string, apiserverIPs: string[]): Pki {
  mkdirSync(dir, { recursive: true });
  const p = (n: string) => join(dir, n);
  const pki: Pki = {
    dir,
    ca: p("ca.crt"), caKey: p("ca.key"),
    apiserverCert: p("apiserver.crt"), apiserverKey: p("apiserver.key"),
    adminCert: p("admin.crt"), adminKey: p("admin.key"),
    limitedCert: p("limited.crt"), limitedKey: p("limited.key"),
    kubeletCert: p("kubelet.crt"), kubeletKey: p("kubelet.key"),
    saKey: p("sa.key"), saPub: p("sa.pub"),
  };
  if (!existsSync(pki.ca)) {
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", pki.caKey, "-out", pki.ca, "-days", "3650", "-subj", "/CN=netdoctor-testcluster-ca"]);
  }
  const sans = ["DNS:kubernetes", "DNS:kubernetes.default", "DNS:kubernetes.default.svc", "DNS:localhost", ...apiserverIPs.map((ip) => `IP:${ip}`)].join(",");
  signed(pki, pki.apiserverCert, pki.apiserverKey, "/CN=kube-apiserver", `subjectAltName=${sans}\nextendedKeyUsage=serverAuth`);
  signed(pki, pki.adminCert, pki.adminKey, "/O=system:masters/CN=netdoctor-admin", "extendedKeyUsage=clientAuth");
  signed(pki, pki.limitedCert, pki.limitedKey, "/CN=netdoctor-limited", "extendedKeyUsage=clientAuth");
  signed(pki, pki.kubeletCert, pki.kubeletKey, "/CN=kwok-kubelet", "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth");
  if (!existsSync(pki.saKey)) {
    run(["openssl", "genrsa", "-out", pki.saKey, "2048"]);
    run(["openssl", "rsa", "-in", pki.saKey, "-pubout", "-out", pki.saPub]);
  }
  return pki;
}

/** A real node's kubelet: its client identity (group system:nodes, so the Node authorizer lets it
 * manage its own Node and pods) and its serving certificate for the API server's exec and logs. */
export function kubeletCerts(pki: Pki, node: string, ips: string[]): { clientCert: string; clientKey: string; servingCert: string; servingKey: string } {
  const p = (n: string) => join(pki.dir, n);
  const c = { clientCert: p(`${node}-client.crt`), clientKey: p(`${node}-client.key`), servingCert: p(`${node}-serving.crt`), servingKey: p(`${node}-serving.key`) };
  signed(pki, c.clientCert, c.clientKey, `/O=system:nodes/CN=system:node:${node}`, "extendedKeyUsage=clientAuth");
  signed(pki, c.servingCert, c.servingKey, `/CN=${node}`, `subjectAltName=${[...ips.map((ip) => `IP:${ip}`), `DNS:${node}`].join(",")}\nextendedKeyUsage=serverAuth`);
  return c;
}

function signed(pki: Pki, cert: string, key: string, subject: string, extensions: string): void {
  if (existsSync(cert)) return;
  const csr = `${cert}.csr`;
  const ext = `${cert}.ext`;
  writeFileSync(ext, `${extensions}\n`);
  run(["openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", subject]);
  run(["openssl", "x509", "-req", "-in", csr, "-CA", pki.ca, "-CAkey", pki.caKey, "-CAcreateserial", "-out", cert, "-days", "3650", "-extfile", ext]);
}
