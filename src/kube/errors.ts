// Turns whatever client-node or the network throws into one line that names the cluster.
import { ClusterError } from "../errors.ts";
import { timeoutMessage } from "../runtime/poll.ts";
import type { ClusterTarget } from "./kubeconfig.ts";

export interface ApiFailure {
  /** HTTP status, when the server answered. */
  status?: number;
  /** Kubernetes Status reason, e.g. Forbidden, NotFound, AlreadyExists. */
  reason?: string;
  message: string;
  /** The request's time limit (--request-timeout) passed before the server answered. */
  timedOut?: boolean;
}

/** The HTTP status and Kubernetes Status message inside a client-node ApiException or network error. */
export function apiFailure(err: unknown): ApiFailure {
  const e = err as { name?: string; code?: unknown; body?: unknown; message?: string; cause?: { code?: string; message?: string } };
  // Checked first: the DOMException of an expired AbortSignal has a numeric code too (23).
  if (e?.name === "TimeoutError") return { message: "timed out", timedOut: true };
  if (typeof e?.code === "number") {
    type StatusBody = { message?: string; reason?: string };
    let body: StatusBody | undefined;
    if (typeof e.body === "string") {
      try {
        body = JSON.parse(e.body) as StatusBody;
      } catch {
        body = { message: e.body };
      }
    } else {
      body = e.body as StatusBody | undefined;
    }
    return { status: e.code, reason: body?.reason, message: body?.message || `HTTP ${e.code}` };
  }
  const code = typeof e?.code === "string" ? e.code : e?.cause?.code;
  return { message: networkMessage(code, e?.message ?? String(err)) };
}

function networkMessage(code: string | undefined, raw: string): string {
  switch (code) {
    case "ECONNREFUSED":
    case "ConnectionRefused":
      return "connection refused";
    case "ENOTFOUND":
      return "host not found";
    case "ETIMEDOUT":
    case "TimeoutError":
      return "timed out";
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `TLS certificate not trusted (${code}): check certificate-authority in the kubeconfig`;
    default:
      return raw.split("\n")[0]!.replace(/^request to \S+ failed, reason: /, "");
  }
}

/** A mistake in netdoctor's own code (a TypeError with no network cause), not an answer of the
 * cluster or the network: it must leave as a bug (exit 4), never as "cannot reach the API server". */
export function isBug(err: unknown): boolean {
  const bugKinds = [TypeError, ReferenceError, RangeError, SyntaxError];
  const e = err as { code?: unknown; cause?: unknown };
  return bugKinds.some((k) => err instanceof k) && e.code === undefined && e.cause === undefined;
}

/** A ClusterError naming the context, server and what we were doing. */
export function clusterError(err: unknown, target: ClusterTarget, doing: string): ClusterError {
  const f = apiFailure(err);
  const where = `context '${target.contextName}' (${target.server})`;
  if (f.timedOut) return new ClusterError(`${doing}: ${timeoutMessage(`the API server of ${where} to answer`, target.requestTimeoutMs)} (--request-timeout)`);
  switch (f.status) {
    case 401:
      return new ClusterError(`${doing}: authentication to ${where} failed: check the credentials in ${target.files.join(", ")}`);
    case 403:
      return new ClusterError(`${doing}: forbidden in ${where}: ${f.message}`);
    case undefined:
      return new ClusterError(`${doing}: cannot reach the API server of ${where}: ${f.message}`);
    default:
      return new ClusterError(`${doing}: ${where} answered ${f.status}: ${f.message}`);
  }
}
