import type { Consumer, ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { Logger } from "../core/logger.js";
import { LIVE_PULL } from "../store/jetstream/pull-options.js";
import { deliveryOf, type Delivery } from "../ingest/delivery-info.js";
import { Lane } from "./lane.js";
import type { RoleFence } from "../cluster/contact-fence.js";

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
  /** How long a consumer with messages may deliver none before its iterator is replaced (STALL_AFTER_MS; tests). */
  stallAfterMs?: number;
  /**
   * The stage's role may be acted on only while this is open (ClusterMembership's fence): closed, the stage stops
   * reading and pulling (what it took comes again after the ack wait) and skips its ticks, and pulls anew once open.
   */
  fence?: RoleFence | undefined;
}

/** Redeliveries per audit record at most, so one record always fits a message. */
const REDELIVERIES_PER_RECORD = 500;

/**
 * A consumer that has messages for the stage and has delivered none for this long, while the stage sat waiting for
 * one, is stalled: its iterator is replaced. Pull consumers are known to stop being pulled after a server restart
 * now and then (the pull lost, the client's reset not run); a partition stalled so lost every page of its sources
 * in one chaos run. Three pull expiries: a live pull is answered (a message, or its expiry) well within that.
 */
export const STALL_AFTER_MS = 3 * LIVE_PULL.expires;

/** After the iterator ended on its own: wait this long (times the attempt, up to the cap) before pulling again. */
const RESTART_PAUSE_MS = 500;
/** Why `read` returned: the fence closed (not an end to log and count). */
const FENCED = Symbol("fenced");
const MAX_RESTART_PAUSE_MS = 10_000;

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
  /** Settles when the loop is told to stop: ends a wait for the fence. */
  private readonly stopped: Promise<void>;
  private markStopped!: () => void;
  private options: StageLoopOptions | undefined;
  private redeliveries: Array<{ sequence: number; deliveryCount: number; subject: string }> = [];
  /** How often the message iterator ended without being asked to and was replaced (0 in health). */
  private restarts = 0;
  /** Ends the pause before a new pull early: set while one is waiting. */
  private wake: (() => void) | undefined;
  /**
   * Messages taken so far, and since when that count has not moved (the iterator (re)made counts as a move): compared
   * at each tick, so the message path only adds one to a number. Whether a handler is running now.
   */
  private delivered = 0;
  private deliveredAtLastLook = 0;
  private quietSinceMs = Date.now();
  private handling = false;
  private checkingStall = false;
  /** A quiet consumer is asked about at most every third of the stall time: an idle stage is quiet all day. */
  private nextStallCheckAtMs = 0;
  private consumer: Consumer | undefined;

  constructor(
    private readonly name: string,
    private readonly logger: Logger,
  ) {
    this.stopped = new Promise((resolve) => (this.markStopped = resolve));
  }

  get stopping(): boolean {
    return this.stoppingFlag;
  }

  async start(js: JetStreamClient, options: StageLoopOptions): Promise<void> {
    const consumer = await js.consumers.get(options.stream, options.durable);
    this.consumer = consumer;
    this.messages = await consumer.consume({ max_messages: options.batch, ...LIVE_PULL });
    this.quietSinceMs = Date.now();
    this.options = options;
    this.loop = this.keepConsuming(consumer, this.messages, options);
    this.timer = setInterval(() => {
      // Closed: this replica may have been presumed dead (see ContactFence); nothing of the role runs until it knows.
      if (options.fence !== undefined && !options.fence.isOpen()) return;
      void this.recordRedeliveries();
      void this.checkStall();
      void this.lane.run(options.tick).catch((error: unknown) => this.failed(`${this.name}: tick`, error));
    }, options.tickIntervalMs);
  }

  /**
   * Read until stopped. The client's iterator can end on its own (a 400 from the server, a subscription error, a
   * closed connection): the stage would go deaf with nothing to show for it, its messages unacknowledged and never
   * pulled again. So an end that is not ours is logged, counted, and followed by a new pull after a pause.
   */
  private async keepConsuming(consumer: Consumer, first: ConsumerMessages, options: StageLoopOptions): Promise<void> {
    let messages = first;
    for (;;) {
      let cause = await this.read(messages, options).then(
        (fenced) => (fenced ? FENCED : "the message iterator ended"),
        (error: unknown) => error,
      );
      if (this.stoppingFlag) return;
      if (cause === FENCED) {
        // Pull nothing while closed: what the server delivered to this replica's pulls meanwhile would sit here
        // unhandled until its ack wait ran out, each time one more delivery toward the consumer's max_deliver (heavy
        // pause chaos runs sent healthy events to dead letter so). What was taken and not handled comes again.
        await Promise.race([(options.fence as RoleFence).whenOpen(), this.stopped]);
        if (this.stoppingFlag) return;
        try {
          messages = this.messages = await consumer.consume({ max_messages: options.batch, ...LIVE_PULL });
          this.quietSinceMs = Date.now();
          continue;
        } catch (error) {
          cause = error;
        }
      }
      const next = await this.consumeAgain(consumer, options, cause);
      if (!next) return;
      messages = next;
    }
  }

  /** A new iterator on the same consumer, after a pause that grows while pulling keeps failing; undefined if stopped. */
  private async consumeAgain(consumer: Consumer, options: StageLoopOptions, cause: unknown): Promise<ConsumerMessages | undefined> {
    for (let attempt = 1; ; attempt++) {
      this.restarts++;
      this.logger.error({ err: cause, stream: options.stream, consumer: options.durable, restarts: this.restarts }, `${this.name}: stopped receiving messages; consuming again`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(RESTART_PAUSE_MS * attempt, MAX_RESTART_PAUSE_MS));
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
      if (this.stoppingFlag) return undefined;
      try {
        const messages = await consumer.consume({ max_messages: options.batch, ...LIVE_PULL });
        this.quietSinceMs = Date.now();
        if (!this.stoppingFlag) return (this.messages = messages);
        await messages.close();
        return undefined;
      } catch (error) {
        cause = error;
      }
    }
  }

  /** Handles messages until the iterator ends or the stage stops; true when it stopped reading because the fence closed. */
  private async read(messages: ConsumerMessages, options: StageLoopOptions): Promise<boolean> {
    const fence = options.fence;
    for await (const m of messages) {
      if (this.stoppingFlag) break;
      // Closed: this replica may have been presumed dead (see ContactFence). Stop reading, and pulling, at once.
      if (fence !== undefined && !fence.isOpen()) return true;
      this.delivered++;
      const delivery = deliveryOf(m);
      if (delivery.deliveryCount > 1) this.redeliveries.push({ sequence: delivery.seq, deliveryCount: delivery.deliveryCount, subject: m.subject });
      if (!this.lane.isIdle) {
        this.handling = true;
        await this.lane.run(() => options.handle(m, delivery)).catch((error: unknown) => this.failedMessage(delivery, error));
        this.handling = false;
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
      if (running) {
        this.handling = true;
        await this.lane.hold(running).catch((error: unknown) => this.failedMessage(delivery, error));
        this.handling = false;
      }
    }
    return false;
  }

  /**
   * Replace the iterator of a stalled consumer (see STALL_AFTER_MS): one with messages for the stage, room for them
   * (fewer than max_ack_pending in flight), and none delivered for that long while the stage waited. Its end is taken
   * as any other end of the iterator: logged, counted, audited, and followed by a new pull.
   */
  private async checkStall(): Promise<void> {
    if (this.delivered !== this.deliveredAtLastLook) {
      this.deliveredAtLastLook = this.delivered;
      this.quietSinceMs = Date.now();
      return;
    }
    const quietMs = Date.now() - this.quietSinceMs;
    const stallAfterMs = this.options?.stallAfterMs ?? STALL_AFTER_MS;
    if (this.checkingStall || this.stoppingFlag || this.handling || quietMs < stallAfterMs || !this.consumer || Date.now() < this.nextStallCheckAtMs) return;
    this.checkingStall = true;
    this.nextStallCheckAtMs = Date.now() + stallAfterMs / 3;
    try {
      const info = await this.consumer.info();
      const maxAckPending = (info.config.max_ack_pending ?? 0) > 0 ? (info.config.max_ack_pending as number) : Number.POSITIVE_INFINITY;
      const stalled = info.num_pending > 0 && info.num_ack_pending < maxAckPending && this.delivered === this.deliveredAtLastLook && !this.handling;
      if (!stalled || this.stoppingFlag) return;
      const { stream, durable } = this.options as StageLoopOptions;
      const details = { stream, consumer: durable, pending: info.num_pending, ackPending: info.num_ack_pending, waitingPulls: info.num_waiting, quietMs };
      this.logger.error(details, `${this.name}: the consumer has messages but delivered none for ${Math.round(quietMs / 1000)} s; pulling anew`);
      await this.options?.recordAudit?.("jetstream.consumer_stalled", details).catch((error: unknown) => this.failed(`${this.name}: stall audit`, error));
      this.quietSinceMs = Date.now();
      void this.messages?.close().catch(() => undefined);
    } catch (error) {
      // NATS not answering: not a stall of ours; asked again at a later tick.
      this.logger.debug({ err: String(error) }, `${this.name}: consumer info for the stall check failed`);
    } finally {
      this.checkingStall = false;
    }
  }

  /** Stop taking messages and ticks; finish what is in the lane. */
  async stop(): Promise<void> {
    this.stoppingFlag = true;
    this.markStopped();
    clearInterval(this.timer);
    this.wake?.();
    await this.messages?.close();
    await this.loop;
    await this.lane.idle();
    await this.recordRedeliveries();
  }

  /** Stop at once, as a crash would: nothing more is started. */
  halt(): void {
    this.stoppingFlag = true;
    this.markStopped();
    clearInterval(this.timer);
    this.wake?.();
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
