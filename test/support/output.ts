import type { Output } from "../../src/cli/output.js";

/** An Output that keeps what a command printed, for assertions. */
export function capture(): Output & { out: string[]; errors: string[] } {
  const out: string[] = [];
  const errors: string[] = [];
  return { out, errors, log: (l) => out.push(l), err: (l) => errors.push(l) };
}
