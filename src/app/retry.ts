import { AppError } from "../core/errors.js";

/** Exponential backoff with full jitter, capped: the delay before retry number `attempt` (1-based). */
export function backoffMs(attempt: number, baseMs = 100, capMs = 5_000, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 20));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Try `operation` until it succeeds or `isStopped()` says to give up. Every retry is reported through `onRetry`:
 * fault tolerance that hides its failures would hide the next outage.
 */
export async function retryUntilDone<T>(operation: () => Promise<T>, onRetry: (attempt: number, error: unknown) => void, isStopped: () => boolean = () => false): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (isStopped() || isPermanent(error)) throw error;
      onRetry(attempt, error);
      await sleep(backoffMs(attempt));
    }
  }
}

/**
 * Errors that no retry can fix: the request itself is wrong (a payload over the server's limit, an invalid
 * subject). Retrying them forever would hide a bug behind a stuck pipeline.
 */
export function isPermanent(error: unknown): boolean {
  if (error instanceof AppError) return !error.retryable;
  return error instanceof Error && (error.name === "InvalidArgumentError" || /max_payload|invalid subject/i.test(error.message));
}
