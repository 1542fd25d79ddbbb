import type { NatsConnection } from "@nats-io/transport-node";
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { Receiver } from "../alerts/routing.js";
import type { Config } from "../config/config.schema.js";
import type { Clock } from "../core/clock.js";
import { ValidationError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { OnCallDirectory } from "../escalate/directory.js";
import type { Channels } from "../notify/channels/index.js";
import { TemplateSet } from "../notify/templates.js";
import { SLACK_MAX_SKEW_MS } from "../notify/slack-signature.js";
import type { KvEscalationStore } from "../store/jetstream/escalation-store.js";
import type { AuditSink } from "../store/ports.js";
import { AuditWriter } from "./audit-writer.js";
import type { EscalationService } from "./escalation-service.js";
import { KeyedLanes } from "./lane.js";
import type { Metrics } from "./metrics.js";
import { buildChannels, readNotifySecrets, type NotifySecrets } from "./notify-channels.js";
import { DeliveryRunner, type DeliveryOutcome } from "./notify-delivery.js";
import { NotifyFacts } from "./notify-facts.js";
import { groupNotificationSchema, incidentUpdateSchema, jsonOf, pageMessageSchema } from "./notify-messages.js";
import { PageHandler } from "./notify-pages.js";
import { ReceiverHandler } from "./notify-receivers.js";
import { SafeRenderer } from "./notify-render.js";
import { NotifyStore } from "./notify-store.js";
import { IncidentWatcher } from "./notify-updates.js";
import type { SilenceService } from "./silence-service.js";
import { StageLoop } from "./stage-loop.js";
import { backoffMs } from "./retry.js";
import type { RoleFence } from "../cluster/contact-fence.js";

export interface NotifyStageDeps {
  config: Config;
  nc: NatsConnection;
  js: JetStreamClient;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  audit: AuditSink;
  actor: string;
  directory: () => OnCallDirectory;
  receivers: () => readonly Receiver[];
  escalationStore: KvEscalationStore;
  escalation: EscalationService;
  silences: SilenceService;
  /** Tests replace the channels (a failing fake); the engine builds them from the config. */
  channels?: Channels;
  /** Whether this replica may act on the role now (ClusterMembership's fence); none: always. */
  fence?: RoleFence;
}

/**
 * The fourth stage: pages (`klaxon.pages.<channel>`) and incident updates (`klaxon.pages.update`) from the pages
 * stream, and group notifications for receivers' own channels from the notifications stream, delivered through
 * Slack, e-mail, SMS and webhooks. Messages are handled concurrently (a Slack Retry-After must not hold up an SMS);
 * each is acknowledged once its deliveries are settled, so a crash leaves it to be redelivered, and the delivery
 * records make the redelivery send nothing twice.
 */
export class NotifyStage {
  private readonly pagesLoop: StageLoop;
  private readonly receiversLoop: StageLoop;
  private readonly inFlight = new Set<Promise<void>>();
  /** Updates of one incident run one at a time, in order: "resolved" must not be overwritten by an older "acknowledged". */
  private readonly incidentLanes = new KeyedLanes();
  private readonly auditWriter: AuditWriter;
  private readonly runner: DeliveryRunner;
  private readonly pages: PageHandler;
  private readonly receiverHandler: ReceiverHandler;
  private readonly watcher: IncidentWatcher;
  private stopping = false;

  private constructor(
    private readonly deps: NotifyStageDeps,
    store: NotifyStore,
    facts: NotifyFacts,
    secrets: NotifySecrets,
    templates: TemplateSet,
  ) {
    const { config, logger, metrics, clock } = deps;
    const notify = config.notify;
    this.pagesLoop = new StageLoop("notify stage (pages)", logger);
    this.receiversLoop = new StageLoop("notify stage (receivers)", logger);
    this.auditWriter = new AuditWriter(deps.audit, deps.actor, clock, metrics, logger, () => this.stopping);
    const audit = (action: string, details: Record<string, unknown>, subject?: string): Promise<void> => this.auditWriter.record(action, details, subject);
    this.runner = new DeliveryRunner({
      store,
      clock,
      logger,
      metrics,
      audit,
      retry: notify.retry,
      leaseMs: notify.deliveryLeaseMs,
      rateLimits: { slack: notify.rateLimits.slackPerChannelMs, sms: notify.rateLimits.smsPerRecipientMs, email: notify.rateLimits.emailPerRecipientMs, webhook: notify.rateLimits.webhookPerUrlMs },
      // Renew the lease and keep the JetStream message in progress well before either runs out.
      heartbeatMs: Math.max(50, Math.min(notify.deliveryLeaseMs / 3, config.consumer.ackWaitMs / 2)),
    });
    const channels = deps.channels ?? buildChannels(notify, secrets);
    const render = new SafeRenderer(templates, (error) => {
      logger.error({ file: error.file, detail: error.detail }, "template failed at send time; a plain message goes out instead");
      void audit("notify.template_failed", { file: error.file, error: error.detail });
    });
    const shared = { config, clock, store, facts, runner: this.runner, channels, render };
    this.pages = new PageHandler({ ...shared, directory: deps.directory });
    this.receiverHandler = new ReceiverHandler({ ...shared, receivers: deps.receivers });
    this.watcher = new IncidentWatcher({
      nc: deps.nc,
      js: deps.js,
      escalationBucket: config.state.escalationBucket,
      subject: `${config.subjects.pages}.update`,
      store,
      clock,
      logger,
      metrics,
      isStopped: () => this.stopping,
    });
    if (!secrets.webhookSecret && deps.receivers().some((r) => r.webhook)) logger.warn("notify.webhook.secretFile is not set: webhooks go out unsigned");
  }

  /** Load templates (invalid ones stop the engine, as invalid rules do) and secrets, open the state. */
  static async create(deps: NotifyStageDeps): Promise<NotifyStage> {
    const notify = deps.config.notify;
    const { templates, issues } = await TemplateSet.load(notify.templatesDir);
    if (!templates) throw new ValidationError(issues);
    const secrets = readNotifySecrets(notify);
    const store = await NotifyStore.open(deps.nc, notify.bucket, 2 * SLACK_MAX_SKEW_MS);
    const facts = await NotifyFacts.open(deps.nc, deps.config.state.alertBucket, deps.escalationStore);
    return new NotifyStage(deps, store, facts, secrets, templates);
  }

  async start(): Promise<void> {
    const { config, js } = this.deps;
    await this.watcher.start();
    // Redeliveries and stalls of the notify consumers are audited, as every other stage's are.
    const recordAudit = (action: string, details: Record<string, unknown>): Promise<void> => this.auditWriter.record(action, details);
    const loop = { batch: 64, tickIntervalMs: config.tickIntervalMs, tick: () => undefined, recordAudit, fence: this.deps.fence };
    await this.pagesLoop.start(js, { ...loop, stream: config.streams.pages, durable: config.consumer.notifyDurable, handle: (m) => this.dispatch(m, () => this.pageMessage(m)) });
    await this.receiversLoop.start(js, { ...loop, stream: config.streams.notifications, durable: config.consumer.notifyDurable, handle: (m) => this.dispatch(m, () => this.groupMessage(m)) });
  }

  /** Stop taking messages; deliveries in a retry give their lease back; wait for the rest to settle. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.runner.stop();
    this.watcher.stop();
    await this.pagesLoop.stop();
    await this.receiversLoop.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  halt(): void {
    this.stopping = true;
    this.runner.halt();
    this.watcher.stop();
    this.pagesLoop.halt();
    this.receiversLoop.halt();
  }

  /** Wait until the incident watcher has published every change it has seen (tests). */
  settledUpdates(): Promise<void> {
    return this.watcher.idle();
  }

  /** Start handling `m` without holding up the next message; settle it (ack, nak or term) when done. */
  private dispatch(m: JsMsg, work: () => Promise<DeliveryOutcome[]>): Promise<void> {
    const task = this.settle(m, work).finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
    return Promise.resolve();
  }

  private async settle(m: JsMsg, work: () => Promise<DeliveryOutcome[]>): Promise<void> {
    try {
      let outcomes = await work();
      // Someone else holds a live lease (a replica working on it, or one that died): wait here rather than nak, so a
      // page never runs out of JetStream deliveries while it waits for a lease to expire.
      const giveUpAt = Date.now() + 2 * this.deps.config.notify.deliveryLeaseMs;
      while (!this.stopping && Date.now() < giveUpAt) {
        const busy = outcomes.flatMap((o) => (o.outcome === "busy" ? [o.retryInMs] : []));
        if (busy.length === 0) break;
        // Look again every few seconds at most: the holder may settle the delivery long before its lease ends.
        await this.waitWorking(m, Math.min(Math.max(...busy) + 50, 2_000));
        outcomes = await work();
      }
      if (outcomes.some((o) => o.outcome === "interrupted" || o.outcome === "busy")) return m.nak(this.stopping ? undefined : 1_000);
      m.ack();
    } catch (error) {
      if (this.stopping) return;
      const deliveries = m.info.deliveryCount;
      this.deps.logger.error({ err: error, subject: m.subject, seq: m.seq, deliveries }, "notify stage could not handle a message; it will be redelivered");
      // Never given up: a page dropped after a few failures (a NATS restart's timeouts) is a page lost. Past
      // consumer.maxDeliver deliveries each failure is audited too, so a message that keeps failing is seen.
      if (deliveries >= this.deps.config.consumer.maxDeliver) {
        await this.auditWriter.record("notify.stuck", { subject: m.subject, seq: m.seq, deliveries, error: error instanceof Error ? error.message : String(error), why: "still failing; retried until it succeeds" });
      }
      m.nak(backoffMs(deliveries, 1_000, 30_000));
    }
  }

  private async waitWorking(m: JsMsg, ms: number): Promise<void> {
    const timer = setInterval(() => m.working(), Math.max(50, this.deps.config.consumer.ackWaitMs / 2));
    try {
      await new Promise((resolve) => setTimeout(resolve, ms));
    } finally {
      clearInterval(timer);
    }
  }

  private async pageMessage(m: JsMsg): Promise<DeliveryOutcome[]> {
    const keepAlive = (): void => m.working();
    if (m.subject === `${this.deps.config.subjects.pages}.update`) {
      const update = incidentUpdateSchema.safeParse(jsonOf(m));
      if (!update.success) return this.invalid(m, "incident update");
      return this.incidentLanes.run(update.data.incidentId, () => this.pages.update(update.data, keepAlive));
    }
    const page = pageMessageSchema.safeParse(jsonOf(m));
    if (!page.success) return this.invalid(m, "page");
    return [await this.pages.page(page.data, keepAlive)];
  }

  private async groupMessage(m: JsMsg): Promise<DeliveryOutcome[]> {
    const notification = groupNotificationSchema.safeParse(jsonOf(m));
    if (!notification.success) return this.invalid(m, "group notification");
    return this.receiverHandler.notification(notification.data, () => m.working());
  }

  private async invalid(m: JsMsg, what: string): Promise<DeliveryOutcome[]> {
    this.deps.logger.error({ subject: m.subject, seq: m.seq }, `not a valid ${what}; dropped`);
    await this.auditWriter.record("notify.failed", { subject: m.subject, seq: m.seq, why: `not a valid ${what}` });
    return [];
  }
}
