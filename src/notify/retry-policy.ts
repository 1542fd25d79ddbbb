import { DeliveryError } from "./errors.js";

export interface RetrySettings {
  baseMs: number;
  maxMs: number;
  maxAttempts: number;
}

export type RetryDecision = { retry: true; delayMs: number } | { retry: false; reason: "permanent" | "exhausted" };

/**
 * After failed attempt number `attempt` (1-based): try again, and when? Exponential backoff with jitter between half
 * and all of `base * 2^(attempt-1)` (capped at maxMs), so many pages failing together do not retry in lockstep. A
 * provider's Retry-After wins over the backoff: asking again sooner only earns another 429. Errors that are not a
 * DeliveryError (a bug, an SDK surprise) are retried like a transient failure rather than dropped.
 */
export function decideRetry(error: unknown, attempt: number, settings: RetrySettings, random: () => number = Math.random): RetryDecision {
  if (error instanceof DeliveryError && !error.retryable) return { retry: false, reason: "permanent" };
  if (attempt >= settings.maxAttempts) return { retry: false, reason: "exhausted" };
  if (error instanceof DeliveryError && error.retryAfterMs !== undefined) return { retry: true, delayMs: error.retryAfterMs };
  const ceiling = Math.min(settings.maxMs, settings.baseMs * 2 ** Math.min(attempt - 1, 30));
  return { retry: true, delayMs: Math.round(ceiling / 2 + (random() * ceiling) / 2) };
}
