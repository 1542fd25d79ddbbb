import type { AlertView, IncidentView, Purpose, TemplateContext } from "./model.js";

/** An alert as the alert stage stores it (times in epoch ms). */
export interface AlertInput {
  fingerprint: string;
  status: "firing" | "resolved";
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  startsAtMs: number;
  endsAtMs?: number | undefined;
}

/** An incident as the escalation stage stores it (0-based level). */
export interface IncidentInput {
  id: string;
  state: "triggered" | "acknowledged" | "resolved";
  level: number;
  round: number;
  acknowledgedBy?: string;
  acknowledgedVia?: string;
  resolvedBy?: string;
  resolvedVia?: string;
}

export interface ContextInput {
  purpose: Purpose;
  title: string;
  receiver: string;
  groupId: string;
  groupLabels: Readonly<Record<string, string>>;
  alerts: readonly AlertInput[];
  /** How many alerts fire and resolved in all, when `alerts` lists only the first of them. */
  counts?: { firing: number; resolved: number } | undefined;
  incident?: IncidentInput | undefined;
  recipient?: { id: string; name: string } | undefined;
  replyCode?: string | undefined;
  atMs: number;
}

const SEVERITY_ORDER = ["critical", "error", "warning", "info"];

const sortedList = (labels: Readonly<Record<string, string>>): Array<{ name: string; value: string }> =>
  Object.keys(labels)
    .sort()
    .map((name) => ({ name, value: labels[name] as string }));

export function alertView(alert: AlertInput): AlertView {
  return {
    fingerprint: alert.fingerprint,
    status: alert.status,
    alertname: alert.labels.alertname ?? "alert",
    severity: alert.labels.severity ?? "unknown",
    summary: alert.annotations.summary ?? alert.annotations.description ?? alert.labels.alertname ?? "",
    labels: { ...alert.labels },
    labelList: sortedList(alert.labels),
    annotations: { ...alert.annotations },
    startsAt: new Date(alert.startsAtMs).toISOString(),
    endsAt: alert.endsAtMs === undefined ? null : new Date(alert.endsAtMs).toISOString(),
  };
}

function incidentView(incident: IncidentInput): IncidentView {
  return {
    id: incident.id,
    state: incident.state,
    level: incident.level + 1,
    round: incident.round,
    acknowledgedBy: incident.acknowledgedBy ?? null,
    acknowledgedVia: incident.acknowledgedVia ?? null,
    resolvedBy: incident.resolvedBy ?? null,
    resolvedVia: incident.resolvedVia ?? null,
  };
}

/** What a Slack button click refers to: the incident (for ack/resolve) and the group (for silencing). */
export interface ActionRef {
  incident: string | null;
  group: string;
}

/** Build the context every template renders from. Pure: the time of the change is passed in. */
export function buildContext(input: ContextInput): TemplateContext {
  const alerts = input.alerts.map(alertView);
  const firing = alerts.filter((a) => a.status === "firing");
  const ranked = (firing.length > 0 ? firing : alerts).map((a) => a.severity);
  const severity = SEVERITY_ORDER.find((s) => ranked.includes(s)) ?? ranked[0] ?? "unknown";
  const incident = input.incident ? incidentView(input.incident) : null;
  const resolved = input.purpose === "resolved" || incident?.state === "resolved" || (alerts.length > 0 && firing.length === 0);
  const ref: ActionRef = { incident: incident?.id ?? null, group: input.groupId };
  const firingCount = Math.max(firing.length, input.counts?.firing ?? 0);
  const resolvedCount = Math.max(alerts.length - firing.length, input.counts?.resolved ?? 0);
  return {
    purpose: input.purpose,
    title: input.title,
    status: resolved ? "resolved" : "firing",
    severity,
    receiver: input.receiver,
    groupId: input.groupId,
    groupLabels: { ...input.groupLabels },
    groupLabelList: sortedList(input.groupLabels),
    alerts,
    firingCount,
    resolvedCount,
    unlistedCount: Math.max(0, firingCount + resolvedCount - alerts.length),
    incident,
    recipient: input.recipient ?? null,
    replyCode: input.replyCode ?? null,
    at: new Date(input.atMs).toISOString(),
    actionable: !resolved && incident !== null && incident.state !== "resolved",
    actionValue: JSON.stringify(ref),
  };
}

/**
 * How many firing and resolved alerts a group notification stands for: its totals (its lists show only the first
 * alerts), or its lists' lengths for a notification published before the totals existed.
 */
export function notificationTotals(n: { firing: readonly unknown[]; resolved: readonly unknown[]; firingCount?: number | undefined; resolvedCount?: number | undefined }): { firing: number; resolved: number } {
  return { firing: Math.max(n.firing.length, n.firingCount ?? 0), resolved: Math.max(n.resolved.length, n.resolvedCount ?? 0) };
}

/** A title for a group notification without an incident: the first alert and how many more (`total`: listed or not). */
export function groupTitle(alerts: readonly AlertInput[], groupLabels: Readonly<Record<string, string>>, total = alerts.length): string {
  const first = alerts.find((a) => a.status === "firing") ?? alerts[0];
  const count = Math.max(total, alerts.length);
  const more = count > 1 ? ` and ${count - 1} more` : "";
  const what = first?.annotations.summary ?? Object.entries(groupLabels).map(([k, v]) => `${k}=${v}`).join(", ");
  return `${first?.labels.alertname ?? "alert"}${more}: ${what}`;
}
