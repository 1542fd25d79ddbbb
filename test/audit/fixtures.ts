// Audit records as the engine writes them, for the pure query tests: one helper per action, times in minutes.
import type { StoredRecord } from "../../src/audit/record.js";

export const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
export const MIN = 60_000;

/** Builds records in stream order; `at` is minutes after T0. */
export class Trail {
  readonly records: StoredRecord[] = [];

  add(at: number, action: string, subject: string | undefined, details: Record<string, unknown> = {}, actor = "engine"): StoredRecord {
    const record: StoredRecord = { streamSeq: this.records.length + 1, action, actor, timeMs: T0 + at * MIN, details, ...(subject === undefined ? {} : { subject }) };
    this.records.push(record);
    return record;
  }

  fired(at: number, fp: string, rule: string): StoredRecord {
    return this.add(at, "alert.fired", fp, { labels: { alertname: rule, severity: "critical" }, generator: { rule, version: 1 } });
  }

  resolved(at: number, fp: string, rule: string): StoredRecord {
    return this.add(at, "alert.resolved", fp, { labels: { alertname: rule }, generator: { rule, version: 1 } });
  }

  notified(at: number, group: string, n: number, receiver: string, route: string, alerts: { firing?: string[]; resolved?: string[]; muted?: Array<{ fingerprint: string; by: string[] }> }): StoredRecord {
    return this.add(at, "group.notified", group, { notification: `${group}:${n}`, receiver, route, reason: n === 1 ? "first" : "new_alerts", firing: alerts.firing ?? [], resolved: alerts.resolved ?? [], muted: alerts.muted ?? [] });
  }

  opened(at: number, group: string, n: number): StoredRecord {
    return this.add(at, "incident.opened", `${group}-${n}`, { policy: "p", groupId: group, title: "t" });
  }
}
