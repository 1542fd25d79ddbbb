import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { MAX_ALERTS_PER_NOTIFICATION } from "../alerts/dispatcher.js";
import { groupTitle, notificationTotals } from "../notify/context.js";
import type { Clock } from "../core/clock.js";
import { describeIssues } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Config } from "../config/config.schema.js";
import type { OnCallDirectory } from "../escalate/directory.js";
import { advance, openIncident, resolveIncident, type Incident, type LevelPage } from "../escalate/incident.js";
import { planPages, type PageIntent } from "../escalate/pages.js";
import type { KvEscalationStore, StoredPage } from "../store/jetstream/escalation-store.js";
import type { AuditSink } from "../store/ports.js";
import { KeyedLanes } from "./lane.js";
import { StageLoop } from "./stage-loop.js";
import type { Metrics } from "./metrics.js";
import { retryUntilDone } from "./retry.js";
import { AuditWriter } from "./audit-writer.js";
import { groupNotificationSchema, jsonOf, type GroupNotificationIn } from "./notify-messages.js";
import type { RoleFence } from "../cluster/contact-fence.js";

const encoder = new TextEncoder();

/**
 * Groups whose notifications are handled at once. One at a time, each taking its ~15 round trips to NATS (incident,
 * claims, publishes, audit), a backlog after a failover drained slower than new notifications came.
 */
const MAX_IN_FLIGHT = 32;

export interface EscalationStageDeps {
  config: Config;
  js: JetStreamClient;
  store: KvEscalationStore;
  audit: AuditSink;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  actor: string;
  directory: () => OnCallDirectory;
  /** Whether this replica may act on the role now (ClusterMembership's fence); none: always. */
  fence?: RoleFence;
}

/** What goes out on `klaxon.pages.<channel>` for the notify stage: one page, addressed, with what it is about. */
export interface PageMessage extends PageIntent {
  title: string;
  receiver: string;
  groupId: string;
  alertFingerprints: string[];
}

/**
 * The third stage: group notifications open incidents, and incidents page people level by level until someone
 * acknowledges. Timers are data in the KV bucket (`nextStepAtMs`, scheduled pages); each tick runs what is due, so a
 * step that fell due while every engine was down runs late, never lost. Each page is claimed with create-if-absent
 * under its deterministic id before it is published (with that id as the message id): exactly one page per
 * (incident step, person, channel).
 */
export class EscalationStage {
  private readonly due = new Map<string, number>();
  private readonly scheduled = new Map<string, PageIntent>();
  /** Incidents with a decided level not yet planned into pages (a previous engine died in between). */
  private readonly unplanned = new Set<string>();
  /** The group each known incident belongs to: its work runs in that group's lane. */
  private readonly groupOf = new Map<string, string>();
  /** One lane per group: a group's notifications, steps and pages in order; other groups' meanwhile. */
  private readonly groupLanes = new KeyedLanes();
  /** Notifications being handled; at most MAX_IN_FLIGHT before the stage takes more. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly loop: StageLoop;
  private readonly auditWriter: AuditWriter;

  constructor(private readonly deps: EscalationStageDeps) {
    this.loop = new StageLoop("escalation stage", deps.logger);
    this.auditWriter = new AuditWriter(deps.audit, deps.actor, deps.clock, deps.metrics, deps.logger, () => this.loop.stopping);
  }

  private get stopping(): boolean {
    return this.loop.stopping;
  }

  async start(): Promise<void> {
    const { store, config, js } = this.deps;
    for (const incident of await store.listIncidents()) {
      this.track(incident);
      if (incident.pendingPages?.length) this.unplanned.add(incident.id);
    }
    for (const page of await store.listPages()) if (page.status === "scheduled") this.scheduled.set(page.intent.id, page.intent);
    await this.loop.start(js, {
      stream: config.streams.notifications,
      durable: config.consumer.escalateDurable,
      batch: 64,
      tickIntervalMs: config.tickIntervalMs,
      handle: (m) => this.handle(m),
      tick: () => this.runDue(),
      recordAudit: (action, details) => this.auditWriter.record(action, details),
      fence: this.deps.fence,
    });
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.allSettled([...this.inFlight]);
  }

  halt(): void {
    this.loop.halt();
  }

  private async handle(m: JsMsg): Promise<void> {
    const parsed = groupNotificationSchema.safeParse(jsonOf(m));
    if (!parsed.success) {
      // Not from our alert stage (a hand-made publish): it stays in the stream, the audit says where, the rest flows.
      const why = describeIssues(parsed.error.issues);
      this.deps.logger.error({ subject: m.subject, seq: m.seq, why }, "not a valid group notification; skipped");
      await this.auditRecord("escalation.invalid_notification", m.subject, { seq: m.seq, why });
      m.ack();
      return;
    }
    const notification = parsed.data;
    const task = this.groupLanes
      .run(notification.groupId, () => this.onNotification(m, notification))
      .catch((error: unknown) => {
        // Not acknowledged: JetStream delivers it again after the ack wait.
        if (!this.stopping) this.deps.logger.error({ err: error, seq: m.seq, groupId: notification.groupId }, "escalation stage could not handle a notification; it will be retried");
      })
      .finally(() => this.inFlight.delete(task));
    this.inFlight.add(task);
    // Enough groups at work: take the next message once one of them is done.
    if (this.inFlight.size >= MAX_IN_FLIGHT) await Promise.race(this.inFlight);
  }

  private async onNotification(m: JsMsg, notification: GroupNotificationIn): Promise<void> {
    const { store, clock } = this.deps;
    const policyId = this.deps.directory().policyOf(notification.receiver);
    const openId = await store.openIncidentOf(notification.groupId);
    const now = clock.now();
    if (notification.status === "firing") {
      if (openId) {
        const outcome = await store.mutateIncident(openId, (incident) => {
          // Bounded like a notification's list: the incident (one KV value) and every page carry it.
          const fingerprints = [...new Set([...incident.alertFingerprints, ...notification.firing.map((a) => a.fingerprint)])].slice(0, MAX_ALERTS_PER_NOTIFICATION);
          return fingerprints.length === incident.alertFingerprints.length ? undefined : { incident: { ...incident, alertFingerprints: fingerprints }, result: true };
        });
        // Redelivered because paging failed half-way: finish what was decided.
        if (outcome.incident.pendingPages?.length) await this.planPending(openId, outcome.incident);
      } else if (policyId) {
        await this.open(notification, policyId, now);
      } else {
        this.deps.logger.debug({ receiver: notification.receiver }, "receiver has no escalation policy; nobody is paged");
      }
    } else if (openId) {
      const outcome = await store.mutateIncident(openId, (incident) => {
        const result = resolveIncident(incident, "Klaxon (every alert of the group resolved)", "system", now);
        return result.changed ? { incident: result.incident, result } : undefined;
      });
      await store.clearOpen(notification.groupId);
      if (outcome.result) await this.auditRecord("incident.resolved", openId, { via: "system", reason: "every alert of the group resolved" });
      this.track(outcome.incident);
    }
    m.ack();
  }

  private async open(notification: GroupNotificationIn, policyId: string, now: number): Promise<void> {
    const policy = this.deps.directory().policies.get(policyId);
    if (!policy) {
      this.deps.logger.error({ policy: policyId, receiver: notification.receiver }, "receiver names an unknown escalation policy; nobody is paged");
      await this.auditRecord("incident.no_policy", notification.groupId, { policy: policyId, receiver: notification.receiver });
      return;
    }
    const title = groupTitle(notification.firing, notification.groupLabels, notificationTotals(notification).firing);
    const id = notification.id.replace(/:/g, "-");
    const opened = openIncident({ id, groupId: notification.groupId, receiver: notification.receiver, title, alertFingerprints: notification.firing.map((a) => a.fingerprint) }, policy, now);
    const incident = { ...opened.incident, pendingPages: opened.pages };
    // A redelivered notification finds its incident already there: it pages only what a dead engine left unplanned.
    if (!(await this.deps.store.createIncident(incident))) {
      await this.deps.store.setOpen(notification.groupId, id);
      // Its creation may have been this engine's own, answered too late: its steps must still be run from here.
      const existing = (await this.deps.store.getIncident(id))?.incident;
      if (existing) this.track(existing);
      await this.planPending(id, existing);
      return;
    }
    await this.deps.store.setOpen(notification.groupId, id);
    this.track(incident);
    await this.planPending(id, incident);
  }

  /**
   * Plan the pages of every level an incident has decided and not yet planned, then mark them planned. The opening
   * is recorded here, before its first level's pages, by whoever plans them: an engine killed between creating the
   * incident and recording it leaves them pending, so a successor (or the redelivered notification) records it. A
   * kill after the record and before the pages are marked planned records it twice, never not at all.
   */
  private async planPending(id: string, known?: Incident): Promise<void> {
    const incident = known ?? (await this.deps.store.getIncident(id))?.incident;
    const pending = incident?.pendingPages ?? [];
    if (!incident || pending.length === 0) {
      this.unplanned.delete(id);
      return;
    }
    if (pending.some((level) => level.round === 0 && level.level === 0)) {
      await this.auditRecord("incident.opened", id, { policy: incident.policyId, groupId: incident.groupId, title: incident.title });
    }
    if (incident.state === "triggered") for (const level of pending) await this.page(level, incident);
    await this.deps.store.mutateIncident(id, (current) => (current.pendingPages?.length ? { incident: withPendingPages(current, []), result: true } : undefined));
    this.unplanned.delete(id);
  }

  /**
   * Run every incident step and every scheduled page that is due, each in its incident's group lane (a step and the
   * pages it plans in order, and never beside a notification of the same group), the groups side by side.
   */
  private async runDue(): Promise<void> {
    const now = this.deps.clock.now();
    const work: Array<Promise<void>> = [];
    for (const [id, dueAt] of this.due) if (dueAt <= now) work.push(this.inIncidentLane(id, () => this.step(id, now)));
    for (const id of this.unplanned) work.push(this.inIncidentLane(id, () => this.planPending(id)));
    for (const intent of this.scheduled.values()) {
      if (intent.dueAtMs <= now) work.push(this.inIncidentLane(intent.incidentId, () => (this.scheduled.has(intent.id) ? this.sendIfStillNeeded(intent) : undefined)));
    }
    const failed = (await Promise.allSettled(work)).find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
  }

  /** One incident's timer, if it is still due when its turn comes. */
  private async step(id: string, now: number): Promise<void> {
    const dueAt = this.due.get(id);
    if (dueAt === undefined || dueAt > now) return;
    const outcome = await this.deps.store.mutateIncident(id, (incident) => {
      const step = advance(incident, this.deps.directory().policies.get(incident.policyId) ?? fallbackPolicy(incident), now);
      if (step.incident === incident) return undefined;
      return { incident: withPendingPages(step.incident, [...(incident.pendingPages ?? []), ...step.pages]), result: step };
    });
    this.track(outcome.incident);
    for (const event of outcome.result?.events ?? []) await this.auditRecord(event.action, id, event.details);
    // Planned even with no result: a step whose write landed but whose reply was lost reads as "nothing to do" on
    // the retry, with its level's pages waiting in pendingPages.
    if (outcome.incident.pendingPages?.length) await this.planPending(id, outcome.incident);
  }

  private inIncidentLane(incidentId: string, work: () => void | Promise<void>): Promise<void> {
    return this.groupLanes.run(this.groupOf.get(incidentId) ?? incidentId, work);
  }

  private async page(level: LevelPage, incident: Incident): Promise<void> {
    const plan = planPages(level, (schedule, at) => this.deps.directory().onCall(schedule, at), this.deps.directory().users);
    for (const miss of plan.unreachable) {
      this.deps.metrics.pagesUnreachable.inc();
      this.deps.logger.error({ incident: incident.id, ...miss }, "a target of this escalation level cannot be paged");
      await this.auditRecord("page.unreachable", incident.id, { level: level.level, round: level.round, ...miss });
    }
    for (const planned of plan.intents) {
      const claim = await this.deps.store.claimPage(planned);
      // Claimed before, by a replica or before a restart, and settled: nothing to do. Claimed and still scheduled: the
      // claim may be our own whose reply was lost, or a dead engine's; not sending it would lose it, and sending it
      // again cannot page twice (the page id is the message id and the notify stage's delivery id).
      if (claim !== "claimed" && claim.status !== "scheduled") continue;
      const intent = claim === "claimed" ? planned : claim.intent;
      this.scheduled.set(intent.id, intent);
      if (intent.dueAtMs <= this.deps.clock.now()) await this.sendIfStillNeeded(intent, incident);
    }
  }

  /** A page planned for later (SMS after 2 minutes) goes out only if nobody acknowledged meanwhile. */
  private async sendIfStillNeeded(intent: PageIntent, known?: Incident): Promise<void> {
    const incident = known ?? (await this.deps.store.getIncident(intent.incidentId))?.incident;
    if (!incident || incident.state !== "triggered") {
      await this.deps.store.setPage({ intent, status: "cancelled", reason: incident ? `incident ${incident.state}` : "incident gone" });
      this.scheduled.delete(intent.id);
      return;
    }
    const message: PageMessage = { ...intent, title: incident.title, receiver: incident.receiver, groupId: incident.groupId, alertFingerprints: incident.alertFingerprints };
    await retryUntilDone(
      () => this.deps.js.publish(`${this.deps.config.subjects.pages}.${intent.channel}`, encoder.encode(JSON.stringify(message)), { msgID: intent.id }),
      () => this.deps.metrics.publishRetries.inc({ what: "page" }),
      () => this.stopping,
    );
    const now = this.deps.clock.now();
    this.deps.metrics.pagesSent.inc({ channel: intent.channel });
    // Audit before marking sent: a crash in between re-publishes under the same id (dropped) and audits it twice,
    // rather than leaving a page without its record.
    await this.auditRecord("page.sent", intent.incidentId, { page: intent.id, user: intent.user, channel: intent.channel, level: intent.level, round: intent.round, lateByMs: now - intent.dueAtMs });
    await this.deps.store.setPage({ intent, status: "sent", sentAtMs: now } satisfies StoredPage);
    this.scheduled.delete(intent.id);
  }

  private track(incident: Incident): void {
    // A resolved incident has no more work of its own (its pages still scheduled are cancelled in any lane).
    if (incident.state === "resolved") this.groupOf.delete(incident.id);
    else this.groupOf.set(incident.id, incident.groupId);
    if (incident.nextStepAtMs === undefined || incident.state === "resolved") this.due.delete(incident.id);
    else this.due.set(incident.id, incident.nextStepAtMs);
  }

  private auditRecord(action: string, subject: string, details: Record<string, unknown>): Promise<void> {
    return this.auditWriter.record(action, details, subject);
  }

}

function withPendingPages(incident: Incident, pages: LevelPage[]): Incident {
  const { pendingPages: _planned, ...rest } = incident;
  return pages.length > 0 ? { ...rest, pendingPages: pages } : rest;
}

/** A policy removed while its incident was open: stop paging, keep the incident for a person to close. */
function fallbackPolicy(incident: Incident): Parameters<typeof advance>[1] {
  return { id: incident.policyId, version: 0, levels: [{ targets: [], delay: Number.MAX_SAFE_INTEGER }], repeat: 0 };
}
