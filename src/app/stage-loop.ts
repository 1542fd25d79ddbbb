import type { ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { Logger } from "../core/logger.js";
import { LIVE_PULL } from "../store/jetstream/pull-options.js";
import { deliveryOf, type Delivery } from "../ingest/delivery-info.js";
import { Lane } from "./lane.js";

export interface StageLoopOptions {
  stream: string;
  durable: string;
  batch: number;
  tickIntervalMs: number;
  /**
   * Handle one message; throwing (or rejecting) leaves it unacknowledged, so JetStream redelivers it after the ack
   * wait. A handler that finishes in its own turn may return nothing: the busiest stage then costs no promise per event.
   */
  handle: (m: JsMsg, delivery: Delivery) => void | Promise<void>;
  /** Run what time made due. */
  tick: () => void | Promise<void>;
  /** The audit trail: every redelivery is recorded (`jetstream.redelivery`), batched per tick to stay cheap. */
  recordAudit?: (action: string, details: Record<string, unknown>) => Promise<void>;
}

/** Redeliveries per audit record at most, so one record always fits a message. */
const REDELIVERIES_PER_RECORD = 500;

/**
 * What every stage shares: a durable consumer read in order, a ticker, and one lane so that messages, ticks and
 * outside calls (reloads, acks, queries) never touch the stage's state at the same time.
 */
export class StageLoop {
  readonly lane = new Lane();
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stoppingFlag = false;
  private options: StageLoopOptions | undefined;
  private redeliveries: Array<{ sequence: number; deliveryCount: number; subject: string }> = [];

  constructor(
    private readonly name: string,
    private readonly logger: Logger,
  ) {}

  get stopping(): boolean {
    return this.stoppingFlag;
  }

  async start(js: JetStreamClient, options: StageLoopOptions): Promise<void> {
    const consumer = await js.consumers.get(options.stream, options.durable);
    const messages = await consumer.consume({ max_messages: options.batch, ...LIVE_PULL });
    this.messages = messages;
    this.options = options;
    this.loop = (async () => {
      for await (const m of messages) {
        if (this.stoppingFlag) break;
        const delivery = deliveryOf(m);
        if (delivery.deliveryCount > 1) this.redeliveries.push({ sequence: delivery.seq, deliveryCount: delivery.deliveryCount, subject: m.subject });
        if (!this.lane.isIdle) {
          await this.lane.run(() => options.handle(m, delivery)).catch((error: unknown) => this.failedMessage(delivery, error));
          continue;
        }
        // Nothing else holds the lane: run here, and keep the lane held only if the handler goes on asynchronously.
        let running: void | Promise<void>;
        try {
          running = options.handle(m, delivery);
        } catch (error) {
          this.failedMessage(delivery, error);
          continue;
        }
        if (running) await this.lane.hold(running).catch((error: unknown) => this.failedMessage(delivery, error));
      }
    })();
    this.timer = setInterval(() => {
      void this.recordRedeliveries();
      void this.lane.run(options.tick).catch((error: unknown) => this.failed(`${this.name}: tick`, error));
    }, options.tickIntervalMs);
  }

  /** Stop taking messages and ticks; finish what is in the lane. */
  async stop(): Promise<void> {
    this.stoppingFlag = true;
    clearInterval(this.timer);
    await this.messages?.close();
    await this.loop;
    await this.lane.idle();
    await this.recordRedeliveries();
  }

  /** Stop at once, as a crash would: nothing more is started. */
  halt(): void {
    this.stoppingFlag = true;
    clearInterval(this.timer);
    // Pull no more: a replica that lost its role while alive must not keep taking (and dropping) messages.
    void this.messages?.close().catch(() => undefined);
  }

  /** Audit the redeliveries seen since the last call, outside the lane: the message path only appends to a list. */
  private async recordRedeliveries(): Promise<void> {
    const record = this.options?.recordAudit;
    if (!record || this.redeliveries.length === 0) return;
    const { stream, durable } = this.options as StageLoopOptions;
    const seen = this.redeliveries;
    this.redeliveries = [];
    for (let i = 0; i < seen.length; i += REDELIVERIES_PER_RECORD) {
      await record("jetstream.redelivery", { stream, consumer: durable, redeliveries: seen.slice(i, i + REDELIVERIES_PER_RECORD) }).catch((error: unknown) => this.failed(`${this.name}: redelivery audit`, error));
    }
  }

  private failedMessage(delivery: Delivery, error: unknown): void {
    this.failed(`${this.name}: message ${delivery.seq}`, error);
  }

  private failed(what: string, error: unknown): void {
    if (!this.stoppingFlag) this.logger.error({ err: error }, `${what} failed; it will be retried`);
  }
}
