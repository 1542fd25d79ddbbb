import { connect, type ConnectionOptions, type NatsConnection } from "@nats-io/transport-node";
import { AppError } from "../core/errors.js";
import { shareCancelledRequestError } from "./nats-request-cancel.js";
import { sleep } from "./retry.js";

export class StoppedWhileConnectingError extends AppError {}

/**
 * Connect, and keep trying while NATS cannot be reached instead of giving up: an engine started before its NATS (a
 * reboot, a compose file) waits, alive and saying so on /readyz, rather than exiting. Each failed attempt is reported;
 * `isStopped` ends the wait. Requests on the connection no longer make an error each as they end (see
 * shareCancelledRequestError).
 */
export async function connectUntilStopped(
  options: ConnectionOptions,
  isStopped: () => boolean,
  onFailedAttempt: (attempt: number, error: unknown) => void,
  retryMs = 500,
): Promise<NatsConnection> {
  shareCancelledRequestError();
  for (let attempt = 1; ; attempt++) {
    if (isStopped()) throw new StoppedWhileConnectingError("stopped before NATS could be reached");
    try {
      const nc = await connect(options);
      if (!isStopped()) return nc;
      await nc.close().catch(() => undefined);
    } catch (error) {
      if (!isStopped()) onFailedAttempt(attempt, error);
    }
    if (!isStopped()) await sleep(retryMs);
  }
}
