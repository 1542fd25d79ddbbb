import type { JetStreamClient, JetStreamManager, JsMsg } from "@nats-io/jetstream";
import type { AlertTransition } from "../alerts/alert.js";
import type { Config } from "../config/config.schema.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import { decodeEvent, type DeadLetterReason } from "../ingest/decode.js";
import type { ChangeEvent, KlaxonEvent, StateEvent } from "../ingest/event.schema.js";
import type { Inventory } from "../inventory/inventory.js";
import { InventoryMonitor } from "../inventory/monitor.js";
import { storedPrefixOf } from "../inventory/subjects.js";
import type { KvInventoryStore } from "../store/jetstream/inventory-store.js";
import type { AlertSink, AuditSink, DeadLetterSink } from "../store/ports.js";
import { AlertOutbox } from "./alert-outbox.js";
import { AuditWriter } from "./audit-writer.js";
import type { Metrics } from "./metrics.js";
import { retryUntilDone, sleep } from "./retry.js";
import { StageLoop } from "./stage-loop.js";
import type { RoleFence } from "../cluster/contact-fence.js";

export interface InventoryStageDeps {
  config: Config;
  js: JetStreamClient;
  jsm: JetStreamManager;
  store: KvInventoryStore;
  alerts: AlertSink;
  deadLetters: DeadLetterSink;
  audit: AuditSink;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  actor: string;
  /** Whether this replica may act on the role now (ClusterMembership's fence); none: always. */
  fence?: RoleFence;
}

/** How long start-up waits for a consumer's backlog to be worked off before it starts judging silence anyway. */
const CATCH_UP_LIMIT_MS = 30_000;

/**
 * The fleet inventory: state reports and change records from the events stream, through the `InventoryMonitor`, to
 * alert transitions on the normal alerts subject (so routing, grouping and escalation treat them like any alert).
 * Two durable consumers, because a consumer on nats-server 2.9 has one filter subject: one on `<events>.state.>`,
 * one on `<events>.change.>`. Both run in one lane; each message is acknowledged once its alerts are published and
 * the state it changed is in the KV bucket, which is also what a restart loads.
 *
 * Messages that are not valid events are acknowledged and skipped here: the evaluation stage reads the same stream
 * and parks them in dead letter (once: two stages parking one message would audit it twice).
 */
export class InventoryStage {
  private readonly stateLoop: StageLoop;
  private readonly changeLoop: StageLoop;
  private readonly outbox: AlertOutbox;
  private monitor!: InventoryMonitor;
  /** Silence is judged only once the backlog left from before the start has been applied. */
  private judging = false;

  constructor(
    private readonly deps: InventoryStageDeps,
    private inventory: Inventory,
  ) {
    this.stateLoop = new StageLoop("inventory stage (state)", deps.logger);
    this.changeLoop = new StageLoop("inventory stage (changes)", deps.logger);
    this.outbox = new AlertOutbox(deps.alerts, {
      logger: deps.logger,
      onRetry: () => deps.metrics.publishRetries.inc({ what: "alert" }),
      onPublished: (t) => deps.metrics.transitions.inc({ status: t.status }),
    });
  }

  async start(): Promise<void> {
    const { config, js, store, logger, clock } = this.deps;
    const { saved, unreadable } = await store.load();
    if (unreadable.length > 0) logger.error({ keys: unreadable.slice(0, 10), count: unreadable.length }, "inventory records not readable by this version; they start over");
    const now = clock.now();
    this.monitor = new InventoryMonitor(this.inventory, { changeGraceMs: config.inventory.changeGraceMs }, now);
    await this.settle(this.monitor.restore(saved, now));
    const loop = { stream: config.streams.events, batch: 256, tickIntervalMs: config.tickIntervalMs, fence: this.deps.fence };
    // Change records first: a report in the backlog must find the records made before it.
    await this.changeLoop.start(js, { ...loop, durable: config.consumer.inventoryChangeDurable, handle: (m) => this.inLane(() => this.handleChange(m)), tick: () => undefined });
    await this.caughtUp(config.consumer.inventoryChangeDurable);
    await this.stateLoop.start(js, { ...loop, durable: config.consumer.inventoryStateDurable, handle: (m) => this.handleState(m), tick: () => this.tick() });
    await this.caughtUp(config.consumer.inventoryStateDurable);
    this.judging = true;
    logger.info({ members: this.monitor.memberCount, restored: saved.members.length }, "inventory stage started");
  }

  async stop(): Promise<void> {
    await this.changeLoop.stop();
    await this.stateLoop.stop();
    await Promise.race([this.outbox.drained(), sleep(5_000)]);
    this.outbox.stop();
  }

  /** Stop at once, as a crash would. */
  halt(): void {
    this.changeLoop.halt();
    this.stateLoop.halt();
    this.outbox.stop();
  }

  /** Judge the fleet against a new inventory (a reload), between two messages. */
  setInventory(inventory: Inventory): Promise<void> {
    return this.inLane(async () => {
      this.inventory = inventory;
      await this.settle(this.monitor.setInventory(inventory, this.deps.clock.now()));
    });
  }

  private inLane<T>(task: () => T | Promise<T>): Promise<T> {
    return this.stateLoop.lane.run(task);
  }

  /** A report: apply it, publish what it caused, store the state, then acknowledge. */
  private async handleState(m: JsMsg): Promise<void> {
    const event = (await this.decode(m, "state")) as StateEvent | undefined;
    const transitions = event && (await this.applyOrPark(m, () => this.monitor.applyState(event)));
    if (!transitions) return;
    await this.settle(transitions);
    m.ack();
  }

  /** A change record: the same, and a new one goes to the audit trail first. */
  private async handleChange(m: JsMsg): Promise<void> {
    const event = (await this.decode(m, "change")) as ChangeEvent | undefined;
    const result = event && (await this.applyOrPark(m, () => this.monitor.applyChange(event)));
    if (!event || !result) return;
    if (result.recorded) await this.auditChange(event);
    await this.settle(result.transitions);
    m.ack();
  }

  /** The monitor is deterministic: what breaks it once breaks it every time. Such a message is parked, not retried. */
  private async applyOrPark<T>(m: JsMsg, apply: () => T): Promise<T | undefined> {
    try {
      return apply();
    } catch (error) {
      this.deps.logger.error({ err: error, seq: m.seq }, "inventory stage failed on a message");
      await this.deadLetter(m, "processing_error", (error as Error).message ?? String(error));
      return undefined;
    }
  }

  private async decode(m: JsMsg, type: KlaxonEvent["type"]): Promise<KlaxonEvent | undefined> {
    const { config, clock, logger } = this.deps;
    if (m.info.deliveryCount >= config.consumer.maxDeliver) {
      await this.deadLetter(m, "max_deliveries", `delivered ${m.info.deliveryCount} times to the inventory stage without being acknowledged`);
      return undefined;
    }
    const decoded = decodeEvent(m.data, m.subject, storedPrefixOf(m.subject, config.subjects.events, config.cluster.partitions), config.limits, clock.now());
    if (!decoded.ok || decoded.event.type !== type) {
      logger.debug({ subject: m.subject, seq: m.seq }, "not a valid event; the evaluation stage parks it in dead letter");
      m.ack();
      return undefined;
    }
    return decoded.event;
  }

  private async tick(): Promise<void> {
    if (!this.judging) return;
    await this.settle(this.monitor.tick(this.deps.clock.now() - this.deps.config.lateEventToleranceMs));
  }

  /** Publish transitions (in order, until stored), then write the records they and their cause changed. */
  private async settle(transitions: AlertTransition[]): Promise<void> {
    await this.outbox.enqueue(transitions);
    const changes = this.monitor.takeChanges();
    if (changes.members.length + changes.deletedMembers.length + changes.unknowns.length + changes.deletedUnknowns.length + changes.changeLogs.length === 0) return;
    await retryUntilDone(
      () => this.deps.store.apply(changes),
      () => this.deps.metrics.publishRetries.inc({ what: "inventory_state" }),
      () => this.stateLoop.stopping,
    );
  }

  /** Change records are kept in the audit trail with the person who made the change as the actor. */
  private auditChange(record: ChangeEvent): Promise<void> {
    const { audit, clock, metrics, logger } = this.deps;
    const writer = new AuditWriter(audit, record.who, clock, metrics, logger, () => this.stateLoop.stopping);
    const details = { source: record.source, ...(record.service === undefined ? {} : { service: record.service }), who: record.who, what: record.what, ticket: record.ticket, time: new Date(record.timeMs).toISOString() };
    return writer.record("change.recorded", details, record.source);
  }

  private async deadLetter(m: JsMsg, reason: DeadLetterReason, detail: string): Promise<void> {
    this.deps.metrics.deadLetters.inc({ reason });
    await retryUntilDone(
      () => this.deps.deadLetters.send({ reason, detail, originalSubject: m.subject, data: m.data, streamSequence: m.seq, deliveryCount: m.info.deliveryCount }),
      () => this.deps.metrics.publishRetries.inc({ what: "dead_letter" }),
      () => this.stateLoop.stopping,
    );
    m.ack();
  }

  /** Wait until a consumer has no backlog left from before the start (bounded: a stuck message must not block it). */
  private async caughtUp(durable: string): Promise<void> {
    const { jsm, config, logger } = this.deps;
    const deadline = Date.now() + CATCH_UP_LIMIT_MS;
    for (;;) {
      const info = await jsm.consumers.info(config.streams.events, durable);
      if (info.num_pending === 0 && info.num_ack_pending === 0) return;
      if (Date.now() > deadline) {
        logger.warn({ durable, pending: info.num_pending, unacknowledged: info.num_ack_pending }, "inventory backlog not worked off in time; judging the fleet anyway");
        return;
      }
      await sleep(50);
    }
  }
}
