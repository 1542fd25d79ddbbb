import { setImmediate as nextTurn } from "node:timers/promises";
import type { JetStreamClient, JsMsg } from "@nats-io/jetstream";
import { alertMessageSchema } from "../alerts/alert.js";
import type { AlertBoard } from "../alerts/alert-board.js";
import { Dispatcher } from "../alerts/dispatcher.js";
import type { AlertRecord, GroupNotification, GroupRecord } from "../alerts/dispatcher.types.js";
import { fingerprint } from "../alerts/fingerprint.js";
import { encodeNotification } from "../alerts/notification-size.js";
import type { LoadedRouting } from "../alerts/routing-set.js";
import { isPastRetention, Silencer, type Silence } from "../alerts/silences.js";
import type { Clock } from "../core/clock.js";
import { describeIssues } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { Config } from "../config/config.schema.js";
import { encodeChanges, type KvAlertStateStore } from "../store/jetstream/alert-state-store.js";
import type { AuditSink, DeadLetterSink } from "../store/ports.js";
import type { Lane } from "./lane.js";
import { StageLoop } from "./stage-loop.js";
import type { Metrics } from "./metrics.js";
import { isPermanent, retryUntilDone } from "./retry.js";
import { AuditWriter } from "./audit-writer.js";
import { AlertCommits, type AlertAudit } from "./alert-commits.js";
import { JsonArrayBody } from "../http/json-array-body.js";
import type { RoleFence } from "../cluster/contact-fence.js";

export interface AlertStageDeps {
  config: Config;
  js: JetStreamClient;
  store: KvAlertStateStore;
  audit: AuditSink;
  deadLetters: DeadLetterSink;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  actor: string;
  /**
   * Whether this replica is still the coordinator, as the store says now: asked after each commit is stored and
   * before its messages are acknowledged (see AlertCommits).
   */
  stillCoordinator: () => Promise<boolean>;
  /** Whether this replica may act on the role now (ClusterMembership's fence); none: always. */
  fence?: RoleFence;
}

/**
 * Messages whose effects wait for a commit, at most: past it the stage reads no further until a commit is stored (a
 * storm's alerts queue in the stream, not in memory).
 */
const MAX_STAGED_MESSAGES = 1_000;

/** How often the stage looks for expired silences past their retention. */
const SILENCE_PURGE_EVERY_MS = 60_000;

/**
 * The second stage: alert state changes from `klaxon.alerts.>` go through the dispatcher (dedup, routing, grouping,
 * silences, inhibition, mute windows); group notifications go out on `klaxon.notifications.<receiver>`. State lives
 * in the KV bucket: an alert message is acknowledged once its effect on alerts and groups is stored (in a group
 * commit, see AlertCommits), and a notification is published (with its deterministic id) before the group's new state
 * is stored, so a crash between the two repeats the same notification id, which JetStream drops.
 */
export class AlertStage {
  readonly silencer = new Silencer();
  private dispatcher!: Dispatcher;
  private readonly loop: StageLoop;
  private readonly auditWriter: AuditWriter;
  private readonly commits: AlertCommits;
  private stopWatch: (() => void) | undefined;
  private nextPurgeAtMs = 0;
  private purging: Promise<void> | undefined;
  /**
   * Notifications the dispatcher decided on (and so counts as told) that a tick did not get to publish because something
   * threw while the stage went on (the stage stopping is handled apart: see flushDue): sent first at the next tick,
   * since dropped, their groups would never tell them.
   */
  private unsent: GroupNotification[] = [];

  constructor(private readonly deps: AlertStageDeps) {
    this.loop = new StageLoop("alert stage", deps.logger);
    this.auditWriter = new AuditWriter(deps.audit, deps.actor, deps.clock, deps.metrics, deps.logger, () => this.loop.stopping);
    this.commits = new AlertCommits({
      recordAudit: (audit) => this.auditRecord(audit.action, audit.subject, audit.details),
      writeState: (changes) => this.retried("alert_state", () => this.deps.store.write(changes)),
      stillOwner: () => this.retried("lease_check", () => this.deps.stillCoordinator()),
      failed: (error) => {
        if (!this.stopping) deps.logger.error({ err: error }, "alert stage: storing alert state failed; its messages will be redelivered");
      },
    });
  }

  private get lane(): Lane {
    return this.loop.lane;
  }

  private get stopping(): boolean {
    return this.loop.stopping;
  }

  async start(routing: LoadedRouting): Promise<void> {
    const { store, config, js } = this.deps;
    const state = await store.loadAll();
    for (const silence of state.silences) this.silencer.upsert(silence);
    this.stopWatch = await store.watchSilences((silence, id) => {
      if (silence) this.silencer.upsert(silence);
      else this.silencer.remove(id);
    });
    this.dispatcher = new Dispatcher(routing.routing, routing.timeIntervals, this.silencer);
    this.dispatcher.restore(state.alerts, state.groups, this.deps.clock.now(), state.unstoredGroups);
    await this.loop.start(js, {
      stream: config.streams.alerts,
      durable: config.consumer.alertsDurable,
      batch: 256,
      tickIntervalMs: config.tickIntervalMs,
      handle: (m) => this.handle(m),
      tick: () => this.flushDue(),
      recordAudit: (action, details) => this.auditWriter.record(action, details),
      fence: this.deps.fence,
    });
  }

  async stop(): Promise<void> {
    this.stopWatch?.();
    await this.loop.stop();
    await this.commits.idle();
    await this.purging;
  }

  /** Hard stop for crash tests: nothing more is written. */
  halt(): void {
    this.stopWatch?.();
    this.loop.halt();
    this.commits.halt();
  }

  setRouting(routing: LoadedRouting): Promise<void> {
    return this.lane.run(() => this.dispatcher.setRouting(routing.routing, routing.timeIntervals));
  }

  /** How many alerts are firing, suppressed (silenced or inhibited) and resolved: for the ops gauge. */
  alertCounts(): Promise<{ firing: number; suppressed: number; resolved: number }> {
    return this.lane.run(() => this.dispatcher.countByState(this.deps.clock.now()));
  }

  /** Alerts as the stage sees them (all, or those with the given fingerprints), with what mutes each: for the API and the CLI. */
  alerts(fingerprints?: readonly string[]): Promise<JsonArrayBody<AlertRecord>> {
    return this.lane.run(() => {
      const { alerts, mutedBy } = this.dispatcher.alertsAndMutes(this.deps.clock.now(), fingerprints);
      return new JsonArrayBody(alerts, (alert) => ({ ...alert, mutedBy: mutedBy(alert) }));
    });
  }

  /** The console's alert board: each group's firing alerts counted, and its first `rows` (see alertBoard). */
  board(rows: number): Promise<AlertBoard> {
    return this.lane.run(() => this.dispatcher.board(this.deps.clock.now(), rows));
  }

  /**
   * Aggregation groups as the stage holds them, for `GET /api/v1/groups`: the list taken in one turn of the lane, each
   * group copied as it is written out, in slices (a route that groups every alert alone has as many groups as alerts:
   * copied and written at once, the engine stood still for it, as it did for `/alerts`). Read from the store instead,
   * every request scanned the whole state bucket (every alert record, for group membership): ~4.4 s of the engine's
   * main thread with 100,000 alerts, each time an open console refreshed.
   */
  groups(): Promise<JsonArrayBody<GroupRecord>> {
    return this.lane.run(() => new JsonArrayBody(this.dispatcher.groupList(), copyGroup));
  }

  /**
   * One alert message into the dispatcher, in this turn; its effects join the next commit, which acknowledges it
   * once stored. The promise it returns holds the stage until the next turn of the event loop, or, while too many
   * messages wait for a commit, until theirs is stored.
   */
  private handle(m: JsMsg): void | Promise<void> {
    const { metrics, logger } = this.deps;
    let raw: unknown;
    try {
      raw = m.json();
    } catch (error) {
      return this.reject(m, `invalid JSON: ${(error as Error).message}`);
    }
    const parsed = alertMessageSchema.safeParse(raw);
    if (!parsed.success) {
      return this.reject(m, describeIssues(parsed.error.issues));
    }
    const message = parsed.data;
    const expected = fingerprint(message.labels);
    if (message.fingerprint !== expected) return this.reject(m, `fingerprint ${message.fingerprint} does not match the labels (expected ${expected})`);
    const record: AlertRecord = {
      fingerprint: message.fingerprint,
      status: message.status,
      labels: message.labels,
      annotations: message.annotations,
      startsAtMs: Date.parse(message.startsAt),
      ...(message.endsAt ? { endsAtMs: Date.parse(message.endsAt) } : {}),
      ...(message.generator ? { generator: message.generator } : {}),
      ...(message.value === undefined ? {} : { value: message.value }),
    };
    const outcome = this.dispatcher.receive(record, this.deps.clock.now());
    metrics.alertsReceived.inc({ outcome });
    logger.debug({ fingerprint: record.fingerprint, status: record.status, outcome }, "alert received");
    const audits: AlertAudit[] =
      outcome === "new" || outcome === "resolved"
        ? [{ action: outcome === "new" ? "alert.fired" : "alert.resolved", subject: record.fingerprint, details: { labels: record.labels, startsAtMs: record.startsAtMs, endsAtMs: record.endsAtMs, generator: record.generator } }]
        : [];
    const stored = this.commits.stage(m, audits, encodeChanges(this.dispatcher.takeChanges()));
    if (this.commits.backlog >= MAX_STAGED_MESSAGES) return stored.catch(() => undefined);
    // The next message waits for the event loop's next turn: a few hundred buffered alert messages handled back to
    // back (~0.3 ms each) would otherwise hold up the events, and their latency, for tens of milliseconds.
    return nextTurn();
  }

  private async flushDue(): Promise<void> {
    this.purgeSilencesWhenDue();
    const notifications = [...this.unsent, ...this.dispatcher.tick(this.deps.clock.now())];
    this.unsent = notifications;
    try {
      // A replica whose role was taken over sends nothing: the new coordinator loaded the state and sends its own, and
      // with ids that carry their content, a stale view's notification would not be dropped as a duplicate of it.
      if (notifications.length > 0 && !(await this.commits.confirmOwner())) {
        this.deps.metrics.notificationsWithheld.inc(notifications.length);
        this.unsent = [];
        return;
      }
      const audits: AlertAudit[] = [];
      for (let i = 0; i < notifications.length; i++) {
        const notification = notifications[i] as GroupNotification;
        const sent = await this.publishOrGiveUp(notification, audits);
        if (sent) {
          this.deps.metrics.groupNotifications.inc({ receiver: sent.receiver, reason: sent.reason });
          audits.push(notifiedAudit(sent));
        }
        // Published (a retry after a failure is dropped by JetStream as a duplicate of its id): not owed any more.
        this.unsent = notifications.slice(i + 1);
      }
      // Staged only now that the notifications are published: a crash before the state is stored sends them again.
      await this.commits.stage(undefined, audits, encodeChanges(this.dispatcher.takeChanges()));
    } catch (error) {
      // Stopping (a graceful stop, or the role handed over) mid-tick: the dispatcher counts this tick's notifications
      // as told, and the next message in the lane would take that state into a commit; the successor would load the
      // groups as told and never send them (a chaos run lost a page so, the role handed back as NATS restarted). So
      // nothing more is stored or acknowledged here, as after a crash: the successor decides them again from the state
      // as last stored, and the messages not acknowledged come again to it.
      if (this.stopping) this.commits.halt();
      throw error;
    }
  }

  /**
   * The notification published (as sent: its lists cut to size), or undefined when no retry can publish it (larger
   * than the server takes, say): then it is audited as failed and dropped, since kept for the next tick it would stand
   * before every later notification for good. Throws when the stage stops before it is published.
   */
  private async publishOrGiveUp(notification: GroupNotification, audits: AlertAudit[]): Promise<GroupNotification | undefined> {
    try {
      return await this.publish(notification);
    } catch (error) {
      if (this.stopping || !isPermanent(error)) throw error;
      const details = { notification: notification.id, receiver: notification.receiver, route: notification.routeId, reason: notification.reason, error: String(error) };
      this.deps.logger.error(details, "alert stage: a group notification cannot be published; dropped (audited as group.notification_failed)");
      this.deps.metrics.notificationsUnpublishable.inc();
      audits.push({ action: "group.notification_failed", subject: notification.groupId, details });
      return undefined;
    }
  }

  private async publish(notification: GroupNotification): Promise<GroupNotification> {
    const { js, config } = this.deps;
    const subject = `${config.subjects.notifications}.${notification.receiver}`;
    const { sent, bytes } = encodeNotification(notification);
    await this.retried("notification", () => js.publish(subject, bytes, { msgID: notification.id }));
    return sent;
  }

  /** `operation` until it succeeds or the stage stops, every retry counted under `what`. */
  private retried<T>(what: string, operation: () => Promise<T>): Promise<T> {
    return retryUntilDone(operation, () => this.deps.metrics.publishRetries.inc({ what }), () => this.stopping);
  }

  private async reject(m: JsMsg, detail: string): Promise<void> {
    this.deps.metrics.deadLetters.inc({ reason: "invalid_alert" });
    await this.retried("dead_letter", () =>
      this.deps.deadLetters.send({ reason: "invalid_alert", detail, originalSubject: m.subject, data: m.data, streamSequence: m.seq, deliveryCount: m.info.deliveryCount }),
    );
    m.ack();
  }

  /** Now and then, delete silences expired for longer than the retention; outside the lane, one round at a time. */
  private purgeSilencesWhenDue(): void {
    const now = this.deps.clock.now();
    if (this.purging || now < this.nextPurgeAtMs) return;
    this.nextPurgeAtMs = now + SILENCE_PURGE_EVERY_MS;
    const retentionMs = this.deps.config.state.silenceRetentionMs;
    const due = this.silencer.list().filter((silence) => isPastRetention(silence, now, retentionMs));
    if (due.length === 0) return;
    this.purging = this.purgeSilences(due, retentionMs)
      .catch((error: unknown) => this.deps.logger.warn({ err: String(error) }, "purging expired silences failed; trying again later"))
      .finally(() => {
        this.purging = undefined;
      });
  }

  private async purgeSilences(due: readonly Silence[], retentionMs: number): Promise<void> {
    for (const silence of due) {
      if (this.loop.stopping) return;
      const now = this.deps.clock.now();
      // Judged again on the stored silence: one extended meanwhile stays.
      if (!(await this.deps.store.deleteSilenceIf(silence.id, (current) => isPastRetention(current, now, retentionMs)))) continue;
      this.silencer.remove(silence.id);
      await this.auditRecord("silence.purged", silence.id, { silence, retentionMs });
    }
  }

  private auditRecord(action: string, subject: string, details: Record<string, unknown>): Promise<void> {
    return this.auditWriter.record(action, details, subject);
  }

}

/** A group as it stands when written out: its labels and lists copied, not shared with the dispatcher. */
function copyGroup(group: GroupRecord): GroupRecord {
  return {
    ...group,
    groupLabels: { ...group.groupLabels },
    fingerprints: [...group.fingerprints],
    notifiedFiring: [...group.notifiedFiring],
    notifiedResolved: [...group.notifiedResolved],
  };
}

/** The audit record of a notification sent: the alerts it listed (each alert's own firing and resolving are audited as it happens), and how many there were. */
function notifiedAudit(n: GroupNotification): AlertAudit {
  return {
    action: "group.notified",
    subject: n.groupId,
    details: {
      notification: n.id,
      receiver: n.receiver,
      route: n.routeId,
      reason: n.reason,
      firing: n.firing.map((a) => a.fingerprint),
      resolved: n.resolved.map((a) => a.fingerprint),
      muted: n.muted,
      firingCount: n.firingCount,
      resolvedCount: n.resolvedCount,
      mutedCount: n.mutedCount,
    },
  };
}
