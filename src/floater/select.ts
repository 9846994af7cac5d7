// Which nodes a run checks: all nodes matching the selector, narrowed by --nodes, minus
// --exclude-nodes. Pure.
import { UsageError } from "../errors.ts";

export function selectNodes(available: string[], opts: { nodes: string[]; excludeNodes: string[] }, context: string): string[] {
  const known = new Set(available);
  const unknown = [...opts.nodes, ...opts.excludeNodes].filter((n) => !known.has(n));
  if (unknown.length) {
    const sample = available.slice(0, 10).join(", ") + (available.length > 10 ? ", ..." : "");
    throw new UsageError(`node${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => `'${n}'`).join(", ")} not found in context '${context}' (nodes: ${sample || "none"})`);
  }
  const wanted = opts.nodes.length ? available.filter((n) => opts.nodes.includes(n)) : available;
  const selected = wanted.filter((n) => !opts.excludeNodes.includes(n));
  if (selected.length === 0) throw new UsageError(`no nodes left to check in context '${context}' after --nodes/--node-selector/--exclude-nodes`);
  return selected;
}
