import { alertBoard, type AlertBoard } from "./alert-board.js";
import { DeadlineQueue } from "../core/deadline-queue.js";
import { sha256HexPrefix } from "../core/hash.js";
import { notificationId } from "./notification-id.js";
import { InternPool } from "../core/intern-pool.js";
import type { AlertRecord, GroupNotification, GroupRecord, NotifyReason } from "./dispatcher.types.js";
import { GroupMembership } from "./group-membership.js";
import { Inhibitor, type InhibitionSources } from "./inhibitor.js";
import type { Labels } from "./model.js";
import { groupKey, matchRoutes, type RouteNode, type Routing } from "./routing.js";
import type { Silencer } from "./silences.js";
import { toStoredAlert, toStoredGroup, type StoredAlert, type StoredGroup } from "./stored-state.js";
import type { TimeIntervals } from "./time-intervals.js";
import { valuesAt } from "../core/records.js";

/**
 * At most this many alerts of each list (firing, resolved, muted) travel in a group notification in full; the rest
 * are counted. A notification is one NATS message: with every alert of a group of a few thousand in it, it went past
 * the server's payload limit (1 MB by default) and was never sent. Nobody reads a page listing thousands anyway.
 */
export const MAX_ALERTS_PER_NOTIFICATION = 100;

/**
 * How long after it ended a resolved alert is kept once no group holds it (it was deleted at once until 2026-12-07).
 * A firing of that episode can still come: the alert stage's messages are redelivered after the ack wait when a
 * coordinator dies or is presumed dead with them in hand, behind newer ones its successor has taken meanwhile (the
 * resolve). Without the resolved record the late firing read as a new episode and stayed firing for good (chaos runs
 * with replicas paused left five alerts so); kept, it is a duplicate of the episode it belongs to.
 */
export const RESOLVED_KEPT_MS = 10 * 60_000;

/** What receiving an alert did: the stage counts and audits these. */
export type ReceiveOutcome = "new" | "updated" | "resolved" | "duplicate" | "stale";

/** What changed since the last `takeChanges`, as the store keeps it (see stored-state.ts). */
export interface DispatcherChanges {
  alerts: StoredAlert[];
  deletedAlerts: string[];
  groups: StoredGroup[];
  deletedGroups: string[];
}

/**
 * The alert stage's pure core: dedup by fingerprint, routing into aggregation groups, and Alertmanager's timing:
 * a new group waits `groupWait`; later changes go out no sooner than `groupInterval` after the last flush; an
 * unchanged firing group is repeated after `repeatInterval`; resolved alerts are announced when the route says so.
 * Silenced and inhibited alerts stay in their group but are not notified; a muted route holds its flush.
 * Time is a parameter; every change to state is collected for the store (`takeChanges`).
 */
export class Dispatcher {
  private readonly alerts = new Map<string, AlertRecord>();
  private readonly groups = new Map<string, GroupRecord>();
  private readonly membership = new GroupMembership();
  private readonly queue = new DeadlineQueue<string>();
  /** Resolved alerts no group holds, by when they are deleted (see RESOLVED_KEPT_MS). */
  private readonly resolvedExpiry = new DeadlineQueue<string>();
  private routesById = new Map<string, RouteNode>();
  private inhibitor: Inhibitor;
  private dirtyAlerts = new Set<string>();
  private dirtyGroups = new Set<string>();
  /** Label values and generators shared among the alerts held (see InternPool). */
  private readonly labelValues = new InternPool<string>(10_000);
  private readonly generators = new InternPool<NonNullable<AlertRecord["generator"]>>(1_000);

  constructor(
    private routing: Routing,
    private timeIntervals: TimeIntervals,
    private readonly silencer: Silencer,
  ) {
    this.indexRoutes();
    this.inhibitor = new Inhibitor(routing.inhibitRules);
  }

  setRouting(routing: Routing, timeIntervals: TimeIntervals): void {
    this.routing = routing;
    this.timeIntervals = timeIntervals;
    this.inhibitor = new Inhibitor(routing.inhibitRules);
    this.indexRoutes();
  }

  /** Take in one alert state change. Redeliveries and re-announcements are recognised and change nothing. */
  receive(incoming: AlertRecord, nowMs: number): ReceiveOutcome {
    const existing = this.alerts.get(incoming.fingerprint);
    if (this.keepsAsResolved(existing, incoming, nowMs)) {
      this.share(incoming);
      this.alerts.set(incoming.fingerprint, incoming);
      this.retire(incoming.fingerprint, nowMs);
      return "stale";
    }
    const outcome = classify(existing, incoming);
    if (outcome === "duplicate" || outcome === "stale") return outcome;
    this.share(incoming);
    this.alerts.set(incoming.fingerprint, incoming);
    this.dirtyAlerts.add(incoming.fingerprint);
    if (incoming.status === "firing") {
      for (const route of matchRoutes(this.routing.root, incoming.labels)) this.addToGroup(route, incoming, nowMs);
    } else if (!this.membership.has(incoming.fingerprint)) {
      this.retire(incoming.fingerprint, nowMs);
    }
    return outcome;
  }

  /** Flush every group that is due. Returns the notifications to send, in due order. */
  tick(nowMs: number): GroupNotification[] {
    const out: GroupNotification[] = [];
    this.forgetResolved(nowMs);
    // One index of inhibiting alerts for every group this tick flushes: flushes change no alert's status.
    let sources: InhibitionSources | undefined;
    while (this.queue.popDue(nowMs)) {
      const group = this.groups.get(this.queue.poppedItem as string);
      if (!group || group.nextFlushAtMs !== this.queue.poppedDueMs) continue;
      sources ??= this.inhibitionSources();
      const notification = this.flush(group, nowMs, sources);
      if (notification) out.push(notification);
    }
    return out;
  }

  nextDueMs(): number | undefined {
    return this.queue.peekDue();
  }

  takeChanges(): DispatcherChanges {
    const changes: DispatcherChanges = { alerts: [], deletedAlerts: [], groups: [], deletedGroups: [] };
    for (const fp of this.dirtyAlerts) {
      const alert = this.alerts.get(fp);
      if (alert) changes.alerts.push(toStoredAlert(alert, this.membership.groupsOf(fp)));
      else changes.deletedAlerts.push(fp);
    }
    for (const id of this.dirtyGroups) {
      const group = this.groups.get(id);
      if (group) changes.groups.push(toStoredGroup(group));
      else changes.deletedGroups.push(id);
    }
    this.dirtyAlerts = new Set();
    this.dirtyGroups = new Set();
    return changes;
  }

  /**
   * Load stored state (after a restart). Groups keep their due times: a flush that fell due meanwhile runs on the next
   * tick. An alert and its groups are separate keys, written side by side: a coordinator killed between the writes
   * leaves a firing alert whose group was never stored (its message, unacknowledged, comes again, but as a duplicate
   * of the stored alert it changes nothing), or a resolved one whose group's deletion was stored without its own. So
   * a firing alert in no group, or naming groups that were not stored (`unstoredGroups`, by fingerprint), is routed
   * again as if it had just arrived, into those groups only (they form as the dead coordinator's did, under the same
   * ids, and page; a route changed since is not applied to it here, as it is not to any alert already held), and a
   * resolved alert in no group, which no group has left to tell of, is dropped. Both repairs join the next commit.
   */
  restore(alerts: readonly AlertRecord[], groups: readonly GroupRecord[], nowMs: number, unstoredGroups: ReadonlyMap<string, readonly string[]> = new Map()): void {
    for (const alert of alerts) {
      this.share(alert);
      this.alerts.set(alert.fingerprint, alert);
    }
    for (const group of groups) {
      this.groups.set(group.id, group);
      for (const fp of group.fingerprints) this.membership.link(fp, group.id);
      this.queue.push(group.nextFlushAtMs, group.id);
    }
    for (const alert of alerts) {
      const grouped = this.membership.has(alert.fingerprint);
      const unstored = unstoredGroups.get(alert.fingerprint);
      if (alert.status !== "firing") {
        if (!grouped) this.retire(alert.fingerprint, nowMs);
        continue;
      }
      if (grouped && unstored === undefined) continue;
      for (const route of matchRoutes(this.routing.root, alert.labels)) {
        if (!grouped || (unstored?.includes(groupIdOf(route, alert.labels)) ?? false)) this.addToGroup(route, alert, nowMs);
      }
    }
  }

  alertList(): AlertRecord[] {
    return [...this.alerts.values()];
  }

  groupList(): GroupRecord[] {
    return [...this.groups.values()];
  }

  getAlert(fingerprint: string): AlertRecord | undefined {
    return this.alerts.get(fingerprint);
  }

  /**
   * Every alert, or only those with the given fingerprints (unknown ones are left out), and what mutes each (nothing
   * for resolved ones). The list is taken now; `mutedBy` may be asked later, alert by alert, as a listing is written
   * out in slices: against the inhibiting alerts of now (indexed once for the whole listing: built per alert, a listing
   * of 100,000 alerts took minutes) and the silences of when it is asked.
   */
  alertsAndMutes(nowMs: number, fingerprints?: readonly string[]): { alerts: AlertRecord[]; mutedBy: (alert: AlertRecord) => string[] } {
    const sources = this.inhibitionSources();
    const alerts = fingerprints === undefined ? [...this.alerts.values()] : valuesAt(this.alerts, fingerprints);
    return { alerts, mutedBy: (alert) => (alert.status === "firing" ? this.muteReasons(alert, nowMs, sources) : []) };
  }

  /** The console's alert board (see alertBoard): counts and the first `rows` firing alerts of each group. */
  board(nowMs: number, rows: number): AlertBoard {
    const sources = this.inhibitionSources();
    return alertBoard(this.alerts, this.groups.values(), rows, (alert) => this.muteReasons(alert, nowMs, sources));
  }

  /** Alerts by state, counted in place: the ops poller asks every few seconds, and copying 100,000 alerts for a count was most of a storm's garbage. */
  countByState(nowMs: number): { firing: number; suppressed: number; resolved: number } {
    const counts = { firing: 0, suppressed: 0, resolved: 0 };
    const sources = this.inhibitionSources();
    for (const alert of this.alerts.values()) {
      if (alert.status === "resolved") counts.resolved++;
      else if (this.muteReasons(alert, nowMs, sources).length > 0) counts.suppressed++;
      else counts.firing++;
    }
    return counts;
  }

  /** Why a firing alert would not be notified now: active silence ids and/or "inhibited". */
  private muteReasons(alert: AlertRecord, nowMs: number, sources: InhibitionSources | undefined): string[] {
    const by = this.silencer.mutedBy(alert.labels, nowMs);
    if (sources?.inhibits(alert)) by.push("inhibited");
    return by;
  }

  // ---- groups -------------------------------------------------------------------------------------------------

  private addToGroup(route: RouteNode, alert: AlertRecord, nowMs: number): void {
    const { key, labels } = groupKey(route, alert.labels);
    const id = groupIdOfKey(key);
    let group = this.groups.get(id);
    if (!group) {
      group = {
        id,
        routeId: route.id,
        receiver: route.receiver,
        groupLabels: labels,
        fingerprints: [],
        createdAtMs: nowMs,
        nextFlushAtMs: nowMs + route.groupWaitMs,
        hasFlushed: false,
        notifiedFiring: [],
        notifiedResolved: [],
        notificationCount: 0,
        // From the alert, not the clock: a coordinator that replays the same messages after a crash forms the same one.
        episode: sha256HexPrefix(`${alert.fingerprint}@${alert.startsAtMs}`, 12),
      };
      this.groups.set(id, group);
      this.queue.push(group.nextFlushAtMs, id);
      this.dirtyGroups.add(id);
    }
    // Membership is stored with the alert, so joining changes the alert's record, not the group's.
    if (!this.membership.includes(alert.fingerprint, id)) {
      group.fingerprints.push(alert.fingerprint);
      // The group's own id string, not the one just computed: every member then shares one copy.
      this.membership.link(alert.fingerprint, group.id);
      this.dirtyAlerts.add(alert.fingerprint);
    }
    // An alert that has been firing longer than group_wait (e.g. found after a restart) need not wait again.
    if (!group.hasFlushed) {
      const due = Math.max(nowMs, Math.min(group.nextFlushAtMs, alert.startsAtMs + route.groupWaitMs));
      if (due < group.nextFlushAtMs) {
        group.nextFlushAtMs = due;
        this.queue.push(due, id);
        this.dirtyGroups.add(id);
      }
    }
  }

  /**
   * A flush happens at the tick that finds it due: after downtime that is now, once, not once per missed interval,
   * so a long outage does not release a burst of repeats.
   */
  private flush(group: GroupRecord, nowMs: number, sources: InhibitionSources | undefined): GroupNotification | undefined {
    const route = this.routesById.get(group.routeId) ?? this.routing.root;
    group.nextFlushAtMs = nowMs + route.groupIntervalMs;
    this.queue.push(group.nextFlushAtMs, group.id);
    this.dirtyGroups.add(group.id);
    if (this.routeMuted(route, nowMs)) return undefined; // hold everything until the window ends

    group.hasFlushed = true;
    const firing: AlertRecord[] = [];
    const resolved: AlertRecord[] = [];
    const muted: GroupNotification["muted"] = [];
    for (const fp of group.fingerprints) {
      const alert = this.alerts.get(fp);
      if (!alert) continue;
      if (alert.status === "resolved") {
        resolved.push(alert);
        continue;
      }
      const by = this.muteReasons(alert, nowMs, sources);
      if (by.length > 0) muted.push({ fingerprint: fp, by });
      else firing.push(alert);
    }
    const notifiedFiring = new Set(group.notifiedFiring);
    const resolvedToTell = route.sendResolved ? resolved.filter((a) => notifiedFiring.has(a.fingerprint) && !group.notifiedResolved.includes(a.fingerprint)) : [];
    const reason = this.reasonToNotify(group, route, firing, resolvedToTell, nowMs);
    let notification: GroupNotification | undefined;
    if (reason) {
      group.notificationCount++;
      group.lastNotifiedAtMs = nowMs;
      group.notifiedFiring = firing.map((a) => a.fingerprint);
      notification = {
        id: notificationId(group, firing, resolvedToTell),
        receiver: group.receiver,
        routeId: group.routeId,
        groupId: group.id,
        groupLabels: group.groupLabels,
        reason,
        status: firing.length > 0 ? "firing" : "resolved",
        firing: firing.slice(0, MAX_ALERTS_PER_NOTIFICATION),
        resolved: resolvedToTell.slice(0, MAX_ALERTS_PER_NOTIFICATION),
        muted: muted.slice(0, MAX_ALERTS_PER_NOTIFICATION),
        firingCount: firing.length,
        resolvedCount: resolvedToTell.length,
        mutedCount: muted.length,
        atMs: nowMs,
      };
    } else if (firing.length === 0 && group.notifiedFiring.length > 0 && !route.sendResolved) {
      // Everything the receiver knew of resolved, and the route does not announce resolves: forget quietly.
      group.notifiedFiring = [];
    }
    // Resolved alerts have had their say: they leave the group, so there is no list of them to keep (records from
    // before kept one: a mass resolve's made the stored group too big to write).
    if (resolved.length > 0) this.removeFromGroup(group, new Set(resolved.map((a) => a.fingerprint)), nowMs);
    group.notifiedResolved = [];
    if (group.fingerprints.length === 0) this.deleteGroup(group);
    return notification;
  }

  private reasonToNotify(group: GroupRecord, route: RouteNode, firing: readonly AlertRecord[], resolvedToTell: readonly AlertRecord[], nowMs: number): NotifyReason | undefined {
    if (group.lastNotifiedAtMs === undefined) return firing.length > 0 ? "first" : undefined;
    const told = new Set(group.notifiedFiring);
    if (firing.some((a) => !told.has(a.fingerprint))) return "new_alerts";
    if (resolvedToTell.length > 0) return "resolved";
    if (firing.length > 0 && nowMs - group.lastNotifiedAtMs >= route.repeatIntervalMs) return "repeat";
    return undefined;
  }

  private routeMuted(route: RouteNode, nowMs: number): boolean {
    if (route.muteTimeIntervals.some((name) => this.timeIntervals.isActive(name, nowMs))) return true;
    return route.activeTimeIntervals.length > 0 && !route.activeTimeIntervals.some((name) => this.timeIntervals.isActive(name, nowMs));
  }

  /** The firing alerts that can inhibit others, indexed; undefined when there are no inhibit rules. */
  private inhibitionSources(): InhibitionSources | undefined {
    return this.inhibitor.hasRules ? this.inhibitor.sources(this.firingAlerts()) : undefined;
  }

  private firingAlerts(): AlertRecord[] {
    const out: AlertRecord[] = [];
    for (const alert of this.alerts.values()) if (alert.status === "firing") out.push(alert);
    return out;
  }

  /** Points a record about to be held at the pooled copies of its label values and generator (in place). */
  private share(alert: AlertRecord): void {
    const labels = alert.labels as Record<string, string>;
    for (const name in labels) {
      // Equal strings compare equal whichever copy they are: the assignment is what swaps in the pooled one.
      const value = labels[name] as string;
      labels[name] = this.labelValues.intern(value, value);
    }
    const generator = alert.generator;
    if (generator !== undefined) alert.generator = this.generators.intern(`${generator.rule}\u0000${generator.version}`, generator);
  }

  /** One pass over the group, however many leave: a storm resolving thousands at once was quadratic. */
  private removeFromGroup(group: GroupRecord, leaving: ReadonlySet<string>, nowMs: number): void {
    group.fingerprints = group.fingerprints.filter((f) => !leaving.has(f));
    for (const fp of leaving) {
      if (this.membership.unlink(fp, group.id)) this.retire(fp, nowMs);
      else this.dirtyAlerts.add(fp);
    }
  }

  /**
   * A resolve of an episode whose firing is not held here (not come yet, or came before a record kept of an earlier
   * episode), for an alert no group holds: there is nothing to tell, but the episode is kept, so that its firing, should
   * it come late, is known for what it is.
   */
  private keepsAsResolved(existing: AlertRecord | undefined, incoming: AlertRecord, nowMs: number): boolean {
    if (incoming.status !== "resolved" || keptUntilMs(incoming, nowMs) <= nowMs) return false;
    if (existing === undefined) return true;
    return existing.status === "resolved" && incoming.startsAtMs > existing.startsAtMs && !this.membership.has(incoming.fingerprint);
  }

  /** A resolved alert no group holds any more: kept (and stored so) until RESOLVED_KEPT_MS after it ended, then deleted. */
  private retire(fp: string, nowMs: number): void {
    const alert = this.alerts.get(fp);
    const untilMs = alert === undefined ? nowMs : keptUntilMs(alert, nowMs);
    if (untilMs <= nowMs) return this.deleteAlert(fp);
    this.dirtyAlerts.add(fp);
    this.resolvedExpiry.push(untilMs, fp);
  }

  /** Delete the resolved alerts kept long enough that no group holds again (one that fired anew is not touched). */
  private forgetResolved(nowMs: number): void {
    while (this.resolvedExpiry.popDue(nowMs)) {
      const fp = this.resolvedExpiry.poppedItem as string;
      const alert = this.alerts.get(fp);
      // A record kept again since, for a later episode, waits for its own entry.
      const endsAtMs = alert?.endsAtMs;
      if (alert?.status === "resolved" && !this.membership.has(fp) && (endsAtMs === undefined || endsAtMs + RESOLVED_KEPT_MS <= nowMs)) this.deleteAlert(fp);
    }
  }

  private deleteGroup(group: GroupRecord): void {
    this.groups.delete(group.id);
    this.dirtyGroups.add(group.id);
  }

  private deleteAlert(fp: string): void {
    this.alerts.delete(fp);
    this.dirtyAlerts.add(fp);
  }

  private indexRoutes(): void {
    const byId = new Map<string, RouteNode>();
    const visit = (node: RouteNode): void => {
      byId.set(node.id, node);
      node.routes.forEach(visit);
    };
    visit(this.routing.root);
    this.routesById = byId;
  }
}

/** A group's id: a hash of its route and group labels (see groupKey). */
function groupIdOfKey(key: string): string {
  return sha256HexPrefix(key, 20);
}

function groupIdOf(route: RouteNode, labels: Readonly<Record<string, string>>): string {
  return groupIdOfKey(groupKey(route, labels).key);
}

/** Decide what an incoming state change means against what is known, by episode (startsAt) and status. */
/** Until when a resolved alert no group holds is kept: RESOLVED_KEPT_MS after it ended (after now, if it says no end). */
function keptUntilMs(alert: AlertRecord, nowMs: number): number {
  return alert.status === "resolved" ? (alert.endsAtMs ?? nowMs) + RESOLVED_KEPT_MS : nowMs;
}

function classify(existing: AlertRecord | undefined, incoming: AlertRecord): ReceiveOutcome {
  if (!existing) return incoming.status === "firing" ? "new" : "stale";
  if (incoming.startsAtMs < existing.startsAtMs) return "stale";
  if (incoming.startsAtMs > existing.startsAtMs) return incoming.status === "firing" ? "new" : "resolved";
  // Same episode.
  if (existing.status === "resolved") return "duplicate";
  if (incoming.status === "resolved") return "resolved";
  return sameContent(existing, incoming) ? "duplicate" : "updated";
}

function sameContent(a: AlertRecord, b: AlertRecord): boolean {
  return a.value === b.value && labelsEqual(a.annotations, b.annotations);
}

function labelsEqual(a: Labels, b: Labels): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
