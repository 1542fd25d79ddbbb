import { hostname } from "node:os";
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { blockBytes, encodeRecords, MAX_BLOCK_BYTES, recordsOfMessage } from "../../audit/block.js";
import { chainedRecordSchema, chainRecord, toChainId, type ChainedRecord, type ChainTail } from "../../audit/record.js";
import type { AuditEntry, AuditSink } from "../ports.js";

const encoder = new TextEncoder();

/**
 * Conflicts in a row before an append gives up (its caller retries). Each conflict means another writer of the chain
 * got its record in, so the chain moves on; a short random pause after repeated ones keeps one writer from losing
 * every race to busier ones.
 */
const MAX_CONFLICTS = 100;

/** Unanswered blocks remembered at most (see `unconfirmed`). */
const MAX_UNCONFIRMED = 64;
const conflictPause = (conflicts: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(50, conflicts * 5)));

export interface AuditSinkOptions {
  /** This writer's chain (`<subjectPrefix>.<chainId>`): one per engine replica, stable across its restarts. */
  chainId?: string;
  /** The audit stream; found from the subject when not given. */
  stream?: string;
}

/** Where a chain stands in the stream: its tail record, and that record's stream sequence (0: the subject is empty). */
interface Position extends ChainTail {
  streamSeq: number;
}

/** The chain id of a command-line process: one chain per host, shared safely by every CLI run on it. */
export function cliChainId(): string {
  return toChainId(`cli-${hostname()}`);
}

/** A record waiting to be appended, and its caller's promise. */
interface Waiter {
  entry: AuditEntry;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** A block published without an answer (a timeout, a lost connection): it may or may not be stored. */
interface Unconfirmed {
  lastHash: string;
  entries: readonly AuditEntry[];
}

/**
 * Appends audit records to one hash chain on `<subjectPrefix>.<chainId>`. Appends are serialised and made with
 * `expect.lastSubjectSequence`, so the chain cannot fork: if anything else was appended to the subject meanwhile (a
 * second writer using the same chain id, a publish whose ack was lost), JetStream refuses, the sink re-reads the
 * subject's last record and appends after it. The tail is recovered from the stream on the first append, so a
 * restarted engine continues its chain.
 *
 * Records that arrive while an append is in flight wait and then go out together as one block (see audit/block.ts):
 * an alert storm costs one round trip per block, not one per record. Each caller's promise settles when the message
 * holding its record is stored, or rejects when that append fails (the caller retries the same entry).
 */
export class JetStreamAuditSink implements AuditSink {
  readonly chainId: string;
  private readonly subject: string;
  private position: Position | undefined;
  private waiting: Waiter[] = [];
  private writing = false;
  /**
   * Blocks published since the last answered append, without an answer. All expected the same tail, so at most one
   * of them can be stored, and then it is the subject's last message.
   */
  private unconfirmed: Unconfirmed[] = [];
  /** Entries found stored after their append went unanswered: a caller's retry of one settles without a new record. */
  private readonly storedUnanswered = new WeakSet<AuditEntry>();
  private jsm: JetStreamManager | undefined;
  private stream: string | undefined;

  constructor(
    private readonly js: JetStreamClient,
    subjectPrefix: string,
    options: AuditSinkOptions = {},
  ) {
    this.chainId = toChainId(options.chainId ?? cliChainId());
    this.subject = `${subjectPrefix}.${this.chainId}`;
    this.stream = options.stream;
  }

  record(entry: AuditEntry): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ entry, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  /** Append what is waiting, one block at a time, until nothing is. Only one drain runs at a time. */
  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const taken = this.waiting;
        this.waiting = [];
        const pending = taken.filter((w) => !this.settleIfStored(w));
        if (pending.length === 0) continue;
        let stored: number;
        try {
          stored = await this.appendBlock(pending.map((w) => w.entry));
        } catch (error) {
          // The callers retry (counting each retry); what arrived meanwhile is appended next.
          for (const w of pending) w.reject(error);
          continue;
        }
        for (const w of pending.slice(0, stored)) w.resolve();
        // What did not fit the block goes first in the next one, ahead of what arrived meanwhile: chain order.
        this.waiting = [...pending.slice(stored), ...this.waiting];
      }
    } finally {
      this.writing = false;
    }
  }

  private settleIfStored(w: Waiter): boolean {
    if (!this.storedUnanswered.has(w.entry)) return false;
    w.resolve();
    return true;
  }

  /**
   * Append as many of `entries` as fit one block (at least the first) after the chain's tail; returns how many went.
   * Entries found stored meanwhile (an unanswered append that did land) are not appended again.
   */
  private async appendBlock(entries: readonly AuditEntry[]): Promise<number> {
    this.position ??= await this.readTail();
    for (let conflicts = 0; ; conflicts++) {
      const position: Position = this.position;
      const block = this.chainBlock(position, entries);
      const last = block.records.at(-1);
      if (!last) return block.taken; // every one of them was found stored
      try {
        // The message id is the hash of the block's last record: a retry of a publish whose ack was lost is dropped
        // as a duplicate and answered with the stored message's sequence.
        const ack = await this.js.publish(this.subject, encoder.encode(encodeRecords(block.json)), { msgID: last.hash, expect: { lastSubjectSequence: position.streamSeq } });
        this.position = { seq: last.seq, hash: last.hash, streamSeq: ack.seq };
        // Anything unanswered before was published expecting an older tail: it can no longer be stored.
        this.unconfirmed = [];
        return block.taken;
      } catch (error) {
        if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence)) {
          // Bounded through a long outage; one forgotten and stored means a duplicate record, never a lost one.
          this.unconfirmed = [...this.unconfirmed.slice(-(MAX_UNCONFIRMED - 1)), { lastHash: last.hash, entries: entries.slice(0, block.taken) }];
          throw error;
        }
        if (conflicts >= MAX_CONFLICTS) throw error;
        if (conflicts > 0) await conflictPause(conflicts);
        const tail = await this.readTail();
        this.position = reconcile(position, tail);
        const landed = this.unconfirmed.find((u) => u.lastHash === tail.hash);
        if (landed) {
          // An unanswered block is the tail: it was stored. Its entries must not be appended a second time.
          for (const entry of landed.entries) this.storedUnanswered.add(entry);
          this.unconfirmed = [];
          const stored = entries.findIndex((e) => !this.storedUnanswered.has(e));
          if (stored === -1) return entries.length;
          if (stored > 0) return stored;
        }
      }
    }
  }

  /** The next records of the chain for `entries`, as many as fit one block (at least one), serialised. */
  private chainBlock(position: Position, entries: readonly AuditEntry[]): { records: ChainedRecord[]; json: string[]; taken: number } {
    const records: ChainedRecord[] = [];
    const json: string[] = [];
    let bytes = blockBytes([]);
    let tail: ChainTail | undefined = position.seq === 0 ? undefined : position;
    let taken = 0;
    for (const entry of entries) {
      taken++;
      if (this.storedUnanswered.has(entry)) continue;
      const record = chainRecord(this.chainId, tail, entry);
      const text = JSON.stringify(record);
      // One more record adds its bytes and a comma.
      const size = Buffer.byteLength(text) + (records.length > 0 ? 1 : 0);
      if (records.length > 0 && bytes + size > MAX_BLOCK_BYTES) {
        taken--;
        break;
      }
      records.push(record);
      json.push(text);
      bytes += size;
      tail = record;
    }
    return { records, json, taken };
  }

  /** The subject's last record (the last of a block) as a chain position; a subject without a valid record of this chain starts it. */
  private async readTail(): Promise<Position> {
    this.jsm ??= await this.js.jetstreamManager();
    this.stream ??= await this.jsm.streams.find(this.subject);
    const last = await this.jsm.streams.getMessage(this.stream, { last_by_subj: this.subject });
    if (!last) return { seq: 0, hash: "", streamSeq: 0 };
    let parsed: ReturnType<typeof chainedRecordSchema.safeParse> | undefined;
    try {
      parsed = chainedRecordSchema.safeParse(recordsOfMessage(last.json()).at(-1)?.raw);
    } catch {
      parsed = undefined;
    }
    // Not a record of this chain (written before the hash chain, or garbage): start the chain after it.
    if (!parsed?.success || parsed.data.chain !== this.chainId) return { seq: 0, hash: "", streamSeq: last.seq };
    return { seq: parsed.data.seq, hash: parsed.data.hash, streamSeq: last.seq };
  }
}

/**
 * After a refused append: a stream tail at or beyond what this writer knows is adopted (another writer, or our own
 * publish whose ack was lost). A tail behind it means records this writer appended are gone from the stream: the
 * writer keeps its own seq and hash and only appends after the subject's last message, so the hole stays visible
 * to `klaxon audit verify` instead of being papered over.
 */
function reconcile(known: Position, stream: Position): Position {
  if (stream.seq >= known.seq) return stream;
  return { seq: known.seq, hash: known.hash, streamSeq: stream.streamSeq };
}
