import { AppError } from "./errors.js";

/** A read that stopped making progress: nothing came (or nothing answered) for longer than it may take. */
export class StalledError extends AppError {
  constructor(what: string, idleMs: number) {
    super(`${what}: nothing came for ${idleMs} ms`, { retryable: true });
  }
}

/** `promise`, or a StalledError once `ms` have passed without it settling. The work itself is not cancelled. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new StalledError(what, ms)), ms);
  });
  return Promise.race([promise, stalled]).finally(() => clearTimeout(timer));
}

/**
 * Reads `messages` until `visit` returns true (or they end), and throws a StalledError when none comes for `idleMs`
 * (noticed within twice that). A consumer's iterator can stop yielding without ending (a server restart or a long
 * pause of this process while it was read, and the client's reset never runs): read with a bare `for await`, it never
 * returns, and whatever waits for it waits for good. On a stall the iterator is closed, which ends a pending read of a
 * nats.js iterator (not awaited: closing one that is stuck can wait in its own queue). One timer per read and a count
 * per message: nothing is allocated per message, since a replay reads hundreds of thousands.
 */
export async function readWithIdleLimit<M>(messages: AsyncIterable<M> & { close(): Promise<unknown> }, idleMs: number, what: string, visit: (m: M) => boolean): Promise<void> {
  let seen = 0;
  let seenAtLastCheck = -1;
  let stalled = false;
  const watchdog = setInterval(() => {
    if (seen === seenAtLastCheck) {
      stalled = true;
      void messages.close().catch(() => undefined);
    }
    seenAtLastCheck = seen;
  }, idleMs);
  try {
    for await (const m of messages) {
      if (stalled) break;
      seen++;
      if (visit(m)) return;
    }
  } finally {
    clearInterval(watchdog);
  }
  if (stalled) throw new StalledError(what, idleMs);
}
