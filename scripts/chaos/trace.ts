// When a chaos run loses pages, say where each lost alert stopped: evaluated (its firing transition on the alerts
// stream), grouped (in a group notification), escalated (a page planned) or delivered. A lost page must be a lead
// to follow, not a number.
import type { JetStreamClient } from "@nats-io/jetstream";
import { scanKv } from "../../src/store/jetstream/kv-scan.js";
import { auditRecords } from "../../test/support/audit-records.js";
import { readStream } from "../../test/support/engine.js";
import type { Labelled } from "./timing.js";

/** One line per lost alert, e.g. "chaos-84: fired yes, notified no, pages planned 0". */
export async function traceLost(js: JetStreamClient, lostPages: readonly string[]): Promise<Record<string, string>> {
  const sources = [...new Set(lostPages.map((page) => page.split("/")[0] as string))];
  if (sources.length === 0) return {};
  const alertMessages = (await readStream(js, "KLAXON_ALERTS")).map((m) => ({ seq: m.seq, storedAtMs: m.storedAtMs, alert: m.json<StreamAlert>() }));
  const alerts = alertMessages.map((m) => m.alert);
  const notifications = (await readStream(js, "KLAXON_NOTIFICATIONS")).map((m) => m.json<{ firing?: Labelled[] }>());
  const pages = (await readStream(js, "KLAXON_PAGES")).map((m) => ({ seq: m.seq, page: m.json<{ id?: string; title?: string; channel?: string }>() }));
  const deliveries = await deliveryRecords(js);
  const escalation = new Map((await scanKv(js, "klaxon-escalation", "page.").catch(() => [])).map((r) => [r.key, (JSON.parse(new TextDecoder().decode(r.value)) as { status?: string }).status ?? "?"]));
  // What the notify stage said of a page message it gave up on or parked (by stream sequence), and of a delivery.
  const allAudit = await auditRecords<AuditLine>(js).catch(() => []);
  const audit = allAudit.filter((r) => /^notify\.(failed|skipped|dead)/.test(r.action));
  const out: Record<string, string> = {};
  /** Evaluation roles whose partition held an alert that never fired: their lease and history are told below. */
  const stalled = new Set<string>();
  for (const source of sources) {
    const fired = alerts.some((a) => a.labels["source"] === source && a.status === "firing");
    const notified = notifications.some((n) => (n.firing ?? []).some((a) => a.labels["source"] === source));
    const planned = pages.filter((p) => p.page.title?.includes(`${source} `) === true);
    const lostChannels = lostPages.filter((page) => page.startsWith(`${source}/`)).map((page) => page.split("/")[1]);
    // Where the lost channel's page got to: its message on the pages stream and its delivery record, if any.
    const where = planned
      .filter((p) => lostChannels.includes(p.page.channel))
      .map((p) => {
        const said = audit.filter((r) => r.details?.seq === p.seq || r.details?.delivery === p.page.id).map((r) => `${r.action} ${JSON.stringify(r.details)}`);
        return `${p.page.channel} page ${p.page.id ?? "?"} (stream seq ${p.seq}): ${deliveries.get(p.page.id ?? "") ?? "no delivery record"}${said.length ? `; audit: ${said.join(", ")}` : ""}`;
      });
    // A lost channel never planned: what the escalation stage stored of its page claim (scheduled = claimed, unsent).
    const incidents = new Set(planned.flatMap((p) => (p.page.id ? [p.page.id.split(".")[0] as string] : [])));
    const claims = [...escalation.entries()].filter(([key]) => incidents.has(key.split(".")[1] ?? "") && lostChannels.some((channel) => key.endsWith(`.${channel}`))).map(([key, status]) => `${key} ${status}`);
    // Never fired: where its events are (stream sequences, partition) and where that partition's consumer stood.
    const events = fired ? [] : await readStream(js, "KLAXON_EVENTS", `events.part.*.metric.${source}`).catch(() => []);
    const partition = events[0]?.subject.split(".")[2];
    const consumer = partition === undefined ? undefined : await (await js.jetstreamManager()).consumers.info("KLAXON_EVENTS", `klaxon-evaluate-p${partition}`).catch(() => undefined);
    const evaluated = events.length === 0 ? "" : `; events at stream seq ${events.map((e) => e.seq).join(", ")} (partition ${partition ?? "?"})${consumer ? `, its consumer: ack floor ${consumer.ack_floor.stream_seq}, ack pending ${consumer.num_ack_pending}, delivered up to ${consumer.delivered.stream_seq}, pending ${consumer.num_pending}, waiting pulls ${consumer.num_waiting}` : ""}`;
    if (partition !== undefined) stalled.add(`evaluate-p${partition}`);
    const stage = fired && !notified ? await coordinatorStory(js, alertMessages, allAudit, source) : "";
    out[source] = `fired ${fired ? "yes" : "no"}${evaluated}${stage}, notified ${notified ? "yes" : "no"}, pages planned ${planned.length ? planned.map((p) => p.page.channel ?? "?").join("+") : "none"}${where.length ? `; ${where.join("; ")}` : ""}${claims.length ? `; page claims: ${claims.join(", ")}` : ""}`;
  }
  // Who held the coordinator at the end, and since when: a holder whose stages stopped reading looks alive.
  const leases = await scanKv(js, "klaxon-cluster", "lease.").catch(() => []);
  const decoder = new TextDecoder();
  for (const { key, value, createdAtMs } of leases.filter((l) => l.key === "lease.coordinator" || stalled.has(l.key.slice("lease.".length)))) {
    out[key] = `${decoder.decode(value)} (written ${new Date(createdAtMs).toISOString()})`;
  }
  // A partition that stopped taking events: every role change of it, by whom and when.
  for (const role of stalled) {
    const history = allAudit.filter((r) => r.action.startsWith("cluster.") && r.details?.["role"] === role);
    out[`history ${role}`] = history.map((r) => `${new Date(r.timeMs ?? 0).toISOString().slice(11, 23)} ${r.action} by ${r.actor ?? "?"} ${JSON.stringify(r.details)}`).join("; ") || "no cluster records";
  }
  // Where the notify stage's consumers stood at the end: messages still pending, in flight (and for how many), taken.
  const jsm = await js.jetstreamManager();
  for (const stream of ["KLAXON_PAGES", "KLAXON_NOTIFICATIONS"]) {
    const info = await jsm.consumers.info(stream, "klaxon-notify").catch(() => undefined);
    if (info) out[`consumer ${stream}/klaxon-notify`] = `pending ${info.num_pending}, ack pending ${info.num_ack_pending}, redelivered ${info.num_redelivered}, waiting pulls ${info.num_waiting}, delivered ${info.delivered.consumer_seq} (stream ${info.delivered.stream_seq}), ack floor ${info.ack_floor.stream_seq}, max_deliver ${info.config.max_deliver}`;
  }
  return out;
}

/** An alert message as the trace reads it. */
type StreamAlert = Labelled & { fingerprint?: string };

interface AuditLine {
  action: string;
  actor?: string;
  timeMs?: number;
  subject?: string;
  details?: Record<string, unknown>;
}

/**
 * For an alert whose firing is on the alerts stream but that no group notification listed: its alert messages (stream
 * sequence, status, when stored), what the alert stage audited of it and by which replica, the coordinator's role
 * changes within 15 s of its firing, and where the alert stage's consumer stood at the end.
 */
async function coordinatorStory(js: JetStreamClient, alertMessages: ReadonlyArray<{ seq: number; storedAtMs: number; alert: StreamAlert }>, audit: readonly AuditLine[], source: string): Promise<string> {
  const mine = alertMessages.filter((m) => m.alert.labels["source"] === source);
  const fingerprints = new Set(mine.map((m) => m.alert.fingerprint));
  const firedAtMs = mine[0]?.storedAtMs ?? 0;
  const at = (ms: number | undefined): string => (ms === undefined ? "?" : `${((ms - firedAtMs) / 1_000).toFixed(2)} s`);
  const messages = mine.map((m) => `seq ${m.seq} ${m.alert.status} at ${at(m.storedAtMs)}`);
  const audited = audit.filter((r) => r.subject !== undefined && fingerprints.has(r.subject)).map((r) => `${r.action} by ${r.actor ?? "?"} at ${at(r.timeMs)}`);
  const roles = audit
    .filter((r) => r.action.startsWith("cluster.") && r.details?.["role"] === "coordinator" && r.timeMs !== undefined && Math.abs(r.timeMs - firedAtMs) < 15_000)
    .map((r) => `${r.action} by ${r.actor ?? "?"} at ${at(r.timeMs)}${r.details?.["from"] ? ` from ${String(r.details["from"])}` : ""}`);
  const consumer = await (await js.jetstreamManager()).consumers.info("KLAXON_ALERTS", "klaxon-alerts").catch(() => undefined);
  const where = consumer ? `; alert stage consumer at the end: ack floor ${consumer.ack_floor.stream_seq}, pending ${consumer.num_pending}, ack pending ${consumer.num_ack_pending}, redelivered ${consumer.num_redelivered}` : "";
  return `; alert messages ${messages.join(", ")} (times from the firing's); audited ${audited.length ? audited.join(", ") : "nothing"}; coordinator role changes ${roles.length ? roles.join(", ") : "none"}${where}`;
}

/** Delivery records of the notify stage's bucket (`delivery.<id>`), summed up as "status, attempts, error". */
async function deliveryRecords(js: JetStreamClient): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const decoder = new TextDecoder();
  for (const { key, value } of await scanKv(js, "klaxon-notify", "delivery.").catch(() => [])) {
    const record = JSON.parse(decoder.decode(value)) as Record<string, unknown>;
    const summary = ["status", "channel", "tried", "reason", "startedAtMs", "heartbeatAtMs", "finishedAtMs", "contentDigest"]
      .filter((field) => record[field] !== undefined)
      .map((field) => `${field} ${JSON.stringify(record[field])}`)
      .join(", ");
    out.set(key.slice("delivery.".length), summary);
  }
  return out;
}

/**
 * For each alert left firing: its events (stream sequence, value) and the transitions published for it (status and
 * when its episode started), and where its partition's consumer stood. Says whether the resolve was never evaluated
 * (no resolved transition) or evaluated and not applied.
 */
export async function traceStillFiring(js: JetStreamClient, sources: readonly string[]): Promise<Record<string, string>> {
  if (sources.length === 0) return {};
  const alerts = (await readStream(js, "KLAXON_ALERTS")).map((m) => ({ seq: m.seq, alert: m.json<StreamAlert & { status?: string; startsAt?: string; endsAt?: string }>() }));
  const jsm = await js.jetstreamManager();
  const out: Record<string, string> = {};
  for (const source of sources) {
    const events = await readStream(js, "KLAXON_EVENTS", `events.part.*.metric.${source}`).catch(() => []);
    const partition = events[0]?.subject.split(".")[2];
    const consumer = partition === undefined ? undefined : await jsm.consumers.info("KLAXON_EVENTS", `klaxon-evaluate-p${partition}`).catch(() => undefined);
    const eventText = events.map((e) => `#${e.seq} ${String(e.json<{ value?: number }>().value)}`).join(", ");
    const transitions = alerts.filter((a) => a.alert.labels["source"] === source).map((a) => `#${a.seq} ${a.alert.status ?? "?"} from ${a.alert.startsAt ?? "?"}${a.alert.endsAt ? ` to ${a.alert.endsAt}` : ""}`);
    out[`still firing ${source}`] = `events ${eventText || "none"} (partition ${partition ?? "?"}${consumer ? `; its consumer: ack floor ${consumer.ack_floor.stream_seq}, ack pending ${consumer.num_ack_pending}, delivered up to ${consumer.delivered.stream_seq}, pending ${consumer.num_pending}, redelivered ${consumer.num_redelivered}` : ""}); transitions ${transitions.join(", ") || "none"}`;
  }
  return out;
}