// Exec a command in a pod over the API server's WebSocket, and wait for the command to END (client-node
// resolves when the socket opens). The exit code arrives either as a real kubelet's NonZeroExitCode
// cause or as an InternalError "exit status N" (kwok and some runtimes): both are handled.
import { Writable } from "node:stream";
import { Exec, type V1Status } from "@kubernetes/client-node";
import type { ClusterTarget } from "./kubeconfig.ts";

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** How long the API server and the kubelet took to open the stream (paces concurrency). */
  setupMs?: number;
}

/** The exec itself failed: nothing can be said about the network from it. */
export class ExecTransportError extends Error {
  constructor(
    message: string,
    /** True when a retry may help (throttling, a dropped connection), false for e.g. pod gone. */
    readonly retryable: boolean,
    /** The API server said 429: too many at once. */
    readonly throttled = false,
  ) {
    super(message);
    this.name = "ExecTransportError";
  }
}

export type ExecFn = (pod: { namespace: string; name: string; container: string }, command: string[], timeoutMs: number) => Promise<ExecResult>;

/** The exit code in an exec's final Status, or undefined if the Status is an exec failure. */
export function exitCodeOf(status: V1Status): number | undefined {
  if (status.status === "Success") return 0;
  if (status.reason === "NonZeroExitCode") {
    const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
    const n = Number(cause?.message);
    return Number.isInteger(n) ? n : undefined;
  }
  const m = /exit (?:status|code) (\d+)/.exec(status.message ?? "");
  return m ? Number(m[1]) : undefined;
}

class Collector extends Writable {
  private chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.chunks.push(chunk);
    done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

export function createExec(target: ClusterTarget): ExecFn {
  const exec = new Exec(target.kubeConfig);
  return async (pod, command, timeoutMs) => {
    const stdout = new Collector();
    const stderr = new Collector();
    let socket: { close(): void; on?(ev: string, fn: (...a: unknown[]) => void): void } | undefined;
    const started = performance.now();
    let setupMs: number | undefined;
    return new Promise<ExecResult>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        fn();
        try {
          socket?.close();
        } catch {
          // already closed
        }
      };
      const timer = setTimeout(
        () => finish(() => reject(new ExecTransportError(`exec in ${pod.name} did not finish within ${Math.round(timeoutMs / 1000)}s`, true))),
        timeoutMs,
      );
      exec
        .exec(pod.namespace, pod.name, pod.container, command, stdout, stderr, null, false, (status: V1Status) => {
          const code = exitCodeOf(status);
          finish(() => (code === undefined ? reject(statusError(status, pod.name)) : resolve({ exitCode: code, stdout: stdout.text(), stderr: stderr.text(), setupMs })));
        })
        .then((ws) => {
          setupMs = performance.now() - started;
          socket = ws as unknown as typeof socket;
          if (settled) socket?.close();
          // A socket that closes without a final status: the connection dropped mid-command.
          (ws as unknown as { on?: (e: string, f: () => void) => void }).on?.("close", () => {
            setTimeout(() => finish(() => reject(new ExecTransportError(`exec in ${pod.name}: connection closed before the command finished`, true))), 50);
          });
        })
        .catch((err: unknown) => finish(() => reject(execConnectError(err, pod.name))));
    });
  };
}

/** An exec the API server could not hand to the kubelet. The request URL (the whole script) is cut
 * out of the message; a kubelet that could not be reached may be reached on a retry. */
export function statusError(status: V1Status, pod: string): ExecTransportError {
  const raw = status.message ?? status.reason ?? "unknown status";
  const message = raw.replace(/(\w+) "https?:\/\/([^/"]+)\/[^"]*"/g, "$1 to the kubelet at $2").replace(/^Internal error occurred: /, "");
  const retryable = /error dialing backend|error sending request|connection refused|i\/o timeout|EOF|connection reset/i.test(raw);
  return new ExecTransportError(`exec in ${pod} failed: ${message}`, retryable);
}

export function execConnectError(err: unknown, pod: string): ExecTransportError {
  // Bun's WebSocket rejects with an ErrorEvent (not an Error) whose message carries the HTTP
  // status: a real kubelet that cannot be dialed fails the upgrade with a 500 before any Status.
  const message = (err as { message?: unknown } | undefined)?.message;
  const text = typeof message === "string" ? message : String(err);
  const status = /Unexpected server response: (\d+)/.exec(text)?.[1];
  // 429 (throttled) and 5xx may pass; 4xx (forbidden, pod gone) will not.
  const retryable = status === undefined ? true : status === "429" || status.startsWith("5");
  return new ExecTransportError(`exec in ${pod} failed: ${status ? `HTTP ${status}` : text.split("\n")[0]}`, retryable, status === "429");
}
