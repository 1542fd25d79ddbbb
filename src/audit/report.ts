import type { StoredRecord } from "./record.js";

/** Response figures of one receiver (and the route that sent its alerts there) over the report window. */
export interface ReceiverFigures {
  receiver: string;
  route: string | undefined;
  incidents: number;
  acknowledged: number;
  resolved: number;
  /** Mean time from an incident opening to its first acknowledgment, over the acknowledged ones. */
  mttaMs: number | undefined;
  /** Mean time from an incident opening to its resolve (by a person or by its alerts resolving), over the resolved ones. */
  mttrMs: number | undefined;
}

export interface RuleNoise {
  rule: string;
  fired: number;
}

export interface AuditReport {
  sinceMs: number;
  untilMs: number;
  receivers: ReceiverFigures[];
  /** Rules by how many alerts they fired in the window, most first. */
  noisiestRules: RuleNoise[];
}

interface IncidentTimes {
  groupId: string | undefined;
  openedAtMs: number;
  acknowledgedAtMs?: number;
  resolvedAtMs?: number;
}

/**
 * MTTA and MTTR per receiver/route for the incidents opened in [sinceMs, untilMs], and the rules that fired most
 * alerts in that window. An incident's receiver is the one its group was notified for; acknowledgments and resolves
 * after the window still count, so an incident opened on the last day is measured like the others.
 */
export function buildReport(records: Iterable<StoredRecord>, window: { sinceMs: number; untilMs: number }, topRules = 10): AuditReport {
  const builder = new ReportBuilder(window, topRules);
  for (const record of records) builder.add(record);
  return builder.finish();
}

/** `buildReport` one record at a time, for a scan of the stream that should not hold every record. */
export class ReportBuilder {
  private readonly groups = new Map<string, { receiver: string; route: string | undefined }>();
  private readonly incidents = new Map<string, IncidentTimes>();
  private readonly fired = new Map<string, number>();

  constructor(
    private readonly window: { sinceMs: number; untilMs: number },
    private readonly topRules = 10,
  ) {}

  add(record: StoredRecord): void {
    const details = record.details ?? {};
    const subject = record.subject;
    const inWindow = record.timeMs >= this.window.sinceMs && record.timeMs <= this.window.untilMs;
    if (record.action === "group.notified" && subject !== undefined && typeof details.receiver === "string" && !this.groups.has(subject)) {
      this.groups.set(subject, { receiver: details.receiver, route: typeof details.route === "string" ? details.route : undefined });
    } else if (record.action === "incident.opened" && subject !== undefined && inWindow && !this.incidents.has(subject)) {
      this.incidents.set(subject, { groupId: typeof details.groupId === "string" ? details.groupId : undefined, openedAtMs: record.timeMs });
    } else if (record.action === "incident.acknowledged" && subject !== undefined) {
      const incident = this.incidents.get(subject);
      if (incident && incident.acknowledgedAtMs === undefined) incident.acknowledgedAtMs = record.timeMs;
    } else if (record.action === "incident.resolved" && subject !== undefined) {
      const incident = this.incidents.get(subject);
      if (incident && incident.resolvedAtMs === undefined) incident.resolvedAtMs = record.timeMs;
    } else if (record.action === "alert.fired" && inWindow) {
      const rule = ruleOf(details);
      this.fired.set(rule, (this.fired.get(rule) ?? 0) + 1);
    }
  }

  finish(): AuditReport {
    const byReceiver = new Map<string, { receiver: string; route: string | undefined; toAck: number[]; toResolve: number[]; incidents: number }>();
    for (const incident of this.incidents.values()) {
      const group = incident.groupId === undefined ? undefined : this.groups.get(incident.groupId);
      const receiver = group?.receiver ?? "(unknown receiver)";
      const key = `${receiver}\u0000${group?.route ?? ""}`;
      const figures = byReceiver.get(key) ?? { receiver, route: group?.route, toAck: [], toResolve: [], incidents: 0 };
      figures.incidents++;
      if (incident.acknowledgedAtMs !== undefined) figures.toAck.push(incident.acknowledgedAtMs - incident.openedAtMs);
      if (incident.resolvedAtMs !== undefined) figures.toResolve.push(incident.resolvedAtMs - incident.openedAtMs);
      byReceiver.set(key, figures);
    }
    const receivers = [...byReceiver.values()]
      .map((f) => ({ receiver: f.receiver, route: f.route, incidents: f.incidents, acknowledged: f.toAck.length, resolved: f.toResolve.length, mttaMs: mean(f.toAck), mttrMs: mean(f.toResolve) }))
      .sort((a, b) => b.incidents - a.incidents || compare(a.receiver, b.receiver) || compare(a.route ?? "", b.route ?? ""));
    const noisiestRules = [...this.fired.entries()]
      .map(([rule, count]) => ({ rule, fired: count }))
      .sort((a, b) => b.fired - a.fired || compare(a.rule, b.rule))
      .slice(0, this.topRules);
    return { sinceMs: this.window.sinceMs, untilMs: this.window.untilMs, receivers, noisiestRules };
  }
}

function ruleOf(details: Record<string, unknown>): string {
  const generator = details.generator as { rule?: unknown } | undefined;
  if (typeof generator?.rule === "string") return generator.rule;
  const labels = details.labels as { alertname?: unknown } | undefined;
  return typeof labels?.alertname === "string" ? labels.alertname : "(unknown rule)";
}

function mean(values: number[]): number | undefined {
  return values.length === 0 ? undefined : Math.round(values.reduce((sum, v) => sum + v, 0) / values.length);
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
