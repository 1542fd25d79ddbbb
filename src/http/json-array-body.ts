import type { ServerResponse } from "node:http";
import { setImmediate as nextTurn } from "node:timers/promises";

/** Items per slice: about a millisecond of building and stringifying alerts. */
export const DEFAULT_SLICE_SIZE = 1_000;

/**
 * A JSON array answered in slices: each slice is built (`toJson`), stringified and written in one turn of the event
 * loop, and the next waits for a later turn (and for the socket to drain). Written in one piece, the 100,000 alerts of
 * a storm held the engine's main thread for ~250 ms per request (building the list, stringifying it, encoding it), in
 * which no event was evaluated and no page sent: in the storm the list is asked for.
 */
export class JsonArrayBody<T> {
  constructor(
    private readonly items: readonly T[],
    private readonly toJson: (item: T) => unknown,
    private readonly sliceSize = DEFAULT_SLICE_SIZE,
  ) {}

  /** The whole array, built at once: what `JSON.stringify` of the body writes, for a caller that is not `writeTo`. */
  toJSON(): unknown[] {
    return this.items.map(this.toJson);
  }

  /** Writes the array and ends the response; stops early, without error, once the client has gone away. */
  async writeTo(response: ServerResponse): Promise<void> {
    for (let start = 0; start < this.items.length; start += this.sliceSize) {
      if (start > 0) await nextTurn();
      if (response.destroyed) return;
      let text = start === 0 ? "[" : ",";
      const end = Math.min(this.items.length, start + this.sliceSize);
      for (let i = start; i < end; i++) text += (i > start ? "," : "") + (JSON.stringify(this.toJson(this.items[i] as T)) ?? "null");
      if (!response.write(text)) await drained(response);
    }
    if (!response.destroyed) response.end(this.items.length === 0 ? "[]" : "]");
  }
}

function drained(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      response.off("drain", done);
      response.off("close", done);
      resolve();
    };
    response.once("drain", done);
    response.once("close", done);
  });
}
