// Counts in messages and reports: "1 node", "3 nodes". Pure.
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
