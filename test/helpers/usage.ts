import { expect } from "bun:test";
import { UsageError } from "../../src/errors.ts";

/** Run fn, expect a UsageError, and return its message. */
export function usageErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error("expected a UsageError");
}
