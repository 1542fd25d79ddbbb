import { watch, type FSWatcher } from "node:fs";
import { readFileSync } from "node:fs";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { DeliverPolicy, jetstream, jetstreamManager, type Consumer, type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg } from "@nats-io/jetstream";
import type { AlertTransition } from "../alerts/alert.js";
import type { Config } from "../config/config.schema.js";
import { systemClock, type Clock } from "../core/clock.js";
import { ValidationError } from "../core/errors.js";
import { createLogger, type Logger } from "../core/logger.js";
import { Evaluator } from "../evaluate/evaluator.js";
import { evaluatorSnapshotSchema } from "../evaluate/snapshot.js";
import { AckQueue } from "../ingest/ack-queue.js";
import { AppliedSequences } from "../ingest/applied-sequences.js";
import { decodeEvent, type DeadLetterReason } from "../ingest/decode.js";
import { compileRule, type CompiledRule } from "../rules/compiled-rule.js";
import { loadRules, type RuleSet } from "../rules/loader.js";
import { diffRuleSets } from "../rules/rule-changes.js";
import { provision } from "../store/jetstream/provision.js";
import { JetStreamAlertSink, JetStreamAuditSink, JetStreamDeadLetterSink, ObjectStoreSnapshotStore } from "../store/jetstream/sinks.js";
import type { AuditEntry, AuditSink, DeadLetterSink, SnapshotStore } from "../store/ports.js";
import type { LoadedRouting } from "../alerts/routing-set.js";
import { startHttpServer } from "../http/server.js";
import { TokenAuth } from "../http/tokens.js";
import { loadRouting } from "../rules/routing-loader.js";
import { KvAlertStateStore } from "../store/jetstream/alert-state-store.js";
import { AlertOutbox } from "./alert-outbox.js";
import { AlertStage } from "./alert-stage.js";
import { SilenceService } from "./silence-service.js";
import { EscalationService } from "./escalation-service.js";
import { EscalationStage } from "./escalation-stage.js";
import { loadDirectory } from "./directory-loader.js";
import type { OnCallDirectory } from "../escalate/directory.js";
import { KvEscalationStore } from "../store/jetstream/escalation-store.js";
import { Lane } from "./lane.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { retryUntilDone } from "./retry.js";

export interface EngineOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
  /** Who the audit trail says started this engine (a host name, a user). */
  actor?: string;
}

/**
 * The running engine: JetStream in, evaluator, alert transitions out. One lane serialises every touch of the
 * evaluator. Recovery = last snapshot + replay of the events after it, so evaluation state survives restarts
 * without a store write per event.
 */
export class Engine {
  readonly metrics: Metrics = createMetrics();
  readonly config: Config;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly actor: string;
  private readonly lane = new Lane();
  private nc!: NatsConnection;
  private js!: JetStreamClient;
  private jsm!: JetStreamManager;
  private evaluator!: Evaluator;
  private outbox!: AlertOutbox;
  private deadLetters!: DeadLetterSink;
  private audit!: AuditSink;
  private snapshots!: SnapshotStore;
  private ruleSet!: RuleSet;
  private routing!: LoadedRouting;
  private alertStage!: AlertStage;
  private silenceService!: SilenceService;
  private escalationStage: EscalationStage | undefined;
  private escalationService!: EscalationService;
  private directory!: OnCallDirectory;
  private directoryHash = "";
  private http: { port: number; close(): Promise<void> } | undefined;
  private messages: ConsumerMessages | undefined;
  private consumeLoop: Promise<void> | undefined;
  private readonly acks = new AckQueue<JsMsg>();
  private applied = new AppliedSequences();
  private timers: NodeJS.Timeout[] = [];
  private watcher: FSWatcher | undefined;
  private reloadDebounce: NodeJS.Timeout | undefined;
  private stopping = false;
  private snapshotSaving: Promise<void> | undefined;
  private readonly onSighup = (): void => void this.reloadRules("SIGHUP");

  constructor(options: EngineOptions) {
    this.config = options.config;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? createLogger({ level: options.config.logLevel });
    this.actor = options.actor ?? "engine";
  }

  get snapshotName(): string {
    return `evaluator-${this.config.consumer.durable}`;
  }

  /** Connect, provision, load rules, recover state and start consuming. Rejects on invalid rules. */
  async start(): Promise<void> {
    const { config } = this;
    const loaded = await loadRules(config.rulesDir);
    const routing = await loadRouting(config.rulesDir);
    const directory = routing.loaded ? await loadDirectory(config.rulesDir, routing.loaded.routing) : { issues: [] };
    const issues = [...loaded.issues, ...routing.issues, ...directory.issues];
    if (issues.length > 0) throw new ValidationError(issues);
    this.ruleSet = loaded.ruleSet;
    this.routing = routing.loaded as LoadedRouting;
    this.directory = (directory as { directory: OnCallDirectory }).directory;
    this.directoryHash = (directory as { hash: string }).hash;

    this.nc = await connect({
      servers: config.nats.servers,
      name: config.nats.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      ...(config.nats.tokenFile ? { token: readFileSync(config.nats.tokenFile, "utf8").trim() } : {}),
    });
    void this.watchConnection();
    this.jsm = await jetstreamManager(this.nc);
    this.js = jetstream(this.nc);
    const { created } = await provision(this.jsm, config);

    this.deadLetters = new JetStreamDeadLetterSink(this.js, config.subjects.deadLetter);
    this.audit = new JetStreamAuditSink(this.js, config.subjects.audit);
    this.snapshots = new ObjectStoreSnapshotStore(this.nc, config.state.bucket);
    this.outbox = new AlertOutbox(new JetStreamAlertSink(this.js, config.subjects.alerts), {
      logger: this.logger,
      onRetry: () => this.metrics.publishRetries.inc({ what: "alert" }),
      onPublished: (t) => this.metrics.transitions.inc({ status: t.status }),
    });

    const now = this.clock.now();
    this.evaluator = new Evaluator(this.compiled(), now);
    this.metrics.rulesLoaded.set(this.evaluator.ruleCount);
    for (const what of created) await this.recordAudit("provision.created", { what });
    // The hash identifies the rule set; listing every rule here would outgrow a message with thousands of rules.
    await this.recordAudit("engine.start", { rulesHash: this.ruleSet.hash, rules: this.ruleSet.rules.length, routingHash: this.routing.hash });

    await this.recover();
    const alertState = await KvAlertStateStore.open(this.nc, config.state.alertBucket);
    this.silenceService = new SilenceService(alertState, this.audit, this.clock);
    this.alertStage = new AlertStage({
      config,
      js: this.js,
      store: alertState,
      audit: this.audit,
      deadLetters: this.deadLetters,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      actor: this.actor,
    });
    await this.alertStage.start(this.routing);
    const escalationStore = await KvEscalationStore.open(this.nc, config.state.escalationBucket);
    this.escalationService = new EscalationService(escalationStore, this.audit, this.clock, () => this.directory);
    this.escalationStage = new EscalationStage({
      config,
      js: this.js,
      store: escalationStore,
      audit: this.audit,
      clock: this.clock,
      logger: this.logger,
      metrics: this.metrics,
      actor: this.actor,
      directory: () => this.directory,
    });
    await this.escalationStage.start();
    const consumer = await this.js.consumers.get(config.streams.events, config.consumer.durable);
    this.consumeLoop = this.consume(consumer);
    if (config.http.port !== undefined) await this.startHttp(config.http.port);
    this.timers.push(setInterval(() => void this.tick(), config.tickIntervalMs));
    this.timers.push(setInterval(() => void this.saveSnapshot(), config.state.snapshotIntervalMs));
    process.on("SIGHUP", this.onSighup);
    if (config.watchRules) this.watchRules();
    this.logger.info({ rules: this.evaluator.ruleCount, appliedFloor: this.applied.floor }, "engine started");
  }

  /** Graceful stop: finish what is in hand, save a snapshot, close. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.shutdownLocal();
    await this.http?.close();
    await this.messages?.close();
    await this.consumeLoop;
    await this.alertStage?.stop();
    await this.escalationStage?.stop();
    await this.lane.idle();
    if (this.outbox) {
      await Promise.race([this.outbox.drained(), new Promise((r) => setTimeout(r, 5_000).unref())]);
      await this.saveSnapshot(true);
      await this.recordAudit("engine.stop", { applied: this.applied.toJSON() }).catch(() => undefined);
      this.outbox.stop();
    }
    await this.nc?.drain().catch(() => undefined);
    this.logger.info("engine stopped");
  }

  /** Die without saving anything, as a crash would (tests use this to prove recovery). */
  async crash(): Promise<void> {
    this.stopping = true;
    this.shutdownLocal();
    this.alertStage?.halt();
    this.escalationStage?.halt();
    await this.http?.close();
    this.outbox?.stop();
    await this.nc?.close().catch(() => undefined);
  }

  /** `appliedSeq`: every event up to this stream sequence has been applied. */
  status(): { appliedSeq: number; rules: number; series: number; pendingAlerts: number; pendingAcks: number; rulesHash: string } {
    return {
      appliedSeq: this.applied.floor,
      pendingAcks: this.acks.size,
      rules: this.evaluator.ruleCount,
      series: this.evaluator.seriesCount(),
      pendingAlerts: this.outbox.pending,
      rulesHash: this.ruleSet.hash,
    };
  }

  /** Re-read the rules directory. Invalid rules are refused as a whole and the running set stays. */
  reloadRules(trigger: string): Promise<{ ok: boolean; changes: number }> {
    return this.lane.run(async () => {
      const loaded = await loadRules(this.config.rulesDir);
      if (loaded.issues.length > 0) {
        this.metrics.ruleReloads.inc({ outcome: "rejected" });
        this.logger.error({ issues: loaded.issues, trigger }, "rule reload rejected; the previous rules stay loaded");
        await this.recordAudit("rules.reload_rejected", { trigger, issues: loaded.issues });
        return { ok: false, changes: 0 };
      }
      const routing = await loadRouting(this.config.rulesDir);
      if (routing.issues.length > 0) {
        this.metrics.ruleReloads.inc({ outcome: "rejected" });
        this.logger.error({ issues: routing.issues, trigger }, "routing reload rejected; the previous routing stays loaded");
        await this.recordAudit("routing.reload_rejected", { trigger, issues: routing.issues });
        return { ok: false, changes: 0 };
      }
      const newRouting = routing.loaded as LoadedRouting;
      const directory = await loadDirectory(this.config.rulesDir, newRouting.routing);
      if (directory.issues.length > 0) {
        this.metrics.ruleReloads.inc({ outcome: "rejected" });
        this.logger.error({ issues: directory.issues, trigger }, "schedule/policy reload rejected; the previous ones stay loaded");
        await this.recordAudit("oncall.reload_rejected", { trigger, issues: directory.issues });
        return { ok: false, changes: 0 };
      }
      let directoryChanged = 0;
      if (directory.hash !== this.directoryHash) {
        await this.recordAudit("oncall.changed", { trigger, oldHash: this.directoryHash, newHash: directory.hash, files: directory.files });
        this.directory = directory.directory;
        this.directoryHash = directory.hash;
        directoryChanged = 1;
      }
      let routingChanged = 0;
      if (newRouting.hash !== this.routing.hash) {
        await this.recordAudit("routing.changed", { trigger, file: newRouting.file ?? null, oldVersion: this.routing.routing.version, newVersion: newRouting.routing.version, oldHash: this.routing.hash, newHash: newRouting.hash });
        this.routing = newRouting;
        await this.alertStage.setRouting(newRouting);
        routingChanged = 1;
      }
      const changes = diffRuleSets(this.ruleSet, loaded.ruleSet);
      if (changes.length === 0) return { ok: true, changes: routingChanged + directoryChanged };
      this.ruleSet = loaded.ruleSet;
      void this.outbox.enqueue(this.evaluator.setRules(this.compiled(), this.clock.now()));
      this.metrics.rulesLoaded.set(this.evaluator.ruleCount);
      this.metrics.ruleReloads.inc({ outcome: "applied" });
      for (const change of changes) {
        if (change.versionNotBumped) this.logger.warn({ rule: change.ruleId, file: change.file }, "rule content changed without a version bump");
        await this.recordAudit(`rules.${change.change}`, { trigger, ...change }, change.ruleId);
      }
      this.logger.info({ trigger, changes: changes.length, rulesHash: this.ruleSet.hash }, "rules reloaded");
      return { ok: true, changes: changes.length + routingChanged + directoryChanged };
    });
  }

  get silences(): SilenceService {
    return this.silenceService;
  }

  get incidents(): EscalationService {
    return this.escalationService;
  }

  get httpPort(): number | undefined {
    return this.http?.port;
  }

  private async startHttp(port: number): Promise<void> {
    const { config } = this;
    const auth = config.http.tokensFile ? TokenAuth.fromFile(config.http.tokensFile) : TokenAuth.none();
    if (!config.http.tokensFile) this.logger.warn("no http.tokensFile: the HTTP API will refuse every request that needs a token");
    this.http = await startHttpServer(
      {
        health: () => ({ ok: !this.stopping && !this.nc.isClosed(), details: { nats: this.nc.isClosed() ? "closed" : "connected", rules: this.evaluator.ruleCount, rulesHash: this.ruleSet.hash } }),
        metrics: async () => ({ contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() }),
        listAlerts: () => this.alertStage.alerts(),
        listSilences: () => this.silenceService.list(),
        createSilence: (body, actor) => this.silenceService.create(body, actor, "http"),
        expireSilence: (id, actor) => this.silenceService.expire(id, actor, "http"),
        listIncidents: () => this.escalationService.list(),
        acknowledgeIncident: (id, actor) => this.escalationService.acknowledge(id, actor, "http"),
        resolveIncident: (id, actor) => this.escalationService.resolve(id, actor, "http"),
      },
      auth,
      { host: config.http.host, port, logger: this.logger },
    );
  }

  // ---- recovery ---------------------------------------------------------------------------------------------

  /**
   * Load the last snapshot, then replay the events after it that the durable consumer has settled (up to its ack
   * floor): those will never be delivered again. Events above the floor come back through the consumer, with their
   * delivery count, so a message that kills engines runs into the redelivery limit instead of looping. Transitions
   * found on the way are published again under their deterministic ids; duplicates are dropped.
   */
  private async recover(): Promise<void> {
    const { config } = this;
    const now = this.clock.now();
    const stored = await this.snapshots.load(this.snapshotName).catch((error: unknown) => {
      this.logger.error({ err: String(error) }, "snapshot unreadable; rebuilding from the stream alone");
      return undefined;
    });
    let restored = false;
    if (stored) {
      const parsed = evaluatorSnapshotSchema.safeParse(stored.state);
      if (parsed.success) {
        void this.outbox.enqueue(this.evaluator.restore(parsed.data, now));
        this.applied = AppliedSequences.from(stored.applied);
        restored = true;
      } else {
        this.logger.error({ issues: parsed.error.issues.slice(0, 3) }, "snapshot does not match the current format; rebuilding from the stream alone");
      }
    }
    const info = await this.jsm.consumers.info(config.streams.events, config.consumer.durable);
    const ackFloor = info.ack_floor.stream_seq;
    let replayed = 0;
    if (ackFloor > this.applied.floor) {
      const horizon = Math.max(0, ...this.compiled().map((r) => r.horizonMs));
      const position = restored
        ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: this.applied.floor + 1 }
        : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(now - horizon).toISOString() };
      const ordered = await this.js.consumers.get(config.streams.events, { filter_subjects: `${config.subjects.events}.>`, ...position });
      // Nothing to replay (a horizon of zero, or events aged out of the stream): do not wait for messages.
      if ((await ordered.info(true)).num_pending > 0) {
        const messages = await ordered.consume({ max_messages: 1_000 });
        for await (const m of messages) {
          if (m.seq <= ackFloor && !this.applied.has(m.seq)) {
            const decoded = decodeEvent(m.data, m.subject, config.subjects.events, config.limits, now);
            if (decoded.ok) {
              void this.outbox.enqueue(this.evaluator.apply(decoded.event));
              replayed++;
            }
          }
          if (m.seq >= ackFloor || m.info.pending === 0) break;
        }
        await messages.close();
      }
    }
    this.applied.raiseFloor(ackFloor);
    void this.outbox.enqueue(this.evaluator.tick(now - config.lateEventToleranceMs));
    this.metrics.replayedEvents.inc(replayed);
    this.logger.info({ fromSnapshot: stored?.applied.floor ?? null, replayed, upTo: ackFloor }, "evaluation state recovered");
    await this.recordAudit("engine.recovered", { snapshotFloor: stored?.applied.floor ?? null, replayed, upToSeq: ackFloor });
  }

  // ---- the event path ---------------------------------------------------------------------------------------

  private async consume(consumer: Consumer): Promise<void> {
    this.messages = await consumer.consume({ max_messages: this.config.consumer.batch });
    for await (const m of this.messages) {
      if (this.stopping) break;
      // A failure leaves the message unacknowledged: JetStream redelivers it after the ack wait.
      await this.lane.run(() => this.handle(m)).catch((error: unknown) => {
        if (!this.stopping) this.logger.error({ err: error, seq: m.seq }, "event handling failed; it will be redelivered");
      });
    }
  }

  private async handle(m: JsMsg): Promise<void> {
    const seq = m.seq;
    const deliveries = m.info.deliveryCount;
    if (deliveries > 1) this.metrics.redeliveries.inc();
    if (this.applied.has(seq)) {
      // Already in the state: either still waiting for its turn to be acked, or its ack was lost.
      if (!this.acks.refresh(m)) m.ack();
      return;
    }
    const settled = this.acks.track(m);
    this.applied.add(seq);
    if (deliveries >= this.config.consumer.maxDeliver) {
      await this.deadLetter(m, "max_deliveries", `delivered ${deliveries} times without being acknowledged`);
      settled();
      return;
    }
    const decoded = decodeEvent(m.data, m.subject, this.config.subjects.events, this.config.limits, this.clock.now());
    if (!decoded.ok) {
      await this.deadLetter(m, decoded.reason, decoded.detail);
      settled();
      return;
    }
    let transitions: AlertTransition[];
    try {
      transitions = this.evaluator.apply(decoded.event);
    } catch (error) {
      // The evaluator is deterministic: an event that breaks it once breaks it every time. Park it, keep going.
      this.logger.error({ err: error, seq }, "evaluation failed");
      await this.deadLetter(m, "processing_error", (error as Error).message ?? String(error));
      settled();
      return;
    }
    this.metrics.eventsIn.inc({ type: decoded.event.type });
    if (transitions.length === 0) settled();
    else void this.outbox.enqueue(transitions).then(settled);
  }

  private async deadLetter(m: JsMsg, reason: DeadLetterReason, detail: string): Promise<void> {
    this.metrics.deadLetters.inc({ reason });
    this.logger.warn({ reason, detail, subject: m.subject, seq: m.seq }, "event sent to dead letter");
    await retryUntilDone(
      () => this.deadLetters.send({ reason, detail, originalSubject: m.subject, data: m.data, streamSequence: m.seq, deliveryCount: m.info.deliveryCount }),
      () => this.metrics.publishRetries.inc({ what: "dead_letter" }),
      () => this.stopping,
    );
  }

  // ---- time, snapshots, rule files ----------------------------------------------------------------------------

  private tick(): Promise<void> {
    return this.lane.run(() => {
      const transitions = this.evaluator.tick(this.clock.now() - this.config.lateEventToleranceMs);
      void this.outbox.enqueue(transitions);
      this.metrics.activeSeries.set(this.evaluator.seriesCount());
    });
  }

  /**
   * A snapshot is only consistent when every transition of every applied event is stored: the lane waits for the
   * outbox to drain, then copies the state; the upload runs outside the lane.
   */
  private saveSnapshot(final = false): Promise<void> {
    if (this.snapshotSaving && !final) return Promise.resolve();
    return this.lane.run(async () => {
      await this.snapshotSaving;
      await this.outbox.drained();
      const snapshot = {
        applied: this.applied.toJSON(),
        savedAtMs: this.clock.now(),
        rulesHash: this.ruleSet.hash,
        state: this.evaluator.snapshot(),
      };
      const saving = this.snapshots
        .save(this.snapshotName, snapshot)
        .catch((error: unknown) => {
          this.metrics.publishRetries.inc({ what: "snapshot" });
          this.logger.warn({ err: String(error) }, "snapshot save failed; the next one will try again");
        })
        .finally(() => {
          this.snapshotSaving = undefined;
        });
      this.snapshotSaving = saving;
      if (final) await saving;
    });
  }

  private watchRules(): void {
    try {
      this.watcher = watch(this.config.rulesDir, { recursive: true }, () => {
        clearTimeout(this.reloadDebounce);
        this.reloadDebounce = setTimeout(() => void this.reloadRules("file change"), 300);
      });
    } catch (error) {
      this.logger.warn({ err: String(error) }, "cannot watch the rules directory; reload with SIGHUP");
    }
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      this.metrics.natsStatus.inc({ type: status.type });
      if (status.type === "disconnect" || status.type === "reconnect") {
        this.logger.warn({ status: status.type }, "NATS connection status changed");
        if (status.type === "reconnect") void this.recordAudit("nats.reconnect", {}).catch(() => undefined);
      }
    }
  }

  private shutdownLocal(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    clearTimeout(this.reloadDebounce);
    this.watcher?.close();
    process.off("SIGHUP", this.onSighup);
  }

  private compiled(): CompiledRule[] {
    return this.ruleSet.rules.map(compileRule);
  }

  private async recordAudit(action: string, details: Record<string, unknown>, subject?: string): Promise<void> {
    const entry: AuditEntry = { action, actor: this.actor, timeMs: this.clock.now(), details, ...(subject ? { subject } : {}) };
    await retryUntilDone(
      () => this.audit.record(entry),
      (attempt, error) => {
        this.metrics.publishRetries.inc({ what: "audit" });
        if (attempt === 1 || attempt % 20 === 0) this.logger.warn({ err: String(error), action, attempt }, "audit record not stored yet; retrying");
      },
      () => this.stopping,
    );
  }
}
