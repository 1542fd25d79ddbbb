import { DeliverPolicy, JetStreamApiCodes, JetStreamApiError, type JetStreamClient } from "@nats-io/jetstream";
import { AppError } from "../../core/errors.js";
import type { AuditMessage, StreamBounds } from "../../audit/verify.js";
import { SCAN_PULL } from "./pull-options.js";

export interface AuditStreamState extends StreamBounds {
  /** The stream refuses message deletes and purges (provisioned so since the hash chain). */
  appendOnly: boolean;
}

/** Reads the audit stream in order, once through: for verify, queries, timelines and reports. */
export class AuditStreamReader {
  constructor(
    private readonly js: JetStreamClient,
    private readonly stream: string,
  ) {}

  async state(): Promise<AuditStreamState> {
    const jsm = await this.js.jetstreamManager();
    const info = await jsm.streams.info(this.stream).catch((error: unknown) => this.explain(error));
    const c = info.config;
    return {
      firstSeq: info.state.first_seq,
      lastSeq: info.state.last_seq,
      limited: (c.max_age ?? 0) > 0 || (c.max_msgs ?? -1) > 0 || (c.max_bytes ?? -1) > 0 || (c.max_msgs_per_subject ?? -1) > 0,
      appendOnly: c.deny_delete === true && c.deny_purge === true,
    };
  }

  /**
   * Every message in stream order, from the start or from a stream time, up to `upToSeq` (default: whatever the
   * stream holds when the scan catches up). An ordered consumer: nothing is left behind on the server.
   */
  async *messages(options: { fromTimeMs?: number; upToSeq?: number } = {}): AsyncGenerator<AuditMessage> {
    const position =
      options.fromTimeMs === undefined ? { deliver_policy: DeliverPolicy.All } : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(Math.max(0, options.fromTimeMs)).toISOString() };
    const consumer = await this.js.consumers.get(this.stream, position).catch((error: unknown) => this.explain(error));
    if ((await consumer.info(true)).num_pending === 0) return;
    const messages = await consumer.consume({ max_messages: 1_000, ...SCAN_PULL });
    try {
      for await (const m of messages) {
        if (options.upToSeq !== undefined && m.seq > options.upToSeq) break;
        yield { streamSeq: m.seq, subject: m.subject, data: m.data };
        if (m.info.pending === 0 || (options.upToSeq !== undefined && m.seq >= options.upToSeq)) break;
      }
    } finally {
      await messages.close();
    }
  }

  private explain(error: unknown): never {
    if (error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound) {
      throw new AppError(`there is no audit stream ${this.stream} on this NATS server: no engine has run against it yet (or --nats points elsewhere)`);
    }
    throw error;
  }
}
