// The demo listens to the pipeline the way any NATS client could: plain subscriptions on the subjects each stage
// publishes to (alerts, group notifications, pages, dead letters, the audit trail), turned into moments.
import type { NatsConnection, Msg, Subscription } from "@nats-io/transport-node";
import type { Config } from "../../src/config/index.js";
import { recordsOfMessage } from "../../src/audit/block.js";
import type { Moment } from "./moments.js";

interface AlertMessage {
  status: "firing" | "resolved";
  labels: Record<string, string>;
  annotations: Record<string, string>;
}
interface NotificationMessage {
  receiver: string;
  reason: string;
  firing: Array<{ labels: Record<string, string> }>;
  resolved: Array<{ labels: Record<string, string> }>;
}
interface PageMessage {
  incidentId: string;
  user: string;
  channel: string;
  level: number;
  title: string;
}
interface AuditMessage {
  action: string;
  actor: string;
  subject?: string;
  details?: Record<string, unknown>;
}

/** Subscribes and reports every moment; returns a function that unsubscribes. */
export function watchPipeline(nc: NatsConnection, subjects: Config["subjects"], report: (moment: Moment) => void): () => void {
  /** Incident titles, from when each opened: escalations and acknowledgements name the incident by its title. */
  const titles = new Map<string, string>();
  const title = (incidentId: string): string => titles.get(incidentId) ?? incidentId;
  const subscriptions: Subscription[] = [];
  const listen = (subject: string, handle: (message: Msg) => Moment | undefined | Array<Moment | undefined>): void => {
    const subscription = nc.subscribe(subject);
    subscriptions.push(subscription);
    void (async () => {
      for await (const message of subscription) {
        const moments = handle(message);
        for (const moment of Array.isArray(moments) ? moments : [moments]) if (moment !== undefined) report(moment);
      }
    })();
  };

  listen(`${subjects.alerts}.>`, (m) => {
    const alert = m.json<AlertMessage>();
    return { kind: alert.status, alertname: alert.labels["alertname"] ?? "?", severity: alert.labels["severity"] ?? "?", summary: alert.annotations["summary"] ?? "" };
  });
  listen(`${subjects.notifications}.>`, (m) => {
    const n = m.json<NotificationMessage>();
    const names = (alerts: NotificationMessage["firing"]): string[] => alerts.map((a) => a.labels["alertname"] ?? "?");
    return { kind: "notify", receiver: n.receiver, reason: n.reason, firing: names(n.firing), resolved: names(n.resolved) };
  });
  listen(`${subjects.pages}.>`, (m) => {
    // `<pages>.update` carries incident updates for the notify stage, not pages.
    if (m.subject === `${subjects.pages}.update`) return undefined;
    const page = m.json<PageMessage>();
    titles.set(page.incidentId, page.title);
    return { kind: "page", incidentId: page.incidentId, user: page.user, channel: page.channel, level: page.level, title: page.title };
  });
  listen(`${subjects.deadLetter}.>`, (m) => ({ kind: "deadLetter", reason: m.headers?.get("Klaxon-Reason") ?? "?", detail: m.headers?.get("Klaxon-Detail") ?? "" }));
  // A message is one audit record, or a block of them (src/audit/block.ts).
  listen(`${subjects.audit}.>`, (m) => recordsOfMessage(m.json()).map(({ raw }) => auditMoment(raw as AuditMessage)));
  const auditMoment = (record: AuditMessage): Moment | undefined => {
    const incidentId = record.subject ?? "";
    const details = record.details ?? {};
    if (record.action === "incident.opened" && typeof details["title"] === "string") titles.set(incidentId, details["title"]);
    if (record.action === "incident.escalated") return { kind: "escalated", incidentId, title: title(incidentId), level: Number(details["level"] ?? 0), round: Number(details["round"] ?? 0) };
    if (record.action === "incident.acknowledged") return { kind: "acknowledged", incidentId, title: title(incidentId), actor: record.actor, via: String(details["via"] ?? "?") };
    return undefined;
  };
  return () => {
    for (const subscription of subscriptions) subscription.unsubscribe();
  };
}
