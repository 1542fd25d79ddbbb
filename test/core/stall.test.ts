import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readWithIdleLimit, StalledError, within } from "../../src/core/stall.js";

/**
 * Messages as a consumer's iterator gives them: `items`, then either the end or nothing more until it is closed
 * (closing ends a pending read, as a nats.js iterator's close does).
 */
function messagesOf<T>(items: readonly T[], then: "end" | "hang"): AsyncIterable<T> & { close(): Promise<void>; closed: boolean; returned: boolean } {
  const state = { closed: false, returned: false };
  let i = 0;
  let endPending: (() => void) | undefined;
  return {
    get closed() {
      return state.closed;
    },
    get returned() {
      return state.returned;
    },
    close: async () => {
      state.closed = true;
      endPending?.();
    },
    [Symbol.asyncIterator]: () => ({
      next: (): Promise<IteratorResult<T>> => {
        if (i < items.length) return Promise.resolve({ done: false, value: items[i++] as T });
        if (then === "end" || state.closed) return Promise.resolve({ done: true, value: undefined });
        return new Promise((resolve) => (endPending = () => resolve({ done: true, value: undefined })));
      },
      return: async (): Promise<IteratorResult<T>> => {
        state.returned = true;
        return { done: true, value: undefined };
      },
    }),
  };
}

describe("reads that may stall", () => {
  test("a read whose iterator stops yielding without ending throws a StalledError instead of waiting for ever", async () => {
    const messages = messagesOf([1, 2, 3], "hang");
    const seen: number[] = [];
    const started = Date.now();
    await assert.rejects(
      readWithIdleLimit(messages, 50, "replaying p3", (m) => {
        seen.push(m);
        return false;
      }),
      (error: unknown) => error instanceof StalledError && error.retryable && /replaying p3: nothing came for 50 ms/.test(error.message),
    );
    assert.deepEqual(seen, [1, 2, 3]);
    assert.ok(Date.now() - started < 1_000);
    assert.ok(messages.closed, "the stuck iterator is closed");
  });

  test("a read that ends, or is told to stop, returns; stopping ends the iterator as `break` would", async () => {
    const ended = messagesOf([1, 2], "end");
    const seen: number[] = [];
    await readWithIdleLimit(ended, 50, "r", (m) => (seen.push(m), false));
    assert.deepEqual(seen, [1, 2]);
    const stopped = messagesOf([1, 2, 3, 4], "hang");
    const upTo: number[] = [];
    await readWithIdleLimit(stopped, 50, "r", (m) => (upTo.push(m), m >= 2));
    assert.deepEqual(upTo, [1, 2]);
    assert.ok(stopped.returned);
    assert.ok(!stopped.closed, "closing is the caller's, as before");
  });

  test("within: the value if it comes in time, a StalledError if not", async () => {
    assert.equal(await within(Promise.resolve(7), 50, "x"), 7);
    await assert.rejects(within(new Promise(() => undefined), 30, "loading snapshot p3"), (error: unknown) => error instanceof StalledError && /loading snapshot p3/.test(error.message));
  });
});
