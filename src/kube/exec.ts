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
  /** How long until the command's first byte arrived: the kubelet was reached and started it. */
  startMs?: number;
}

/** The exec itself failed: nothing can be said about the network from it. */
export class ExecTransportError extends Error {
  constructor(
    message: string,
    /** True when a retry may help (throttling, a dropped connection), false for e.g. pod gone. */
    readonly retryable: boolean,
    /** The API server said 429: too many at once. */
    readonly throttled = false,
    /** The kubelet could not be reached (its address silent): a retry would wait as long again. */
    readonly unreachable = false,
    /** The connection to the API server itself failed or dropped (no answer of its own): the API
     * server may be down, which says nothing about the pod's node. */
    readonly apiConnection = false,
  ) {
    super(message);
    this.name = "ExecTransportError";
  }
}

/** `onOpen`: how long the API server took to open the stream (it paces concurrency), told at once,
 * long before the command ends. The API server answers the upgrade before it dials the kubelet:
 * a kubelet that cannot be reached is not in it. */
export type ExecFn = (pod: { namespace: string; name: string; container: string }, command: string[], timeoutMs: number, onOpen?: (setupMs: number) => void) => Promise<ExecResult>;

/** An exec whose command has not started (no byte of it arrived) this long after it was asked
 * for is given up: the API server opens the stream at once and then dials the kubelet, and a
 * kubelet address that drops everything holds it until the API server's dial gives up (30 s),
 * retried or not. On the test cluster (docs/benchmarks.md, "A node whose kubelet cannot be
 * reached") a healthy 100-node check's execs started within 1.4 s, a 500-node one's within 8.5 s
 * (p99 3.6 s) while other work kept the load average at 50-170: so the deadline grows with the
 * slowest start seen in the run (startDeadline), and an exec is given up only while others start
 * (givesUp): a stalled API server or machine fails nobody. */
export const START_DEADLINE_MS = 10_000;
/** The deadline is at least this many times the slowest start seen so far in the run. */
export const SLOWEST_START_FACTOR = 3;

/** The start deadline now: the floor, or SLOWEST_START_FACTOR times the slowest start seen. Pure. */
export function startDeadline(floorMs: number, slowestStartMs: number): number {
  return Math.max(floorMs, SLOWEST_START_FACTOR * slowestStartMs);
}

/** Give up on an exec asked for at `askedAt` that has not started by `now`? Only past the deadline,
 * and only when some other exec started since it was asked for (the API server and other kubelets
 * answer: this one is the exception). Times in ms on one clock; lastStartAt -Infinity: none yet. Pure. */
export function givesUp(now: number, askedAt: number, deadlineMs: number, lastStartAt: number): boolean {
  return now - askedAt >= deadlineMs && lastStartAt > askedAt;
}

/** Written to stderr before the command runs, so the first byte arrives as soon as it started
 * (the probe script may write nothing until its first probe ends); cut from stderr again. */
export const STARTED_MARK = "netdoctor:started";

/** The command with the mark in front, when it is a shell script; otherwise as it was. */
export function withStartMark(command: string[]): string[] {
  if (command.length !== 3 || command[0] !== "sh" || command[1] !== "-c") return command;
  return ["sh", "-c", `echo ${STARTED_MARK} >&2; ${command[2]}`];
}

export function withoutStartMark(stderr: string): string {
  return stderr.startsWith(`${STARTED_MARK}\n`) ? stderr.slice(STARTED_MARK.length + 1) : stderr;
}

/** A dial that got no answer at all (not a refusal): the kubelet's address is silent. */
const SILENT_DIAL = /dial tcp [^ ]+: (?:i\/o timeout|connect: (?:no route to host|connection timed out|network is unreachable))/;

/** Retry after this failure? Not when it cannot help (pod gone), not after the last try, and not
 * when the kubelet could not be reached: a retry would wait as long again, for the same answer. */
export function shouldRetry(err: ExecTransportError, lastTry: boolean): boolean {
  return err.retryable && !err.unreachable && !lastTry;
}

/** A failed exec's reason, one line: a kubelet that could not be reached says so with its node's
 * address first; anything else as the exec reported it. */
export function execFailureReason(err: ExecTransportError, hostIp: string | undefined): string {
  if (!err.unreachable) return `could not test: ${err.message}`;
  return `could not test: the kubelet at ${hostIp ?? "its node"} could not be reached (${err.message})`;
}

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
  onFirstByte?: () => void;
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    if (chunk.length) this.onFirstByte?.();
    this.chunks.push(chunk);
    done();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

export interface ExecOptions {
  /** Give up on an exec whose command has not started this long after it was asked for (0: never). */
  startDeadlineMs?: number;
}

/** One exec function per run: a pod whose kubelet could not be reached is not tried again in it
 * (each try would wait out the same deadline), its later execs fail at once with the same reason. */
export function createExec(target: ClusterTarget, o: ExecOptions = {}): ExecFn {
  const exec = new Exec(target.kubeConfig);
  const startDeadlineMs = o.startDeadlineMs ?? START_DEADLINE_MS;
  const unreachable = new Map<string, ExecTransportError>();
  // What this run's execs told about start times (the deadline grows with them; see givesUp).
  let slowestStartMs = 0;
  let lastStartAt = -Infinity;
  return async (pod, command, timeoutMs, onOpen) => {
    const key = `${pod.namespace}/${pod.name}`;
    const known = unreachable.get(key);
    if (known) throw new ExecTransportError(`${known.message}; not tried again`, false, false, true);
    const stdout = new Collector();
    const stderr = new Collector();
    let socket: { close(): void; on?(ev: string, fn: (...a: unknown[]) => void): void } | undefined;
    const started = performance.now();
    let startMs: number | undefined;
    return new Promise<ExecResult>((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearTimeout(startTimer);
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
      const fail = (err: ExecTransportError) => {
        if (err.unreachable) unreachable.set(key, err);
        reject(err);
      };
      // The first byte of either stream: the kubelet was reached and the command runs.
      const onFirstByte = () => {
        if (startMs !== undefined) return;
        lastStartAt = performance.now();
        startMs = lastStartAt - started;
        slowestStartMs = Math.max(slowestStartMs, startMs);
        clearTimeout(startTimer);
      };
      stdout.onFirstByte = onFirstByte;
      stderr.onFirstByte = onFirstByte;
      // Looked at when the deadline as it stands now has passed, then every second until the
      // command starts, the exec fails on its own, or givesUp says so.
      let startTimer: ReturnType<typeof setTimeout> | undefined;
      const checkStart = () => {
        if (settled || startMs !== undefined) return;
        const now = performance.now();
        const deadline = startDeadline(startDeadlineMs, slowestStartMs);
        if (givesUp(now, started, deadline, lastStartAt)) return finish(() => fail(notStarted(pod.name, now - started)));
        startTimer = setTimeout(checkStart, Math.max(1_000, started + deadline - now));
      };
      if (startDeadlineMs > 0 && startDeadlineMs < timeoutMs) startTimer = setTimeout(checkStart, startDeadlineMs);
      exec
        .exec(pod.namespace, pod.name, pod.container, startDeadlineMs > 0 ? withStartMark(command) : command, stdout, stderr, null, false, (status: V1Status) => {
          const code = exitCodeOf(status);
          finish(() => (code === undefined
            ? fail(statusError(status, pod.name))
            : resolve({ exitCode: code, stdout: stdout.text(), stderr: withoutStartMark(stderr.text()), startMs })));
        })
        .then((ws) => {
          onOpen?.(performance.now() - started);
          socket = ws as unknown as typeof socket;
          if (settled) socket?.close();
          // A socket that closes without a final status: the connection dropped mid-command.
          (ws as unknown as { on?: (e: string, f: () => void) => void }).on?.("close", () => {
            setTimeout(() => finish(() => reject(new ExecTransportError(`exec in ${pod.name}: connection closed before the command finished`, true, false, false, true))), 50);
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
  return new ExecTransportError(`exec in ${pod} failed: ${message}`, retryable, false, SILENT_DIAL.test(raw));
}

/** An exec whose command did not start within the deadline: the kubelet was not reached. */
export function notStarted(pod: string, deadlineMs: number): ExecTransportError {
  return new ExecTransportError(`exec in ${pod} had not started after ${Number((deadlineMs / 1000).toFixed(1))}s`, false, false, true);
}

export function execConnectError(err: unknown, pod: string): ExecTransportError {
  // Bun's WebSocket rejects with an ErrorEvent (not an Error) whose message carries the HTTP
  // status: a real kubelet that cannot be dialed fails the upgrade with a 500 before any Status.
  const message = (err as { message?: unknown } | undefined)?.message;
  const text = typeof message === "string" ? message : String(err);
  const status = /Unexpected server response: (\d+)/.exec(text)?.[1];
  // 429 (throttled) and 5xx may pass; 4xx (forbidden, pod gone) will not.
  const retryable = status === undefined ? true : status === "429" || status.startsWith("5");
  return new ExecTransportError(`exec in ${pod} failed: ${status ? `HTTP ${status}` : text.split("\n")[0]}`, retryable, status === "429", false, status === undefined);
}
