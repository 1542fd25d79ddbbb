// A publish into a stream: JetStream's Nats-* headers decide whether it is stored (expected stream, last sequence,
// last subject sequence, last message id), dropped as a duplicate (Nats-Msg-Id within the duplicate window) or
// stored as a roll-up that replaces older messages (Nats-Rollup).
import { decodeHeaders, headerValue } from "../headers.js";
import { jsErrors } from "./errors.js";
import type { StoredMessage, StreamStore } from "./stream-store.js";

export interface PubAck {
  stream: string;
  seq: number;
  duplicate?: boolean;
}

/** Message ids seen within a stream's duplicate window, oldest first (a Map keeps insertion order). */
export class DuplicateWindow {
  readonly #ids = new Map<string, { seq: number; atMs: number }>();
  lastMsgId: string | undefined;

  find(id: string, windowMs: number, nowMs: number): number | undefined {
    this.prune(windowMs, nowMs);
    return this.#ids.get(id)?.seq;
  }

  record(id: string, seq: number, nowMs: number): void {
    this.#ids.delete(id);
    this.#ids.set(id, { seq, atMs: nowMs });
  }

  prune(windowMs: number, nowMs: number): void {
    for (const [id, seen] of this.#ids) {
      if (seen.atMs >= nowMs - windowMs) break;
      this.#ids.delete(id);
    }
  }
}

export function publishToStream(store: StreamStore, dedup: DuplicateWindow, subject: string, rawHeaders: Uint8Array | undefined, data: Uint8Array, nowMs: number): PubAck {
  const name = store.config.name;
  if (rawHeaders === undefined || rawHeaders.length === 0) {
    const seq = store.append(subject, undefined, data, nowMs).seq;
    // The last message id is the newest message's, none when it had none.
    dedup.lastMsgId = undefined;
    return { stream: name, seq };
  }
  const headers = decodeHeaders(rawHeaders);
  const expectedStream = headerValue(headers, "Nats-Expected-Stream");
  if (expectedStream !== undefined && expectedStream !== name) throw jsErrors.streamNotMatch();
  const msgId = headerValue(headers, "Nats-Msg-Id");
  const windowMs = store.config.duplicate_window / 1_000_000;
  if (msgId !== undefined && msgId !== "") {
    const seq = dedup.find(msgId, windowMs, nowMs);
    if (seq !== undefined) return { stream: name, seq, duplicate: true };
  }
  const expectedLastMsgId = headerValue(headers, "Nats-Expected-Last-Msg-Id");
  if (expectedLastMsgId !== undefined && expectedLastMsgId !== (dedup.lastMsgId ?? "")) throw jsErrors.wrongLastMsgId(dedup.lastMsgId ?? "");
  const expectedLastSeq = headerValue(headers, "Nats-Expected-Last-Sequence");
  if (expectedLastSeq !== undefined && Number(expectedLastSeq) !== store.lastSeq) throw jsErrors.wrongLastSequence(store.lastSeq);
  const expectedSubjectSeq = headerValue(headers, "Nats-Expected-Last-Subject-Sequence");
  if (expectedSubjectSeq !== undefined) {
    const last = store.lastSeqOfSubject(subject);
    if (Number(expectedSubjectSeq) !== last) throw jsErrors.wrongLastSequence(last);
  }
  const rollup = headerValue(headers, "Nats-Rollup")?.toLowerCase();
  if (rollup !== undefined && rollup !== "") {
    if (!store.config.allow_rollup_hdrs) throw jsErrors.rollupNotPermitted();
    if (rollup !== "sub" && rollup !== "all") throw jsErrors.badRequest(`rollup value invalid: ${rollup}`);
  }
  const stored = store.append(subject, rawHeaders, data, nowMs);
  if (rollup === "sub" || rollup === "all") rollUp(store, stored, rollup);
  if (msgId !== undefined && msgId !== "") dedup.record(msgId, stored.seq, nowMs);
  dedup.lastMsgId = msgId === "" ? undefined : msgId;
  return { stream: name, seq: stored.seq };
}

/** Everything older on the same subject ("sub") or in the whole stream ("all") goes; the roll-up message stays. */
function rollUp(store: StreamStore, kept: StoredMessage, scope: "sub" | "all"): void {
  if (scope === "all") {
    store.purge(undefined, kept.seq, undefined);
    return;
  }
  store.purge(kept.subject, kept.seq, undefined);
}
