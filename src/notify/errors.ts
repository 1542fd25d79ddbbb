import { AppError } from "../core/errors.js";
import type { ChannelName } from "./model.js";

/**
 * A channel could not deliver. `retryable` says whether trying again can help (a timeout, a 5xx, a 429); a
 * permanent failure (bad address, bad credentials, unknown channel) moves on to the person's next contact method.
 * Messages are built from status codes and provider error codes only, and the provider's error object is never kept
 * as `cause`: an SDK error can carry the request with its credentials, and this error is logged and audited.
 */
export class DeliveryError extends AppError {
  /** The provider said when to come back (Slack's Retry-After): that wins over our own backoff. */
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly channel: ChannelName,
    message: string,
    options: { retryable: boolean; retryAfterMs?: number },
  ) {
    super(message, { retryable: options.retryable });
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** A channel that has no credentials in the config: every page for it falls back at once. */
export class ChannelNotConfiguredError extends DeliveryError {
  constructor(channel: ChannelName, missing: string) {
    super(channel, `${channel} is not configured (${missing})`, { retryable: false });
  }
}

/** A template that does not parse or render; names the file and what is wrong. */
export class TemplateError extends AppError {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(`${file}: ${detail}`);
  }
}
