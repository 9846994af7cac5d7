// Removal on a bounded time: what a removal has not yet seen go, named when its deadline passes,
// with the command that finishes the job.
import { ClusterError } from "../errors.ts";
import type { ClusterTarget } from "../kube/kubeconfig.ts";
import { timeoutMessage } from "../runtime/poll.ts";

/** How long removing a run's floaters may take in one cluster, every request and wait included.
 * It takes 0.3 s at 500 nodes (docs/benchmarks.md); a hung API server must not hold the run. */
export const REMOVAL_DEADLINE_MS = 30_000;

/** An object as kubectl and `clean` name it: "daemonset netdoctor/floater-x1-pod", "namespace netdoctor". */
export function objectName(kind: string, namespace: string | undefined, name: string): string {
  return `${kind} ${namespace ? `${namespace}/` : ""}${name}`;
}

/** What a removal has yet to see go, by kind: first the objects the run created, then, once a
 * kind is listed, what the cluster has of it. */
export class Leftovers {
  private readonly byKind = new Map<string, Set<string>>();

  /** `kind` is, as far as is known now, exactly `names`. */
  are(kind: string, names: string[]): void {
    this.byKind.set(kind, new Set(names));
  }

  gone(kind: string, name: string): void {
    this.byKind.get(kind)?.delete(name);
  }

  names(): string[] {
    return [...this.byKind.values()].flatMap((s) => [...s]);
  }
}

/** `kubectl netdoctor clean` for what is left in one cluster (`namespace` undefined: all of them),
 * ready to paste: a context or path with characters a shell would take apart is quoted. */
export function cleanCommand(target: ClusterTarget, namespace: string | undefined): string {
  // A kubeconfig other than the default may have come from --kubeconfig, which clean needs again.
  const kubeconfig = target.files.length === 1 && !target.files[0]!.endsWith("/.kube/config") ? ` --kubeconfig ${shellWord(target.files[0]!)}` : "";
  return `kubectl netdoctor clean ${namespace === undefined ? "-A" : `-n ${namespace}`} --context ${shellWord(target.contextName)}${kubeconfig}`;
}

function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A removal that did not finish: its message names what is left and the command that finishes. */
export class LeftBehindError extends ClusterError {}

/** `what` did not finish within `deadlineMs`: an error naming what is left and how to finish. */
export function leftBehind(what: string, target: ClusterTarget, namespace: string | undefined, left: string[], deadlineMs: number): LeftBehindError {
  return new LeftBehindError(
    `${timeoutMessage(`${what} in context '${target.contextName}' (${target.server})`, deadlineMs)}; ` +
      `left: ${left.join(", ")}; finish with: ${cleanCommand(target, namespace)}`,
  );
}
