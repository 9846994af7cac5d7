// The one order of node names every list and report uses. Pure.

/** Node names in natural order (node-2 before node-10). */
export const NODE_ORDER = new Intl.Collator("en", { numeric: true });
