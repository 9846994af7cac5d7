// The HTML report in a real browser: headless chromium (installed by scripts/setup) opens the
// 4-node run with a failure and a 500-node mesh from disk, through the DevTools protocol: the page
// renders, the failing cell is painted red, the summary matches the results, and the page makes
// no request at all. Screenshots land in $NETDOCTOR_SCREENSHOTS (default: a temporary directory).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeHtml } from "../../src/report/html.ts";
import type { ResultsDocument } from "../../src/results/document.ts";
import { collect, fourNodes, mesh } from "../helpers/docs.ts";

const CHROMIUM = Bun.which("chromium") ?? Bun.which("chromium-browser");
const dir = mkdtempSync(join(tmpdir(), "nd-browser-"));
const shots = process.env.NETDOCTOR_SCREENSHOTS || dir;

interface Page {
  send(method: string, params?: Record<string, unknown>): Promise<any>;
  requests: string[];
}

let browser: { kill(): void } | undefined;
let port = 0;

beforeAll(async () => {
  if (!CHROMIUM) throw new Error("chromium is missing: run scripts/setup (or apt-get install -y chromium)");
  const proc = Bun.spawn([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions", `--user-data-dir=${join(dir, "profile")}`,
    "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"], { stdin: "ignore", stdout: "ignore", stderr: "pipe" });
  browser = proc;
  // Chromium says on stderr where its DevTools endpoint listens (a port it chose, on loopback).
  const reader = proc.stderr.getReader();
  let text = "";
  const deadline = Date.now() + 30_000;
  while (!port && Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    port = Number(text.match(/DevTools listening on ws:\/\/127\.0\.0\.1:(\d+)\//)?.[1] ?? 0);
  }
  reader.releaseLock();
  if (!port) throw new Error(`chromium did not start its DevTools endpoint: ${text.slice(-500)}`);
}, 60_000);

afterAll(() => {
  browser?.kill();
  rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<Page & { close(): void }> {
  const target = (await (await fetch(`http://127.0.0.1:${port}/json/new?about:blank`, { method: "PUT" })).json()) as { webSocketDebuggerUrl: string };
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = reject)));
  let id = 0;
  const pending = new Map<number, (msg: any) => void>();
  const requests: string[] = [];
  ws.onmessage = (ev) => {
    const msg = JSON.parse(String(ev.data));
    if (msg.id && pending.has(msg.id)) pending.get(msg.id)!(msg);
    if (msg.method === "Network.requestWillBeSent") requests.push(msg.params.request.url);
  };
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<any>((resolve, reject) => {
      pending.set(++id, (msg) => (msg.error ? reject(new Error(`${method}: ${msg.error.message}`)) : resolve(msg.result)));
      ws.send(JSON.stringify({ id, method, params }));
    });
  return { send, requests, close: () => ws.close() };
}

const evaluate = async (page: Page, expression: string) => (await page.send("Runtime.evaluate", { expression, returnByValue: true })).result.value;

/** Open a report, wait for its first render, and screenshot it. */
async function load(doc: ResultsDocument, name: string, height: number): Promise<Page & { close(): void; url: string }> {
  const file = join(dir, `${name}.html`);
  writeFileSync(file, collect((sink) => writeHtml(doc, sink)));
  const page = await open();
  await page.send("Network.enable");
  await page.send("Page.enable");
  await page.send("Emulation.setDeviceMetricsOverride", { width: 1280, height, deviceScaleFactor: 1, mobile: false });
  const url = `file://${file}`;
  await page.send("Page.navigate", { url });
  const deadline = Date.now() + 30_000;
  while ((await evaluate(page, "document.body && document.body.dataset.rendered")) !== "true") {
    if (Date.now() > deadline) throw new Error(`${name}: the report did not render in 30 s`);
    await Bun.sleep(50);
  }
  const shot = await page.send("Page.captureScreenshot", { format: "png" });
  mkdirSync(shots, { recursive: true });
  writeFileSync(join(shots, `${name}.png`), Buffer.from(shot.data, "base64"));
  return { ...page, url };
}

/** The colour of the middle of a cell, read from the canvas. */
const cellColor = (panel: string, row: number, col: number) => `(() => {
  const c = document.querySelector('figure[data-panel="${panel}"] canvas');
  const size = Number(c.dataset.cell), x = Number(c.dataset.left) + (${col} + 0.5) * size, y = Number(c.dataset.top) + (${row} + 0.5) * size;
  return Array.from(c.getContext("2d").getImageData(Math.floor(x), Math.floor(y), 1, 1).data.slice(0, 3));
})()`;

const summaryOf = (page: Page) => evaluate(page, `Object.fromEntries([...document.querySelectorAll("#summary [data-field]")].map((d) => [d.dataset.field, Number(d.dataset.value)]))`);

describe("the HTML report in chromium", () => {
  test("4 nodes, node-a1 -> node-a2 dropped: the failing cells are red, the numbers match, no request", async () => {
    const doc = fourNodes();
    const page = await load(doc, "report-4-nodes", 1000);
    const s = doc.summary;
    expect(await summaryOf(page)).toEqual({ nodesChecked: s.nodesChecked, pairs: s.pairs, succeeded: s.succeeded, failed: s.failed, errors: s.errors, skippedNodes: s.skippedNodes });
    const panels = await evaluate(page, `[...document.querySelectorAll("figure.panel")].map((f) => [f.dataset.panel, Number(f.dataset.failed), f.dataset.failing])`);
    expect(panels).toEqual([["icmp/ipv4", 1, "node-a1>node-a2"], ["tcp/ipv4", 1, "node-a1>node-a2"]]);
    for (const panel of ["icmp/ipv4", "tcp/ipv4"]) {
      expect(await evaluate(page, cellColor(panel, 0, 1))).toEqual([207, 34, 46]);
      const [r, g, b] = await evaluate(page, cellColor(panel, 1, 0));
      expect(g).toBeGreaterThan(r);
      expect(g).toBeGreaterThan(b);
    }
    // Selecting a failing pair from the list explains it.
    await evaluate(page, `document.querySelector('#failing tr[data-panel="tcp/ipv4"]').click()`);
    expect(await evaluate(page, `document.getElementById("details").textContent`)).toBe("node-a1 (10.244.1.7) → node-a2 (10.244.2.7:8889) · tcp/ipv4Failed (timeout): timeout: no answer within 3s");
    // Filters: unticking a protocol hides its matrix.
    await evaluate(page, `(() => { const i = document.querySelector('input[name=panel][value="icmp/ipv4"]'); i.click(); })()`);
    expect(await evaluate(page, `document.querySelector('figure[data-panel="icmp/ipv4"]').hidden`)).toBe(true);
    expect(page.requests).toEqual([page.url]);
    page.close();
  }, 60_000);

  test("500 nodes: renders, the one failing cell is marked, no request; time to first render measured", async () => {
    const doc = mesh(500, (s, t) => (s === 0 && t === 1 ? { status: "Failed", reason: "timeout: no answer within 3s", reasonCode: "timeout", rttMs: undefined } : undefined));
    const page = await load(doc, "report-500-nodes", 1400);
    const s = doc.summary;
    expect(await summaryOf(page)).toEqual({ nodesChecked: 500, pairs: s.pairs, succeeded: s.succeeded, failed: 2, errors: 0, skippedNodes: 0 });
    expect(await evaluate(page, `[...document.querySelectorAll("figure.panel")].map((f) => f.dataset.failing)`)).toEqual(["node-001>node-002", "node-001>node-002"]);
    expect(await evaluate(page, cellColor("tcp/ipv4", 0, 1))).toEqual([207, 34, 46]);
    const renderMs = Number(await evaluate(page, "document.body.dataset.renderMs"));
    console.log(`500 nodes: first render ${renderMs} ms after navigation start (script ${await evaluate(page, "document.body.dataset.scriptMs")} ms)`);
    expect(renderMs).toBeLessThan(10_000);
    expect(page.requests).toEqual([page.url]);
    page.close();
  }, 120_000);
});
