// The harness's own small REST client (admin certificate), for creating Node objects and waiting on
// readiness. The plugin under test uses its own client; this one only sets the stage.
import { readFileSync } from "node:fs";
import type { Pki } from "./pki.ts";

export class AdminApi {
  private readonly tls: { ca: string; cert: string; key: string };
  constructor(
    readonly server: string,
    pki: Pki,
  ) {
    this.tls = { ca: readFileSync(pki.ca, "utf8"), cert: readFileSync(pki.adminCert, "utf8"), key: readFileSync(pki.adminKey, "utf8") };
  }

  async request(method: string, path: string, body?: unknown, contentType?: string): Promise<{ status: number; json: any }> {
    const res = await fetch(`${this.server}${path}`, {
      method,
      // PATCH bodies are JSON merge patches unless said otherwise.
      headers: body ? { "content-type": contentType ?? (method === "PATCH" ? "application/merge-patch+json" : "application/json") } : {},
      body: body ? JSON.stringify(body) : undefined,
      tls: this.tls,
      signal: AbortSignal.timeout(10_000),
    } as RequestInit);
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status, json };
  }

  async ok(method: string, path: string, body?: unknown, contentType?: string): Promise<any> {
    const r = await this.request(method, path, body, contentType);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  }

  /** A watch's events (`?watch=1` is added), until the server ends it. */
  async *watch(path: string): AsyncGenerator<{ type: string; object: any }> {
    const res = await fetch(`${this.server}${path}${path.includes("?") ? "&" : "?"}watch=1`, { tls: this.tls } as RequestInit);
    if (!res.ok || !res.body) throw new Error(`watch ${path}: ${res.status} ${await res.text()}`);
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of res.body) {
      buffered += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl).trim();
        buffered = buffered.slice(nl + 1);
        if (line) yield JSON.parse(line);
      }
    }
  }
}
