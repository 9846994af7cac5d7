// Counts and quantities in messages and reports: "1 node", "3 nodes", "0.042 ms". Pure.
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** A round trip in milliseconds with the precision it needs: "0.042 ms" on a quiet LAN reads as
 * it is, not as "0.0 ms". */
export function millis(ms: number): string {
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${ms === 0 ? "0" : Number(ms.toPrecision(2))} ms`;
}
