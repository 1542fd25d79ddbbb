import { hostname, userInfo } from "node:os";
import { randomUUID } from "node:crypto";
import { connect, type Msg } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { fingerprint } from "../../alerts/fingerprint.js";
import { findRoutes, labelsForRoute } from "../../alerts/route-labels.js";
import type { AlertTransition } from "../../alerts/alert.js";
import { recordsOfMessage } from "../../audit/block.js";
import type { GroupNotification } from "../../alerts/dispatcher.types.js";
import { loadConfig } from "../../config/load.js";
import { formatIssue } from "../../core/errors.js";
import { parseDuration } from "../../core/duration.js";
import { loadRouting } from "../../rules/routing-loader.js";
import { JetStreamAlertSink, JetStreamAuditSink } from "../../store/jetstream/sinks.js";
import { KvEscalationStore } from "../../store/jetstream/escalation-store.js";
import { EscalationService } from "../../app/escalation-service.js";
import { EMPTY_DIRECTORY } from "../../escalate/directory.js";
import { systemClock } from "../../core/clock.js";
import type { Output } from "../output.js";

export interface DrillOptions {
  route?: string;
  label?: string[];
  nats?: string;
  rules?: string;
  timeout?: string;
  author?: string;
}

interface AuditRecord {
  action: string;
  actor?: string;
  timeMs: number;
  subject?: string;
  details?: Record<string, unknown>;
}

/**
 * `klaxon drill`: a synthetic alert sent through the running pipeline — grouping, escalation, every channel — with
 * each step printed as it happens, then resolved. A controlled brown-out that proves paging works, in production.
 * Exit code 0 only if every page planned for it was delivered.
 */
export async function drillCommand(options: DrillOptions, out: Output): Promise<number> {
  const config = await loadConfig({ env: process.env, overrides: { ...(options.nats ? { nats: { servers: options.nats.split(",") } } : {}), ...(options.rules ? { rulesDir: options.rules } : {}) } });
  const routing = await loadRouting(config.rulesDir);
  if (!routing.loaded) {
    for (const issue of routing.issues) out.err(`error: ${formatIssue(issue)}`);
    return 1;
  }
  const drillId = randomUUID().slice(0, 8);
  const extra: Record<string, string> = {};
  for (const pair of options.label ?? []) {
    const at = pair.indexOf("=");
    if (at <= 0) {
      out.err(`error: --label "${pair}" is not name=value`);
      return 2;
    }
    extra[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const base = { alertname: "KlaxonDrill", severity: "critical", drill: drillId, ...extra };
  let labels: Record<string, string> = base;
  if (options.route) {
    const root = routing.loaded.routing.root;
    const targets = findRoutes(root, options.route);
    if (targets.length === 0) {
      out.err(`error: --route "${options.route}": no route has this id or receiver (klaxon routes test shows ids)`);
      return 2;
    }
    const found = targets.map((t) => labelsForRoute(root, t, base)).find((l) => l !== undefined);
    if (!found) {
      out.err(`error: --route "${options.route}": cannot derive labels that reach it from its matchers; pass them with --label name=value`);
      return 2;
    }
    labels = { ...found };
  }
  const timeoutMs = parseDuration(options.timeout ?? "3m");
  if (timeoutMs === undefined) {
    out.err(`error: --timeout "${options.timeout}" is not a duration such as 90s or 3m`);
    return 2;
  }
  const fp = fingerprint(labels);
  const who = options.author ?? `${userInfo().username}@${hostname()}`;
  const started = Date.now();
  const elapsed = (): string => `+${((Date.now() - started) / 1000).toFixed(1)}s`;

  const nc = await connect({ servers: config.nats.servers });
  const incidents = new Set<string>();
  const planned = new Map<string, string>(); // page id → "user/channel"
  const delivered = new Map<string, string>();
  const failed = new Map<string, string>();
  let resolvedIncidents = 0;
  // A message is one audit record, or a block of them (src/audit/block.ts).
  const onAudit = (m: Msg): void => {
    for (const { raw } of recordsOfMessage(m.json())) onRecord(raw as AuditRecord);
  };
  const onRecord = (record: AuditRecord): void => {
    const text = JSON.stringify(record);
    if (record.action === "incident.opened" && groupIds.has(String(record.details?.groupId))) {
      incidents.add(String(record.subject));
      out.log(`${elapsed()} incident ${String(record.subject)} opened (policy ${String(record.details?.policy)})`);
      return;
    }
    const incident = [...incidents].find((id) => text.includes(id));
    if (!incident) return;
    const page = String(record.details?.page ?? record.details?.delivery ?? "");
    if (record.action === "page.sent") {
      planned.set(page, `${String(record.details?.user)}/${String(record.details?.channel)}`);
      out.log(`${elapsed()} page to ${String(record.details?.user)} on ${String(record.details?.channel)} handed to the channel`);
    } else if (record.action === "notify.sent" && page) {
      const to = record.details?.user ? `to ${String(record.details.user)}` : "to the receiver's own channel";
      if (planned.has(page)) delivered.set(page, String(record.details?.channel ?? ""));
      out.log(`${elapsed()} delivered by ${String(record.details?.channel ?? "?")} ${to}`);
    } else if ((record.action === "notify.failed" || record.action === "notify.fallback") && page) {
      failed.set(page, record.action);
      out.log(`${elapsed()} ${record.action} ${String(record.details?.channel ?? "")}: ${String(record.details?.error ?? record.details?.reason ?? "")}`);
    } else if (record.action === "page.unreachable") {
      out.log(`${elapsed()} UNREACHABLE: ${String(record.details?.target)}: ${String(record.details?.reason)}`);
    } else if (record.action === "incident.resolved") {
      resolvedIncidents++;
      out.log(`${elapsed()} incident ${incident} resolved by ${String(record.actor ?? "?")}`);
    }
  };
  const groupIds = new Set<string>();
  const onNotification = (m: Msg): void => {
    const notification = m.json<GroupNotification>();
    if (!notification.firing.some((a) => a.fingerprint === fp) && !notification.resolved.some((a) => a.fingerprint === fp)) return;
    if (!groupIds.has(notification.groupId)) out.log(`${elapsed()} grouped and notified to receiver ${notification.receiver} (group ${notification.groupId})`);
    groupIds.add(notification.groupId);
  };
  const auditSub = nc.subscribe(`${config.subjects.audit}.>`, { callback: (_e, m) => onAudit(m) });
  const notifySub = nc.subscribe(`${config.subjects.notifications}.>`, { callback: (_e, m) => onNotification(m) });
  await nc.flush();
  try {
    const sink = new JetStreamAlertSink(jetstream(nc), config.subjects.alerts);
    const firing: AlertTransition = {
      status: "firing",
      fingerprint: fp,
      labels,
      annotations: { summary: `Klaxon drill ${drillId} started by ${who}: no action needed, it resolves itself` },
      startsAtMs: started,
      rule: { id: "klaxon-drill", version: 1 },
    };
    out.log(`drill ${drillId}: firing a synthetic alert {${Object.entries(labels).map(([k, v]) => `${k}="${v}"`).join(", ")}}`);
    await sink.publish(firing);
    const settled = (): boolean => planned.size > 0 && [...planned.keys()].every((page) => delivered.has(page) || failed.has(page));
    const deadline = started + timeoutMs;
    while (Date.now() < deadline && !settled()) await new Promise((r) => setTimeout(r, 200));
    if (planned.size === 0) out.log(`${elapsed()} no page within ${options.timeout ?? "3m"}: is the engine running, and does the route have an escalation policy?`);
    // Resolve the alert, and close its incidents now rather than at the group's next interval: paging stops at once.
    await sink.publish({ ...firing, status: "resolved", endsAtMs: Date.now() });
    out.log(`${elapsed()} resolving the drill alert and its incident`);
    const incidentsService = new EscalationService(await KvEscalationStore.open(nc, config.state.escalationBucket), new JetStreamAuditSink(jetstream(nc), config.subjects.audit), systemClock, () => EMPTY_DIRECTORY);
    for (const id of incidents) await incidentsService.resolve(id, who, "drill");
    const resolveDeadline = Date.now() + 10_000;
    while (resolvedIncidents < incidents.size && Date.now() < resolveDeadline) await new Promise((r) => setTimeout(r, 100));
    const missing = [...planned].filter(([page]) => !delivered.has(page)).map(([, what]) => what);
    out.log(`drill ${drillId}: ${delivered.size}/${planned.size} pages delivered${missing.length > 0 ? `; NOT delivered: ${missing.join(", ")}` : ""}`);
    return planned.size > 0 && missing.length === 0 ? 0 : 1;
  } finally {
    auditSub.unsubscribe();
    notifySub.unsubscribe();
    await nc.close();
  }
}
