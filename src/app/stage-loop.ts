import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
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
    this.options = options;
    await this.consume(consumer, options);
    this.timer = setInterval(() => {
      void this.recordRedeliveries();
      void this.lane.run(options.tick).catch((error: unknown) => this.failed(`${this.name}: tick`, error));
    }, options.tickIntervalMs);
  }

  /**
   * A callback, not `for await`: the async iteration cost a promise, a microtask and ~500 bytes per message (about a
   * tenth of what the engine allocated in row 4). Neither way holds the client back from pulling: what bounds the
   * messages waiting in the lane is the consumer's max_ack_pending, as before.
   */
  private async consume(consumer: Consumer, options: StageLoopOptions): Promise<void> {
    const messages = await consumer.consume({ max_messages: options.batch, ...LIVE_PULL, callback: (m) => this.receive(m, options) });
    if (this.stoppingFlag) {
      // Stopped while consuming again: stop() closed the feed before this one, so this one is closed here.
      await messages.close();
      return;
    }
    this.messages = messages;
    void messages.closed().then((error) => this.consumerClosed(consumer, options, messages, error));
  }

  /**
   * The client gave up on the consumer (an error it does not recover from, or its connection closed) while the stage
   * runs: consume again, every second until it works or the stage stops. A stage that stayed alive without a
   * consumer would hold its role and handle nothing.
   */
  private consumerClosed(consumer: Consumer, options: StageLoopOptions, messages: ConsumerMessages, error: Error | void): void {
    if (this.stoppingFlag || messages !== this.messages) return;
    this.failed(`${this.name}: consumer`, error ?? new Error("the consumer closed"));
    const retry = (): void => {
      if (this.stoppingFlag) return;
      this.consume(consumer, options).catch((failure: unknown) => {
        this.failed(`${this.name}: consuming again`, failure);
        setTimeout(retry, 1_000).unref();
      });
    };
    setTimeout(retry, 1_000).unref();
  }

  async stop(): Promise<void> {
    this.stoppingFlag = true;
    clearInterval(this.timer);
    await this.messages?.close();
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
  /**
   * One message, in delivery order: handled at once when the lane is idle, queued behind the lane's work when not.
   * The client stops the consumer if its callback throws, so nothing may escape from here. Once stopping, messages
   * (arriving, or queued in the lane) are left unacknowledged: the server delivers them again, to this replica after
   * a restart or to another.
   */
  private receive(m: JsMsg, options: StageLoopOptions): void {
    if (this.stoppingFlag) return;
    let delivery: Delivery;
    try {
      delivery = deliveryOf(m);
      if (delivery.deliveryCount > 1) this.redeliveries.push({ sequence: delivery.seq, deliveryCount: delivery.deliveryCount, subject: m.subject });
    } catch (error) {
      this.failed(`${this.name}: message`, error);
      return;
    }
    if (!this.lane.isIdle) {
      // Queued behind other work: by its turn the stage may be stopping (or have lost its role), and then the
      // message is left for redelivery, as one never taken from the client would be.
      this.lane.run(() => (this.stoppingFlag ? undefined : options.handle(m, delivery))).catch((error: unknown) => this.failedMessage(delivery, error));
      return;
    }
    // Nothing else holds the lane: run here, and keep the lane held only if the handler goes on asynchronously.
    let running: void | Promise<void>;
    try {
      running = options.handle(m, delivery);
    } catch (error) {
      this.failedMessage(delivery, error);
      return;
    }
    if (running) this.lane.hold(running).catch((error: unknown) => this.failedMessage(delivery, error));
  }

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
