import type { JetStreamClient, JetStreamManager, JsMsg, OrderedConsumerOptions } from "@nats-io/jetstream";
import { AckPolicy, DeliverPolicy } from "@nats-io/jetstream";
import type { AlertTransition } from "../alerts/alert.js";
import type { Config } from "../config/config.schema.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import { Evaluator } from "../evaluate/evaluator.js";
import { AckQueue } from "../ingest/ack-queue.js";
import { AppliedSequences } from "../ingest/applied-sequences.js";
import type { Delivery } from "../ingest/delivery-info.js";
import { decodeEvent, type DeadLetterReason } from "../ingest/decode.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import type { AlertSink, DeadLetterSink, SnapshotStore } from "../store/ports.js";
import { AlertOutbox } from "./alert-outbox.js";
import { readWithIdleLimit } from "../core/stall.js";
import { loadSnapshotParts, partName, PartCoverage, removeOtherLayouts } from "./snapshot-parts.js";
import type { Lane } from "./lane.js";
import { StageLoop } from "./stage-loop.js";
import type { Metrics } from "./metrics.js";
import { retryUntilDone } from "./retry.js";
import { SCAN_PULL } from "../store/jetstream/pull-options.js";
import { partitionOf, type EvaluationPartition } from "../cluster/partition.js";
import type { RoleFence } from "../cluster/contact-fence.js";

/** Each part save is an object-store write (chunks, then a rollup of the old ones): at most ten a second per partition. */
const MIN_PART_INTERVAL_MS = 100;

/** A recovery replay that receives nothing for this long has stalled (a healthy one is fed every pull, 2 s at most). */
const REPLAY_IDLE_MS = 10_000;

export interface EvaluationStageDeps {
  config: Config;
  js: JetStreamClient;
  jsm: JetStreamManager;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  alerts: AlertSink;
  deadLetters: DeadLetterSink;
  snapshots: SnapshotStore;
  recordAudit: (action: string, details: Record<string, unknown>) => Promise<void>;
  /** The partition this stage evaluates: its durable consumer, its subjects, its snapshot. */
  partition: EvaluationPartition;
  /** Whether this replica may act on the role now (ClusterMembership's fence); none: always. */
  fence?: RoleFence;
}

/**
 * The first stage: events from the durable consumer, through the evaluator, to alert transitions. One lane
 * serialises every touch of the evaluator (events, ticks, rule changes, snapshots). Recovery = last snapshot +
 * replay of the settled events after it, so evaluation state survives restarts without a store write per event.
 */
export class EvaluationStage {
  private readonly loop: StageLoop;
  private readonly evaluator: Evaluator;
  private readonly outbox: AlertOutbox;
  private acks = new AckQueue<JsMsg>();
  private applied = new AppliedSequences();
  private compiled: readonly CompiledRule[];
  private snapshotTimer: NodeJS.Timeout | undefined;
  /** Working through a backlog (after downtime, or a storm): time is the events' time, not the wall clock's. */
  private behind = false;
  private newestEventMs = 0;
  private lastTickMs = 0;
  private snapshotSaving: Promise<void> | undefined;
  private awaitTimer: NodeJS.Timeout | undefined;
  /** The part the next periodic save takes. */
  private nextPart = 0;

  constructor(
    private readonly deps: EvaluationStageDeps,
    rules: readonly CompiledRule[],
    private rulesHash: string,
  ) {
    this.compiled = rules = rulesOfPartition(rules, deps.partition, deps.config.cluster.partitions);
    this.loop = new StageLoop(`evaluation stage (${deps.partition.role})`, deps.logger);
    this.evaluator = new Evaluator(rules, deps.clock.now());
    this.deps.metrics.rulesLoaded.set(this.evaluator.ruleCount);
    this.outbox = new AlertOutbox(deps.alerts, {
      logger: deps.logger,
      onRetry: () => deps.metrics.publishRetries.inc({ what: "alert" }),
      onPublished: (t) => deps.metrics.transitions.inc({ status: t.status }),
    });
  }

  get snapshotName(): string {
    return `evaluator-${this.deps.partition.durable}`;
  }

  async start(): Promise<void> {
    const { config, js } = this.deps;
    const complete = await this.recover();
    // Parts are saved one at a time: until every part exists the set cannot be used, and a crash would leave recovery
    // to the replay by time alone. Save them all now (the state is whatever was just recovered).
    if (!complete) await this.saveSnapshot(true);
    await this.loop.start(js, {
      stream: config.streams.events,
      durable: this.deps.partition.durable,
      batch: config.consumer.batch,
      tickIntervalMs: config.tickIntervalMs,
      handle: (m, delivery) => this.handle(m, delivery),
      tick: () => this.tick(),
      recordAudit: this.deps.recordAudit,
      fence: this.deps.fence,
    });
    this.snapshotTimer = setInterval(() => void this.saveSnapshot(), Math.max(MIN_PART_INTERVAL_MS, Math.floor(config.state.snapshotIntervalMs / config.state.snapshotParts)));
  }

  /** Finish what is in hand, save a snapshot. */
  async stop(): Promise<void> {
    clearInterval(this.snapshotTimer);
    clearTimeout(this.awaitTimer);
    await this.loop.stop();
    await Promise.race([this.outbox.drained(), new Promise((r) => setTimeout(r, 5_000).unref())]);
    await this.saveSnapshot(true);
    this.outbox.stop();
  }

  /** Stop without saving anything, as a crash would. */
  halt(): void {
    this.acks.discard();
    clearInterval(this.snapshotTimer);
    clearTimeout(this.awaitTimer);
    this.loop.halt();
    this.outbox.stop();
  }

  private get lane(): Lane {
    return this.loop.lane;
  }

  private get stopping(): boolean {
    return this.loop.stopping;
  }

  /** Swap the rules in the lane, between two events. */
  setRules(rules: readonly CompiledRule[], rulesHash: string): Promise<void> {
    return this.lane.run(() => {
      rules = rulesOfPartition(rules, this.deps.partition, this.deps.config.cluster.partitions);
      this.compiled = rules;
      this.rulesHash = rulesHash;
      void this.outbox.enqueue(this.evaluator.setRules(rules, this.deps.clock.now()));
      this.deps.metrics.rulesLoaded.set(this.evaluator.ruleCount);
    });
  }

  /** `appliedSeq`: every event up to this stream sequence has been applied. */
  status(): { appliedSeq: number; rules: number; series: number; pendingAlerts: number; pendingAcks: number } {
    return {
      appliedSeq: this.applied.floor,
      pendingAcks: this.acks.size,
      rules: this.evaluator.ruleCount,
      series: this.evaluator.seriesCount(),
      pendingAlerts: this.outbox.pending,
    };
  }

  /**
   * Load the last snapshot, then replay the events after it that the durable consumer has settled (up to its ack
   * floor): those will never be delivered again. Events above the floor come back through the consumer, with their
   * delivery count, so a message that kills engines runs into the redelivery limit instead of looping. Transitions
   * found on the way are published again under their deterministic ids; duplicates are dropped.
   */
  /** Returns whether the snapshot it started from was a complete set of parts of the current layout. */
  private async recover(): Promise<boolean> {
    const { config, jsm, logger, metrics } = this.deps;
    const now = this.deps.clock.now();
    const parts = await loadSnapshotParts(this.deps.snapshots, this.snapshotName, config.state.snapshotParts, logger);
    const coverage = parts ? new PartCoverage(parts) : undefined;
    if (parts) {
      for (const part of parts) void this.outbox.enqueue(this.evaluator.restore(part.state, now));
      // The restored state was ticked up to about when it was saved: time never runs back before that.
      this.lastTickMs = Math.min(...parts.map((p) => p.savedAtMs)) - config.lateEventToleranceMs;
    } else {
      logger.warn("no usable snapshot; rebuilding from the stream alone");
    }
    const info = await jsm.consumers.info(config.streams.events, this.deps.partition.durable);
    // Acks leave once per macrotask; with AckPolicy.All one ack settles the run (consumers created before that policy
    // was the default stay explicit: JetStream cannot change it in place, and each message is then acked).
    this.acks = new AckQueue<JsMsg>({
      cumulative: info.config.ack_policy === AckPolicy.All,
      schedule: (flush) => setImmediate(flush),
      onAckError: (error) => logger.debug({ err: String(error) }, "ack not sent; JetStream will redeliver and the event is recognised as applied"),
    });
    const ackFloor = info.ack_floor.stream_seq;
    const deliveredUpTo = info.delivered.stream_seq;
    // Settled events (up to the ack floor) are replayed into every part that lacks them. Above it, only events some
    // part already holds: they were applied once without harm; the rest come back through the consumer, with their
    // delivery count, so a message that kills engines runs into the redelivery limit instead of looping. Those of
    // the rest that an earlier holder had taken are awaited: no cumulative ack may settle them before they are back.
    const replayUpTo = Math.max(ackFloor, coverage?.top ?? 0, deliveredUpTo);
    const takenElsewhere = new Set<number>();
    let replayed = 0;
    if (replayUpTo > (coverage?.floor ?? 0)) {
      const horizon = Math.max(0, ...this.compiled.map((r) => r.horizonMs));
      const position = coverage
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: coverage.floor + 1 }
        : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(now - horizon).toISOString() };
      await this.readPartition(position, replayUpTo, (m) => {
        const holders = coverage?.holders(m.seq) ?? "none";
        if (holders === "none" && m.seq > ackFloor && m.seq <= deliveredUpTo) takenElsewhere.add(m.seq);
        else if (holders !== "all" && (m.seq <= ackFloor || holders !== "none")) {
          const decoded = decodeEvent(m.data, m.subject, this.deps.partition.subjectPrefix, config.limits, now);
          if (!decoded.ok) return;
          try {
            void this.outbox.enqueue(holders === "none" ? this.evaluator.apply(decoded.event) : this.evaluator.replay(decoded.event, holders));
          } catch (error) {
            // Settled already: it broke the evaluator when it first came, and went to dead letter then.
            logger.warn({ err: String(error), seq: m.seq }, "replayed event fails evaluation again; skipped");
          }
          this.newestEventMs = Math.max(this.newestEventMs, decoded.event.timeMs);
          replayed++;
        }
      });
    }
    // Without a snapshot the replay starts at a time, which may be after what the previous holder had taken.
    if (!coverage && deliveredUpTo > ackFloor) {
      await this.readPartition({ deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: ackFloor + 1 }, deliveredUpTo, (m) => {
        if (m.seq <= deliveredUpTo) takenElsewhere.add(m.seq);
      });
    }
    this.applied = coverage ? coverage.union() : new AppliedSequences();
    this.applied.raiseFloor(ackFloor);
    this.awaitTakenElsewhere([...takenElsewhere].sort((a, b) => a - b));
    this.behind = info.num_pending + info.num_ack_pending > 0;
    void this.outbox.enqueue(this.evaluator.tick(this.timeHorizon(now)));
    metrics.replayedEvents.inc(replayed);
    const snapshotFloor = coverage?.floor ?? null;
    logger.info({ fromSnapshot: snapshotFloor, parts: parts?.length ?? 0, replayed, upTo: replayUpTo }, "evaluation state recovered");
    await this.deps.recordAudit("engine.recovered", { partition: this.deps.partition.role, snapshotFloor, replayed, upToSeq: replayUpTo });
    return parts !== undefined && parts.length === config.state.snapshotParts && parts.every((p) => p.part.of === config.state.snapshotParts);
  }

  /** The partition's events from `position` up to sequence `upTo` (or the end of the stream), in order. */
  private async readPartition(position: Partial<OrderedConsumerOptions>, upTo: number, visit: (m: JsMsg) => void): Promise<void> {
    const { config, js } = this.deps;
    const ordered = await js.consumers.get(config.streams.events, { filter_subjects: `${this.deps.partition.subjectPrefix}.>`, ...position });
    // Nothing to read (a horizon of zero, or events aged out of the stream): do not wait for messages.
    if ((await ordered.info(true)).num_pending === 0) return;
    const messages = await ordered.consume({ max_messages: 1_000, ...SCAN_PULL });
    // Bounded: a replay that hung (its iterator stopped yielding after this process stood still mid-read) held the
    // role's start, and with it every later plan of this replica, for good; the others handed it partitions it never
    // took up, and their events were never evaluated (a chaos run left six alerts firing so). A stalled replay fails
    // the start instead: the role is given back and taken up again at the next plan.
    await readWithIdleLimit(messages, REPLAY_IDLE_MS, `replaying ${this.deps.partition.role}`, (m) => {
      visit(m);
      return m.seq >= upTo || m.info.pending === 0;
    });
    await messages.close();
  }

  /**
   * Hold cumulative acks below the events an earlier holder took and never applied until JetStream hands them back
   * (after their ack wait). One that never comes back (gone from the stream) stops holding them after a while.
   */
  private awaitTakenElsewhere(seqs: readonly number[]): void {
    if (seqs.length === 0) return;
    this.acks.awaitRedelivery(seqs);
    const { ackWaitMs } = this.deps.config.consumer;
    this.deps.logger.info({ events: seqs.length, first: seqs[0], ackWaitMs }, "events taken by the previous holder are awaited back before acknowledging past them");
    const giveUpAfterMs = 3 * ackWaitMs + 5_000;
    this.awaitTimer = setTimeout(() => {
      const left = this.acks.awaiting(true);
      if (left.length > 0) this.deps.logger.warn({ events: left.length, first: left[0], waitedMs: giveUpAfterMs }, "events taken by the previous holder did not come back; acknowledging past them");
    }, giveUpAfterMs);
    this.awaitTimer.unref();
  }

  // ---- the event path ---------------------------------------------------------------------------------------

  /** Synchronous unless the event goes to dead letter: the common path makes no promise per event. */
  private handle(m: JsMsg, delivery: Delivery): void | Promise<void> {
    const { seq, deliveryCount } = delivery;
    if (deliveryCount > 1) this.deps.metrics.redeliveries.inc();
    if (this.applied.has(seq)) {
      // Already in the state: either still waiting for its turn to be acked, or its ack was lost.
      if (!this.acks.refresh(m, seq)) this.acks.track(m, seq)();
      return;
    }
    const settled = this.acks.track(m, seq);
    this.applied.add(seq);
    if (deliveryCount >= this.deps.config.consumer.maxDeliver) {
      return this.deadLetter(m, delivery, "max_deliveries", `delivered ${deliveryCount} times without being acknowledged`).then(settled);
    }
    const decoded = decodeEvent(m.data, m.subject, this.deps.partition.subjectPrefix, this.deps.config.limits, this.deps.clock.now());
    if (!decoded.ok) return this.deadLetter(m, delivery, decoded.reason, decoded.detail).then(settled);
    let transitions: readonly AlertTransition[];
    try {
      const mark = this.deps.metrics.ruleEvaluations.begin();
      transitions = this.evaluator.apply(decoded.event);
      this.deps.metrics.ruleEvaluations.end(mark);
    } catch (error) {
      // The evaluator is deterministic: an event that breaks it once breaks it every time. Park it, keep going.
      this.deps.logger.error({ err: error, seq }, "evaluation failed");
      return this.deadLetter(m, delivery, "processing_error", (error as Error).message ?? String(error)).then(settled);
    }
    this.deps.metrics.eventsIn.child(decoded.event.type).inc();
    this.newestEventMs = Math.max(this.newestEventMs, decoded.event.timeMs);
    this.behind = delivery.pending > 0;
    if (transitions.length === 0) settled();
    else void this.outbox.enqueue(transitions).then(settled);
  }

  private async deadLetter(m: JsMsg, delivery: Delivery, reason: DeadLetterReason, detail: string): Promise<void> {
    this.deps.metrics.deadLetters.inc({ reason });
    this.deps.logger.warn({ reason, detail, subject: m.subject, seq: delivery.seq }, "event sent to dead letter");
    await retryUntilDone(
      () => this.deps.deadLetters.send({ reason, detail, originalSubject: m.subject, data: m.data, streamSequence: delivery.seq, deliveryCount: delivery.deliveryCount }),
      () => this.deps.metrics.publishRetries.inc({ what: "dead_letter" }),
      () => this.stopping,
    );
  }

  private tick(): void {
    const transitions = this.evaluator.tick(this.timeHorizon(this.deps.clock.now()));
    void this.outbox.enqueue(transitions);
    this.deps.metrics.activeSeries.set(this.evaluator.seriesCount());
  }

  /**
   * How far timers may run. Live, the wall clock less the late-event tolerance. While a backlog drains, no further
   * than the newest event applied: ticking at the wall clock would close windows and trip absence timers that
   * events still queued would have kept open, and those events would then arrive "late" and be ignored.
   */
  private timeHorizon(nowMs: number): number {
    const wall = nowMs - this.deps.config.lateEventToleranceMs;
    // Behind with nothing newer applied yet: stand still rather than guess.
    this.lastTickMs = Math.max(this.lastTickMs, this.behind ? Math.min(wall, this.newestEventMs) : wall);
    return this.lastTickMs;
  }

  /**
   * A snapshot is only consistent when every transition of every applied event is stored: the lane waits for the
   * outbox to drain, then copies the state; the upload runs outside the lane. Periodic saves take one part each, in
   * turn; the final one (on stop) takes every part at the same point.
   */
  private saveSnapshot(final = false): Promise<void> {
    if (this.snapshotSaving && !final) return Promise.resolve();
    return this.lane.run(async () => {
      await this.snapshotSaving;
      await this.outbox.drained();
      const of = this.deps.config.state.snapshotParts;
      const indexes = final ? Array.from({ length: of }, (_, i) => i) : [this.nextPart++ % of];
      const applied = this.applied.toJSON();
      const savedAtMs = this.deps.clock.now();
      const snapshots = indexes.map((index) => ({ applied, savedAtMs, rulesHash: this.rulesHash, part: { index, of }, state: this.evaluator.snapshot({ index, of }) }));
      const saving = Promise.all(snapshots.map((snapshot) => this.deps.snapshots.save(partName(this.snapshotName, snapshot.part), snapshot)))
        .then(() => (final ? this.removeStaleLayouts(of) : undefined))
        .catch((error: unknown) => {
          this.deps.metrics.publishRetries.inc({ what: "snapshot" });
          this.deps.logger.warn({ err: String(error) }, "snapshot save failed; the next one will try again");
        })
        .finally(() => {
          this.snapshotSaving = undefined;
        });
      this.snapshotSaving = saving;
      if (final) await saving;
    });
  }

  /** After every part is saved at once: parts saved under another `state.snapshotParts` are stale now. */
  private async removeStaleLayouts(of: number): Promise<void> {
    try {
      const removed = await removeOtherLayouts(this.deps.snapshots, this.snapshotName, of);
      if (removed > 0) this.deps.logger.info({ removed, parts: of }, "snapshot parts of an earlier number of parts removed");
    } catch (error) {
      this.deps.logger.warn({ err: String(error) }, "snapshot parts of an earlier number of parts not removed; the next full save tries again");
    }
  }
}

/**
 * A partition evaluates what the server routes to it, and of an absence rule's expected series only those whose
 * source hashes to it: the replica that would see their events is the one that must notice their silence.
 */
function rulesOfPartition(rules: readonly CompiledRule[], partition: EvaluationPartition, partitions: number): readonly CompiledRule[] {
  if (partitions === 1) return rules;
  return rules.map((compiled) => {
    const { rule } = compiled;
    if (rule.kind !== "absence" || !rule.expect) return compiled;
    const expect = rule.expect.filter((series) => series.source !== undefined && partitionOf(series.source, partitions) === partition.index);
    return { ...compiled, rule: { ...rule, expect } };
  });
}
