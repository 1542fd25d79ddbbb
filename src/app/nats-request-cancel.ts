import { RequestError } from "@nats-io/transport-node";
import { RequestOne } from "@nats-io/nats-core/internal";

let shared = false;

/**
 * nats.js answers a request (each JetStream publish, each KV write), then cancels it, and its `cancel` rejects the
 * request's already settled promise with a `new RequestError("cancelled")`: an error, and its stack trace, made per
 * request and never seen. In the engine at 15,000 events/s that was ~950 requests a second at ~22 µs each, 3.7% of its
 * main thread's busy time (docs/performance.md). Once this has run, a cancel that is given no error rejects with one
 * error made here instead, of the same class and message; one given an error is unchanged.
 *
 * `RequestOne` comes from nats-core's "internal" entry point: `test/app/nats-request-cancel.test.ts` fails if an
 * upgrade of the client changes what this relies on.
 *
 * The rejection is never observed: after an answer the promise is settled, and after a timeout the caller's promise
 * (a race of the timer and this one) has already failed with the timeout. Process-wide, and idempotent.
 */
export function shareCancelledRequestError(): void {
  if (shared) return;
  shared = true;
  const cancel = RequestOne.prototype.cancel;
  const cancelled = errorWithoutStack();
  RequestOne.prototype.cancel = function (this: RequestOne, err?: Error): void {
    cancel.call(this, err ?? cancelled);
  };
}

/** Made once, here: a captured stack would name this module as where every cancelled request came from. */
function errorWithoutStack(): RequestError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new RequestError("cancelled");
  } finally {
    Error.stackTraceLimit = limit;
  }
}
