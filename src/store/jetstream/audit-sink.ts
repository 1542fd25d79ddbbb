import { hostname } from "node:os";
import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { chainedRecordSchema, chainRecord, toChainId, type ChainTail } from "../../audit/record.js";
import type { AuditEntry, AuditSink } from "../ports.js";

const encoder = new TextEncoder();

/**
 * Conflicts in a row before an append gives up (its caller retries). Each conflict means another writer of the chain
 * got its record in, so the chain moves on; a short random pause after repeated ones keeps one writer from losing
 * every race to busier ones.
 */
const MAX_CONFLICTS = 100;
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

/**
 * Appends audit records to one hash chain on `<subjectPrefix>.<chainId>`. Appends are serialised and made with
 * `expect.lastSubjectSequence`, so the chain cannot fork: if anything else was appended to the subject meanwhile (a
 * second writer using the same chain id, a publish whose ack was lost), JetStream refuses, the sink re-reads the
 * subject's last record and appends after it. The tail is recovered from the stream on the first append, so a
 * restarted engine continues its chain.
 */
export class JetStreamAuditSink implements AuditSink {
  readonly chainId: string;
  private readonly subject: string;
  private position: Position | undefined;
  private queue: Promise<unknown> = Promise.resolve();
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
    const appended = this.queue.then(() => this.append(entry));
    this.queue = appended.catch(() => undefined);
    return appended;
  }

  private async append(entry: AuditEntry): Promise<void> {
    this.position ??= await this.readTail();
    for (let conflicts = 0; ; conflicts++) {
      const position: Position = this.position;
      const record = chainRecord(this.chainId, position.seq === 0 ? undefined : position, entry);
      try {
        // The message id is the record's hash: a retry of a publish whose ack was lost is dropped as a duplicate and
        // answered with the stored record's sequence.
        const ack = await this.js.publish(this.subject, encoder.encode(JSON.stringify(record)), { msgID: record.hash, expect: { lastSubjectSequence: position.streamSeq } });
        this.position = { seq: record.seq, hash: record.hash, streamSeq: ack.seq };
        return;
      } catch (error) {
        if (!(error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence) || conflicts >= MAX_CONFLICTS) throw error;
        if (conflicts > 0) await conflictPause(conflicts);
        this.position = reconcile(position, await this.readTail());
      }
    }
  }

  /** The subject's last message as a chain position; a subject without a valid record of this chain starts it. */
  private async readTail(): Promise<Position> {
    this.jsm ??= await this.js.jetstreamManager();
    this.stream ??= await this.jsm.streams.find(this.subject);
    const last = await this.jsm.streams.getMessage(this.stream, { last_by_subj: this.subject });
    if (!last) return { seq: 0, hash: "", streamSeq: 0 };
    let parsed: ReturnType<typeof chainedRecordSchema.safeParse> | undefined;
    try {
      parsed = chainedRecordSchema.safeParse(last.json());
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
