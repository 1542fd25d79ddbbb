import { formatMatcher } from "../alerts/matchers.js";
import type { Matcher } from "../alerts/model.js";
import { formatDuration } from "../core/duration.js";
import { describePlace } from "./block.js";
import type { AuditReport } from "./report.js";
import type { StoredRecord } from "./record.js";
import type { Timeline } from "./timeline.js";
import type { VerifyResult } from "./verify.js";

/** Human-readable renderings of audit records, timelines, reports and verify results, for the CLI. */

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Rounded to whole seconds: an MTTA of "2m30s" reads better than "2m30s417ms". */
export function humanDuration(ms: number | undefined): string {
  if (ms === undefined) return "-";
  return ms < 1_000 ? `${ms}ms` : formatDuration(Math.round(ms / 1_000) * 1_000);
}

/** One line per record: when, what, who, about what, and the gist of its details. */
export function formatRecordLine(record: StoredRecord): string {
  const where = record.chain === undefined ? "" : `  [${record.chain}#${record.seq ?? "?"}]`;
  return `${isoTime(record.timeMs)}  ${record.action.padEnd(22)}  ${record.actor.padEnd(12)}  ${record.subject ?? "-"}  ${describeRecord(record)}${where}`;
}

const str = (value: unknown): string => (typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? String(value) : "?");
const count = (value: unknown): number => (Array.isArray(value) ? value.length : 0);
const levelOf = (details: Record<string, unknown>): string => `level ${typeof details.level === "number" ? details.level + 1 : "?"}${typeof details.round === "number" && details.round > 0 ? `, round ${details.round + 1}` : ""}`;

/** The gist of one record, in words; records without a dedicated rendering show their details as JSON. */
export function describeRecord(record: StoredRecord): string {
  const d = record.details ?? {};
  const labels = (d.labels ?? {}) as Record<string, unknown>;
  switch (record.action) {
    case "alert.fired":
      return `${str(labels.alertname)} fired {${Object.entries(labels).filter(([k]) => k !== "alertname").sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}="${str(v)}"`).join(", ")}}`;
    case "alert.resolved":
      return `${str(labels.alertname)} resolved`;
    case "group.notified":
      return `${str(d.receiver)} notified (${str(d.reason)}): ${count(d.firing)} firing, ${count(d.resolved)} resolved${count(d.muted) > 0 ? `, ${count(d.muted)} muted` : ""}`;
    case "group.notification_failed":
      return `notification to ${str(d.receiver)} (${str(d.reason)}) could not be published: ${str(d.error)}`;
    case "incident.opened":
      return `incident opened with policy ${str(d.policy)}: ${str(d.title)}`;
    case "incident.escalated":
      return `escalated to ${levelOf(d)}${typeof d.lateByMs === "number" && d.lateByMs >= 1_000 ? ` (${humanDuration(d.lateByMs)} late)` : ""}`;
    case "incident.acknowledged":
      return `acknowledged by ${record.actor} via ${str(d.via)}`;
    case "incident.resolved":
      return d.via === "system" ? `resolved by Klaxon: ${typeof d.reason === "string" ? d.reason : "its alerts resolved"}` : `resolved by ${record.actor} via ${str(d.via)}`;
    case "incident.ack_timeout":
      return `acknowledgment by ${str(d.acknowledgedBy)} timed out: escalating again from level 1`;
    case "page.sent":
      return `paged ${str(d.user)} via ${str(d.channel)} (${levelOf(d)})`;
    case "page.unreachable":
      return `cannot page ${str(d.target)}: ${str(d.reason)} (${levelOf(d)})`;
    case "silence.created":
      return `silence created via ${str(d.channel)}: ${describeSilence(d.silence)}`;
    case "silence.expired":
      return `silence expired via ${str(d.channel)}`;
    case "deadletter.sent":
      return `${str(d.reason)} from ${str(d.originalSubject)}${d.streamSequence === undefined ? "" : ` #${str(d.streamSequence)}`}: ${str(d.detail)}`;
    case "jetstream.redelivery":
      return `${count(d.redeliveries)} redelivered on ${str(d.stream)}/${str(d.consumer)}: ${(Array.isArray(d.redeliveries) ? (d.redeliveries as Array<Record<string, unknown>>) : [])
        .slice(0, 5)
        .map((r) => `#${str(r.sequence)} (delivery ${str(r.deliveryCount)})`)
        .join(", ")}${count(d.redeliveries) > 5 ? ", ..." : ""}`;
    case "rules.added":
    case "rules.changed":
    case "rules.removed":
      return `${str(d.ruleId)} v${d.oldVersion === undefined ? "-" : str(d.oldVersion)} → v${d.newVersion === undefined ? "-" : str(d.newVersion)} (${str(d.file)})${describeGit(d.git)}`;
    case "engine.start":
      return `${str(d.instance)} started with ${str(d.rules)} rules (rules ${str(d.rulesHash).slice(0, 12)}, routing ${str(d.routingHash).slice(0, 12)})${describeGit(d.git)}`;
    case "nats.disconnect":
    case "nats.reconnect":
      return `${record.action === "nats.disconnect" ? "lost" : "back on"} ${str(d.server)}`;
    default:
      return compactJson(d);
  }
}

function describeSilence(value: unknown): string {
  const s = (value ?? {}) as { matchers?: unknown; endsAtMs?: unknown; comment?: unknown };
  const matchers = Array.isArray(s.matchers) ? s.matchers.map((m) => (isMatcher(m) ? formatMatcher(m) : JSON.stringify(m))).join(", ") : "?";
  return `{${matchers}} until ${typeof s.endsAtMs === "number" ? isoTime(s.endsAtMs) : "?"}: ${str(s.comment)}`;
}

function isMatcher(value: unknown): value is Matcher {
  const m = value as Partial<Matcher> | null;
  return typeof m === "object" && m !== null && typeof m.name === "string" && typeof m.op === "string" && typeof m.value === "string";
}

function describeGit(value: unknown): string {
  const git = value as { commit?: unknown; dirty?: unknown } | undefined;
  return typeof git?.commit === "string" ? ` at ${git.commit.slice(0, 12)}${git.dirty === true ? " (dirty)" : ""}` : "";
}

function compactJson(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}

export function formatTimeline(timeline: Timeline): string[] {
  const head = timeline.kind === "alert" ? `alert ${timeline.id}` : `incident ${timeline.id} (alerts ${timeline.fingerprints.join(", ") || "-"})`;
  const also = timeline.kind === "alert" && timeline.incidents.length > 0 ? `; incidents ${timeline.incidents.join(", ")}` : "";
  return [`${head}${also}`, ...timeline.records.map((r) => `  ${isoTime(r.timeMs)}  ${r.action.padEnd(22)}  ${describeRecord(r)}`)];
}

export function formatReport(report: AuditReport): string[] {
  const lines = [`Incidents opened ${isoTime(report.sinceMs)} – ${isoTime(report.untilMs)}`];
  if (report.receivers.length === 0) lines.push("  no incidents");
  else {
    const rows = report.receivers.map((r) => [r.receiver, r.route ?? "-", String(r.incidents), String(r.acknowledged), String(r.resolved), humanDuration(r.mttaMs), humanDuration(r.mttrMs)]);
    lines.push(...table(["receiver", "route", "incidents", "acked", "resolved", "MTTA", "MTTR"], rows));
  }
  lines.push("Noisiest rules (alerts fired)");
  if (report.noisiestRules.length === 0) lines.push("  no alerts fired");
  for (const rule of report.noisiestRules) lines.push(`  ${String(rule.fired).padStart(6)}  ${rule.rule}`);
  return lines;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string => `  ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

export function formatVerify(result: VerifyResult): string[] {
  const chains = `${result.chains.length} chain${result.chains.length === 1 ? "" : "s"}`;
  const legacy = result.legacy > 0 ? `, ${result.legacy} older unchained record${result.legacy === 1 ? "" : "s"} before them` : "";
  const lines: string[] = [];
  if (result.ok) lines.push(`ok: ${result.records} records in ${chains} intact${legacy}`);
  else {
    const total = result.problems.length + result.moreProblems;
    const first = result.problems[0];
    lines.push(`FAILED: ${total} problem${total === 1 ? "" : "s"} in ${result.records} records (${chains})`);
    if (first) lines.push(`first bad record: ${describeProblem(first)}`);
    for (const problem of result.problems.slice(1, 20)) lines.push(`  also: ${describeProblem(problem)}`);
    if (total > 20) lines.push(`  ... and ${total - 20} more (--json lists them)`);
  }
  for (const chain of result.chains) lines.push(`  chain ${chain.chain}: seq ${chain.firstSeq}–${chain.lastSeq}, ${chain.records} records${chain.problems > 0 ? `, ${chain.problems} bad` : ""}`);
  for (const note of result.notes) lines.push(`  note: ${note}`);
  return lines;
}

export function describeProblem(problem: VerifyResult["problems"][number]): string {
  const chain = problem.chain === undefined ? "" : `, chain ${problem.chain}`;
  const seq = problem.seq === undefined ? "" : `, seq ${problem.seq}`;
  return `${describePlace(problem.streamSeq, problem.index)}${chain}${seq}: ${problem.kind.replace(/_/g, " ")}: ${problem.detail}`;
}
