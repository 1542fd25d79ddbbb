import type { MemberRecord, UnknownState } from "./state.schema.js";

/** One line of `klaxon drift`: a member's intended fact against the reported one, or an unknown reporter. */
export interface FleetRow {
  host: string;
  service: string | null;
  fact: string | null;
  expected: string | null;
  actual: string | null;
  lastReportMs: number | null;
  /** "ok", or what is wrong: "missing", "not yet reported", "drift", "unaudited change", "unknown" (comma-joined). */
  status: string;
}

/**
 * The fleet table: for each member one row per intended fact (and per fact with an unaudited change), or one row
 * when nothing is pinned; unknown reporters last. Sorted by host, service and fact.
 */
export function fleetRows(members: readonly MemberRecord[], unknowns: readonly UnknownState[], filter: { service?: string } = {}): FleetRow[] {
  const rows: FleetRow[] = [];
  const wanted = (service: string | undefined): boolean => filter.service === undefined || service === filter.service;
  for (const m of members) {
    if (!wanted(m.service)) continue;
    const presence = m.alerts.missing ? ["missing"] : m.lastReportMs === null ? ["not yet reported"] : [];
    const facts = [...new Set([...Object.keys(m.expected), ...Object.keys(m.alerts).filter((k) => k.startsWith("unaudited:")).map((k) => k.slice("unaudited:".length))])].sort();
    const base = { host: m.source, service: m.service ?? null, lastReportMs: m.lastReportMs };
    if (facts.length === 0) rows.push({ ...base, fact: null, expected: null, actual: null, status: statusOf(presence) });
    for (const fact of facts) {
      const problems = [...presence];
      if (m.alerts[`drift:${fact}`]) problems.push("drift");
      if (m.alerts[`unaudited:${fact}`]) problems.push("unaudited change");
      rows.push({ ...base, fact, expected: m.expected[fact] ?? null, actual: m.facts?.[fact] ?? null, status: statusOf(problems) });
    }
  }
  const sorted = rows.sort((a, b) => compare(a.host, b.host) || compare(a.service ?? "", b.service ?? "") || compare(a.fact ?? "", b.fact ?? ""));
  const strangers = unknowns
    .filter((u) => wanted(u.service))
    .map((u): FleetRow => ({ host: u.source, service: u.service ?? null, fact: null, expected: null, actual: null, lastReportMs: u.lastReportMs, status: "unknown" }))
    .sort((a, b) => compare(a.host, b.host) || compare(a.service ?? "", b.service ?? ""));
  return [...sorted, ...strangers];
}

function statusOf(problems: string[]): string {
  return problems.length === 0 ? "ok" : problems.join(", ");
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
