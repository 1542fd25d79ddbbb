import type { AlertTransition } from "../alerts/alert.js";
import { fingerprint } from "../alerts/fingerprint.js";
import { formatDuration } from "../core/duration.js";
import { describeMember, type Member } from "./inventory.js";
import { DEFAULT_SEVERITY } from "./inventory.schema.js";
import type { AnnouncedAlert, PendingChange } from "./state.schema.js";

/** The alert names the inventory raises; routes and silences match on them like on any rule id. */
export const INVENTORY_ALERTS = {
  missing: "inventory-missing",
  drift: "inventory-drift",
  unaudited: "unaudited-change",
  unknown: "inventory-unknown",
} as const;

/** An alert before it is announced: what it says, and which inventory version says it. */
export interface AlertDraft {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  rule: { id: string; version: number };
}

const iso = (ms: number): string => new Date(ms).toISOString();

export type MemberAlertKind = "missing" | "drift" | "unaudited";

/** The labels of a member's alert: its own labels, then the ones the inventory sets (which always win). */
export function memberAlertLabels(member: Member, kind: MemberAlertKind, fact?: string): Record<string, string> {
  return {
    ...member.labels,
    alertname: INVENTORY_ALERTS[kind],
    severity: member.severity[kind],
    source: member.source,
    ...(member.service === undefined ? {} : { service: member.service }),
    ...(fact === undefined ? {} : { fact }),
  };
}

function memberAlert(member: Member, kind: MemberAlertKind, fact: string | undefined, annotations: Record<string, string>): AlertDraft {
  return { labels: memberAlertLabels(member, kind, fact), annotations, rule: { id: INVENTORY_ALERTS[kind], version: member.version } };
}

export function missingAlert(member: Member, sinceMs: number, lastReportMs: number | null): AlertDraft {
  const every = formatDuration(member.intervalMs);
  const summary =
    lastReportMs === null
      ? `${describeMember(member)} has never reported its state (listed in the inventory since ${iso(sinceMs)}; expected every ${every})`
      : `${describeMember(member)} has not reported its state since ${iso(lastReportMs)} (expected every ${every})`;
  return memberAlert(member, "missing", undefined, { summary, lastReport: lastReportMs === null ? "never" : iso(lastReportMs), interval: every });
}

export function driftAlert(member: Member, fact: string, expected: string, actual: string | undefined): AlertDraft {
  const shown = actual === undefined ? "not reported" : JSON.stringify(actual);
  return memberAlert(
    member,
    "drift",
    fact,
    { summary: `${describeMember(member)}: ${fact} is ${shown}, expected ${JSON.stringify(expected)}`, host: member.source, fact, expected, actual: actual ?? "(not reported)" },
  );
}

export function unauditedAlert(member: Member, change: PendingChange): AlertDraft {
  const { from } = change;
  return memberAlert(
    member,
    "unaudited",
    change.fact,
    {
      summary: `${describeMember(member)}: ${change.fact} changed from ${JSON.stringify(from)} to ${JSON.stringify(change.to)} with no change record in the ${formatDuration(member.changeWindowMs)} before ${iso(change.atMs)}`,
      host: member.source,
      fact: change.fact,
      from,
      to: change.to,
      changedAt: iso(change.atMs),
    },
  );
}

export function unknownAlert(reporter: { source: string; service?: string | undefined }, inventoryVersion: number): AlertDraft {
  const alertname = INVENTORY_ALERTS.unknown;
  return {
    labels: { alertname, severity: DEFAULT_SEVERITY.unknown, source: reporter.source, ...(reporter.service === undefined ? {} : { service: reporter.service }) },
    annotations: {
      summary:
        reporter.service === undefined
          ? `${reporter.source} reports its state but is not in the inventory`
          : `${describeMember(reporter)} reports its state but the inventory does not list ${reporter.source} for service ${reporter.service}`,
    },
    rule: { id: alertname, version: inventoryVersion },
  };
}

/** Announce a draft as firing from `atMs`; the returned record is what resolving it later needs. */
export function fire(draft: AlertDraft, atMs: number): { transition: AlertTransition; announced: AnnouncedAlert } {
  const announced: AnnouncedAlert = { fingerprint: fingerprint(draft.labels), labels: draft.labels, annotations: draft.annotations, startsAtMs: atMs, rule: draft.rule };
  return { transition: { status: "firing", ...announced }, announced };
}

/** Resolve an announced alert, saying why. A resolve never ends before the alert started. */
export function resolve(announced: AnnouncedAlert, atMs: number, resolution: string): AlertTransition {
  return {
    status: "resolved",
    fingerprint: announced.fingerprint,
    labels: announced.labels,
    annotations: { ...announced.annotations, resolution },
    startsAtMs: announced.startsAtMs,
    endsAtMs: Math.max(atMs, announced.startsAtMs),
    rule: announced.rule,
  };
}

/** The same alert (label set) as the one announced: annotations may differ, identity does not. */
export function sameIdentity(announced: AnnouncedAlert, draft: AlertDraft): boolean {
  return announced.fingerprint === fingerprint(draft.labels);
}
