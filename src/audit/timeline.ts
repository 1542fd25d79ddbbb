import { compareStreamOrder, type StoredRecord } from "./record.js";

/** One alert's or one incident's life, in time order. */
export interface Timeline {
  id: string;
  kind: "alert" | "incident";
  /** The alerts involved (one for an alert; every alert of the incident's group episode). */
  fingerprints: string[];
  incidents: string[];
  records: StoredRecord[];
}

/**
 * Collects what happened to an alert (by fingerprint) or an incident (by id) from audit records: the alert firing
 * and resolving, the group notifications that carried it, the incidents those opened or joined, their pages,
 * escalations, acknowledgments and resolve, and the silences that muted it. Undefined when no record knows `id`.
 */
export function buildTimeline(records: readonly StoredRecord[], id: string): Timeline | undefined {
  const graph = new AuditGraph(records);
  const picked = graph.isIncident(id) ? graph.incidentLife(id) : graph.alertLife(id);
  if (picked.records.size === 0) return undefined;
  return {
    id,
    kind: graph.isIncident(id) ? "incident" : "alert",
    fingerprints: [...picked.fingerprints].sort(),
    incidents: [...picked.incidents].sort(),
    records: [...picked.records].sort((a, b) => a.timeMs - b.timeMs || compareStreamOrder(a, b)),
  };
}

interface Opened {
  id: string;
  groupId: string;
  timeMs: number;
}

interface Picked {
  fingerprints: Set<string>;
  incidents: Set<string>;
  records: Set<StoredRecord>;
}

/** The links between records: which notifications carried which alerts, which incident each notification opened. */
class AuditGraph {
  private readonly notifications: StoredRecord[] = [];
  private readonly opened = new Map<string, Opened>();
  private readonly resolvedAt = new Map<string, number>();
  private readonly bySubject = new Map<string, StoredRecord[]>();

  constructor(records: readonly StoredRecord[]) {
    for (const record of records) {
      if (record.subject !== undefined) {
        const list = this.bySubject.get(record.subject) ?? [];
        list.push(record);
        this.bySubject.set(record.subject, list);
      }
      if (record.action === "group.notified") this.notifications.push(record);
      if (record.action === "incident.opened" && record.subject !== undefined && typeof record.details?.groupId === "string") {
        this.opened.set(record.subject, { id: record.subject, groupId: record.details.groupId, timeMs: record.timeMs });
      }
      if (record.action === "incident.resolved" && record.subject !== undefined && !this.resolvedAt.has(record.subject)) this.resolvedAt.set(record.subject, record.timeMs);
    }
  }

  isIncident(id: string): boolean {
    return (this.bySubject.get(id) ?? []).some((r) => r.action.startsWith("incident."));
  }

  alertLife(fingerprint: string): Picked {
    const picked: Picked = { fingerprints: new Set([fingerprint]), incidents: new Set(), records: new Set() };
    for (const record of this.bySubject.get(fingerprint) ?? []) if (record.action.startsWith("alert.")) picked.records.add(record);
    const silences = new Set<string>();
    for (const n of this.notifications) {
      const carried = carriedAlerts(n);
      const muted = mutedBy(n, fingerprint);
      if (!carried.includes(fingerprint) && muted.length === 0) continue;
      picked.records.add(n);
      for (const silence of muted) silences.add(silence);
      if (!carried.includes(fingerprint)) continue;
      for (const incident of this.opened.values()) {
        const openedByThis = incidentIdOf(n) === incident.id;
        const openWhenSent = incident.groupId === n.subject && incident.timeMs <= n.timeMs && n.timeMs <= (this.resolvedAt.get(incident.id) ?? Infinity);
        if (openedByThis || openWhenSent) picked.incidents.add(incident.id);
      }
    }
    for (const incident of picked.incidents) for (const record of this.bySubject.get(incident) ?? []) picked.records.add(record);
    for (const silence of silences) for (const record of this.bySubject.get(silence) ?? []) if (record.action.startsWith("silence.")) picked.records.add(record);
    return picked;
  }

  incidentLife(incidentId: string): Picked {
    const picked: Picked = { fingerprints: new Set(), incidents: new Set([incidentId]), records: new Set(this.bySubject.get(incidentId) ?? []) };
    const opened = this.opened.get(incidentId);
    if (!opened) return picked;
    // The incident's stretch of its group's life: from the notification that opened it until the group's next
    // incident (or that incident's opening notification) begins.
    const startMs = this.openingTime(opened);
    const stopMs = Math.min(...[...this.opened.values()].filter((o) => o.groupId === opened.groupId && o.timeMs > opened.timeMs).map((o) => this.openingTime(o)), Infinity);
    for (const n of this.notifications) {
      if (n.subject !== opened.groupId || n.timeMs < startMs || n.timeMs >= stopMs) continue;
      picked.records.add(n);
      for (const fp of carriedAlerts(n)) picked.fingerprints.add(fp);
    }
    // Each alert's episode: the firing that was on when the incident opened (or the first one after, for an alert
    // that joined), and the resolve that ended it.
    for (const fp of picked.fingerprints) {
      const alertRecords = (this.bySubject.get(fp) ?? []).filter((r) => r.action.startsWith("alert.")).sort((a, b) => a.timeMs - b.timeMs || compareStreamOrder(a, b));
      const fired = alertRecords.filter((r) => r.action === "alert.fired");
      const episode = fired.filter((r) => r.timeMs <= startMs).at(-1) ?? fired.find((r) => r.timeMs < stopMs);
      if (!episode) continue;
      picked.records.add(episode);
      const resolved = alertRecords.find((r) => r.action === "alert.resolved" && r.timeMs >= episode.timeMs && compareStreamOrder(r, episode) > 0);
      if (resolved) picked.records.add(resolved);
    }
    return picked;
  }

  /** When an incident's story starts: its opening notification, or its own record if that came first. */
  private openingTime(incident: Opened): number {
    const opening = this.notifications.find((n) => incidentIdOf(n) === incident.id);
    return Math.min(opening?.timeMs ?? incident.timeMs, incident.timeMs);
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The alerts a notification told its receiver about (firing or resolved; muted ones were held back). */
function carriedAlerts(notification: StoredRecord): string[] {
  return [...strings(notification.details?.firing), ...strings(notification.details?.resolved)];
}

/** The silences (not inhibitions) that held `fingerprint` back in this notification. */
function mutedBy(notification: StoredRecord, fingerprint: string): string[] {
  const muted = notification.details?.muted;
  if (!Array.isArray(muted)) return [];
  const entry = muted.find((m): m is { fingerprint: string; by: unknown } => typeof m === "object" && m !== null && (m as { fingerprint?: unknown }).fingerprint === fingerprint);
  return entry ? strings(entry.by).filter((by) => by !== "inhibited") : [];
}

/** The escalation stage names an incident after the notification that opened it (every ':' of its id becomes '-'). */
function incidentIdOf(notification: StoredRecord): string | undefined {
  const id = notification.details?.notification;
  return typeof id === "string" ? id.replace(/:/g, "-") : undefined;
}
