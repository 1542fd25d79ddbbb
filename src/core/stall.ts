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
 * (noticed within twice that).
 * A consumer's iterator can stop yielding without ending (a server restart or a long pause of this process while it
 * was read, and the client's reset never runs): awaited with `for await`, the read never returns, and whatever waits
 * for it waits for good. On a stall the iterator is closed without waiting (closing one that is stuck can wait in its
 * own queue). One timer per read, not per message: it checks that the count of messages has moved.
 */
export async function readWithIdleLimit<M>(messages: AsyncIterable<M> & { close(): Promise<unknown> }, idleMs: number, what: string, visit: (m: M) => boolean): Promise<void> {
  const iterator = messages[Symbol.asyncIterator]();
  let seen = 0;
  let seenAtLastCheck = -1;
  let stall!: () => void;
  const stalled = new Promise<"stalled">((resolve) => (stall = () => resolve("stalled")));
  const watchdog = setInterval(() => {
    if (seen === seenAtLastCheck) stall();
    seenAtLastCheck = seen;
  }, idleMs);
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), stalled]);
      if (next === "stalled") {
        void messages.close().catch(() => undefined);
        throw new StalledError(what, idleMs);
      }
      if (next.done === true) return;
      seen++;
      if (visit(next.value)) {
        // As `break` in a `for await` would.
        await iterator.return?.();
        return;
      }
    }
  } finally {
    clearInterval(watchdog);
  }
}
