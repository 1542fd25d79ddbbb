// The messages of one stream, in memory: by sequence, and by subject (for per-subject limits, last-by-subject reads
// and subject counts). Sequences only grow; `firstSeq` only moves forward, so dropping the oldest is O(1) amortised.
import { subjectMatches } from "../subjects.js";
import type { StreamConfig } from "./config.js";
import { jsErrors } from "./errors.js";

export interface StoredMessage {
  readonly seq: number;
  readonly subject: string;
  readonly headers: Uint8Array | undefined;
  readonly data: Uint8Array;
  readonly timeMs: number;
  /** Bytes the message counts for against max_bytes, as nats-server roughly counts them. */
  readonly size: number;
}

export interface RemovalListener {
  (message: StoredMessage): void;
}

export class StreamStore {
  readonly #messages = new Map<number, StoredMessage>();
  readonly #bySubject = new Map<string, number[]>();
  #firstSeq = 1;
  #lastSeq = 0;
  #lastTimeMs = 0;
  #bytes = 0;

  constructor(
    public config: StreamConfig,
    readonly createdMs: number,
    readonly onRemove: RemovalListener,
  ) {}

  get firstSeq(): number {
    while (this.#firstSeq <= this.#lastSeq && !this.#messages.has(this.#firstSeq)) this.#firstSeq++;
    return this.#firstSeq;
  }

  get lastSeq(): number {
    return this.#lastSeq;
  }

  get count(): number {
    return this.#messages.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  get(seq: number): StoredMessage | undefined {
    return this.#messages.get(seq);
  }

  /** Sequence of the newest message on exactly this subject, 0 when there is none. */
  lastSeqOfSubject(subject: string): number {
    const seqs = this.#bySubject.get(subject);
    return seqs === undefined ? 0 : (seqs[seqs.length - 1] ?? 0);
  }

  /** The newest message whose subject matches `filter` (may hold wildcards). */
  lastMatching(filter: string): StoredMessage | undefined {
    if (!filter.includes("*") && !filter.includes(">")) return this.get(this.lastSeqOfSubject(filter));
    let best = 0;
    for (const [subject, seqs] of this.#bySubject) if (subjectMatches(filter, subject)) best = Math.max(best, seqs[seqs.length - 1] ?? 0);
    return this.get(best);
  }

  /** The first message at or after `seq` whose subject matches `filter` (every subject when undefined). */
  nextMatching(seq: number, filter: string | undefined): StoredMessage | undefined {
    for (let s = Math.max(seq, this.firstSeq); s <= this.#lastSeq; s++) {
      const message = this.#messages.get(s);
      if (message !== undefined && (filter === undefined || subjectMatches(filter, message.subject))) return message;
    }
    return undefined;
  }

  /** Last sequence of every subject matching one of `filters` (all when empty), ascending. */
  lastPerSubject(matches: (subject: string) => boolean): number[] {
    const out: number[] = [];
    for (const [subject, seqs] of this.#bySubject) if (matches(subject)) out.push(seqs[seqs.length - 1] ?? 0);
    return out.sort((a, b) => a - b);
  }

  /** How many messages each subject matching `filter` holds. */
  subjectCounts(filter: string): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [subject, seqs] of this.#bySubject) if (subjectMatches(filter, subject)) out[subject] = seqs.length;
    return out;
  }

  get subjectTotal(): number {
    return this.#bySubject.size;
  }

  /** Stores a message, refusing it when a discard-new limit is full, then drops what the discard-old limits exceed. */
  append(subject: string, headers: Uint8Array | undefined, data: Uint8Array, nowMs: number): StoredMessage {
    const size = subject.length + (headers?.length ?? 0) + data.length + 16;
    const { max_msg_size, max_msgs, max_bytes, discard } = this.config;
    if (max_msg_size >= 0 && (headers?.length ?? 0) + data.length > max_msg_size) throw jsErrors.messageTooBig();
    if (discard === "new") {
      if (max_msgs > 0 && this.count >= max_msgs) throw jsErrors.maxMessages();
      if (max_bytes > 0 && this.#bytes + size > max_bytes) throw jsErrors.maxBytes();
    }
    const message: StoredMessage = { seq: ++this.#lastSeq, subject, headers, data, timeMs: Math.max(nowMs, this.#lastTimeMs), size };
    this.#lastTimeMs = message.timeMs;
    this.#messages.set(message.seq, message);
    this.#bytes += size;
    const seqs = this.#bySubject.get(subject);
    if (seqs === undefined) this.#bySubject.set(subject, [message.seq]);
    else seqs.push(message.seq);
    this.enforceLimits(nowMs, subject);
    return message;
  }

  /** Drops the oldest messages beyond max_msgs, max_bytes, max_age and (for `subject`) max_msgs_per_subject. */
  enforceLimits(nowMs: number, subject?: string): void {
    const { max_msgs, max_bytes, max_age, max_msgs_per_subject } = this.config;
    if (subject !== undefined && max_msgs_per_subject > 0) {
      const seqs = this.#bySubject.get(subject) ?? [];
      while (seqs.length > max_msgs_per_subject) this.remove(seqs[0] ?? 0);
    } else if (subject === undefined && max_msgs_per_subject > 0) {
      for (const seqs of [...this.#bySubject.values()]) while (seqs.length > max_msgs_per_subject) this.remove(seqs[0] ?? 0);
    }
    if (max_msgs > 0) while (this.count > max_msgs) this.remove(this.firstSeq);
    if (max_bytes > 0) while (this.#bytes > max_bytes && this.count > 0) this.remove(this.firstSeq);
    if (max_age > 0) this.expireAged(nowMs);
  }

  /** Drops messages older than max_age: only the oldest need looking at. */
  expireAged(nowMs: number): void {
    if (this.config.max_age <= 0) return;
    const oldestKept = nowMs - this.config.max_age / 1_000_000;
    for (let first = this.get(this.firstSeq); first !== undefined && first.timeMs < oldestKept; first = this.get(this.firstSeq)) this.remove(first.seq);
  }

  remove(seq: number): boolean {
    const message = this.#messages.get(seq);
    if (message === undefined) return false;
    this.#messages.delete(seq);
    this.#bytes -= message.size;
    const seqs = this.#bySubject.get(message.subject);
    if (seqs !== undefined) {
      const index = seqs[0] === seq ? 0 : seqs.indexOf(seq);
      if (index >= 0) seqs.splice(index, 1);
      if (seqs.length === 0) this.#bySubject.delete(message.subject);
    }
    this.onRemove(message);
    return true;
  }

  /** Removes messages on subjects matching `filter` (all when undefined), below `upToSeq`, keeping the newest `keep`. */
  purge(filter: string | undefined, upToSeq: number | undefined, keep: number | undefined): number {
    let purged = 0;
    const lists = filter === undefined ? [...this.#bySubject.values()] : [...this.#bySubject].filter(([subject]) => subjectMatches(filter, subject)).map(([, seqs]) => seqs);
    if (keep !== undefined && keep > 0) {
      // Keep the newest `keep` of the purged set as a whole, not per subject.
      const all = lists.flat().sort((a, b) => a - b);
      for (const seq of all.slice(0, Math.max(0, all.length - keep))) if (this.remove(seq)) purged++;
    } else {
      for (const seq of lists.flat()) if ((upToSeq === undefined || seq < upToSeq) && this.remove(seq)) purged++;
    }
    if (filter === undefined && upToSeq === undefined && (keep ?? 0) === 0) this.#firstSeq = this.#lastSeq + 1;
    return purged;
  }

  state(): Record<string, unknown> {
    const first = this.get(this.firstSeq);
    const last = this.get(this.#lastSeq);
    return {
      messages: this.count,
      bytes: this.#bytes,
      first_seq: this.count === 0 ? this.#lastSeq + 1 : this.firstSeq,
      first_ts: new Date(first?.timeMs ?? 0).toISOString(),
      last_seq: this.#lastSeq,
      last_ts: new Date(last?.timeMs ?? this.#lastTimeMs).toISOString(),
      num_subjects: this.#bySubject.size,
      num_deleted: this.count === 0 ? 0 : this.#lastSeq - this.firstSeq + 1 - this.count,
    };
  }
}
