// Where a new consumer starts in its stream, by deliver policy: all, last, new, by_start_sequence, by_start_time,
// or last_per_subject (the newest message of every matching subject first, then what arrives).
import type { ConsumerConfig } from "./config.js";
import type { StoredMessage, StreamStore } from "./stream-store.js";

export interface StartPosition {
  /** The first stream sequence to look at. */
  cursor: number;
  /** Sequences to deliver before the cursor (last_per_subject only), ascending. */
  initial: number[] | undefined;
}

export function startPosition(store: StreamStore, config: ConsumerConfig, filters: readonly string[], matches: (subject: string) => boolean): StartPosition {
  const at = (cursor: number): StartPosition => ({ cursor, initial: undefined });
  switch (config.deliver_policy) {
    case "last": {
      let last: StoredMessage | undefined;
      if (filters.length === 0) last = store.get(store.lastSeq);
      for (const filter of filters) {
        const candidate = store.lastMatching(filter);
        if (candidate !== undefined && (last === undefined || candidate.seq > last.seq)) last = candidate;
      }
      return at(last?.seq ?? store.lastSeq + 1);
    }
    case "new":
      return at(store.lastSeq + 1);
    case "by_start_sequence":
      return at(Math.max(config.opt_start_seq ?? 1, 1));
    case "by_start_time": {
      const fromMs = Date.parse(config.opt_start_time ?? "");
      for (let seq = store.firstSeq; seq <= store.lastSeq; seq++) if ((store.get(seq)?.timeMs ?? -Infinity) >= fromMs) return at(seq);
      return at(store.lastSeq + 1);
    }
    case "last_per_subject":
      return { cursor: store.lastSeq + 1, initial: store.lastPerSubject(matches) };
    default:
      return at(store.firstSeq);
  }
}
