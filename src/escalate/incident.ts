import type { EscalationPolicy, EscalationTarget } from "./policy.schema.js";

export type IncidentState = "triggered" | "acknowledged" | "resolved";

/** How a person reached Klaxon to change an incident. */
export type Channel = "slack" | "sms" | "cli" | "http" | "email" | "system" | "drill";

/**
 * One incident: a group of alerts being escalated through a policy until someone acknowledges or it resolves. Its
 * timer is data (`nextStepAtMs`), so whichever engine is alive when it falls due runs it, late but never lost.
 */
export interface Incident {
  id: string;
  groupId: string;
  receiver: string;
  policyId: string;
  title: string;
  alertFingerprints: string[];
  state: IncidentState;
  openedAtMs: number;
  /** Level being paged, and how many times the whole policy has run before this round. */
  level: number;
  round: number;
  /** When the next level is paged (triggered) or the ack times out (acknowledged); undefined when nothing is due. */
  nextStepAtMs: number | undefined;
  acknowledgedBy?: string;
  acknowledgedVia?: Channel;
  acknowledgedAtMs?: number;
  resolvedBy?: string;
  resolvedVia?: Channel;
  resolvedAtMs?: number;
  /** Pages sent so far, for the audit trail and reports. */
  steps: number;
  /**
   * Levels decided but not yet planned into pages: written together with the step that decided them, cleared once
   * every page of them is claimed. An engine that dies in between leaves them here, and the next one plans them
   * (claims make the pages already planned a no-op): a step can never be lost between deciding and paging.
   */
  pendingPages?: LevelPage[];
}

/** Who a level pages, resolved at the moment it is paged (a schedule's on-call person changes over time). */
export interface LevelPage {
  incidentId: string;
  round: number;
  level: number;
  atMs: number;
  targets: EscalationTarget[];
}

export interface StepResult {
  incident: Incident;
  /** Levels to page now (at most one per call; several only when catching up is not wanted, see `due`). */
  pages: LevelPage[];
  /** What happened, for the audit trail. */
  events: Array<{ action: string; details: Record<string, unknown> }>;
}

export function openIncident(input: { id: string; groupId: string; receiver: string; title: string; alertFingerprints: string[] }, policy: EscalationPolicy, nowMs: number): StepResult {
  const incident: Incident = {
    ...input,
    policyId: policy.id,
    state: "triggered",
    openedAtMs: nowMs,
    level: 0,
    round: 0,
    nextStepAtMs: nowMs + levelDelay(policy, 0),
    steps: 1,
  };
  return {
    incident,
    pages: [{ incidentId: incident.id, round: 0, level: 0, atMs: nowMs, targets: levelTargets(policy, 0) }],
    events: [{ action: "incident.opened", details: { policy: policy.id, level: 0 } }],
  };
}

/**
 * Run the incident's timer if it is due. A step that fell due while every engine was down runs now, once: the
 * escalation moves one level, it does not replay every missed level at once (the person now on call is paged).
 */
export function advance(incident: Incident, policy: EscalationPolicy, nowMs: number): StepResult {
  if (incident.nextStepAtMs === undefined || incident.nextStepAtMs > nowMs) return { incident, pages: [], events: [] };
  if (incident.state === "acknowledged") {
    // The acknowledgment timed out without a resolve: start over from the first level.
    const next: Incident = { ...incident, state: "triggered", level: 0, round: incident.round + 1, nextStepAtMs: nowMs + levelDelay(policy, 0), steps: incident.steps + 1 };
    delete next.acknowledgedBy;
    delete next.acknowledgedVia;
    delete next.acknowledgedAtMs;
    return {
      incident: next,
      pages: [{ incidentId: incident.id, round: next.round, level: 0, atMs: nowMs, targets: levelTargets(policy, 0) }],
      events: [{ action: "incident.ack_timeout", details: { acknowledgedBy: incident.acknowledgedBy, level: 0, round: next.round } }],
    };
  }
  if (incident.state !== "triggered") return { incident, pages: [], events: [] };
  let level = incident.level + 1;
  let round = incident.round;
  if (level >= policy.levels.length) {
    if (round >= policy.repeat) {
      // Every level of every round was paged: keep the incident open, stop paging, and say so.
      return { incident: { ...incident, nextStepAtMs: undefined }, pages: [], events: [{ action: "incident.escalation_exhausted", details: { rounds: round + 1 } }] };
    }
    level = 0;
    round++;
  }
  const next: Incident = { ...incident, level, round, nextStepAtMs: nowMs + levelDelay(policy, level), steps: incident.steps + 1 };
  return {
    incident: next,
    pages: [{ incidentId: incident.id, round, level, atMs: nowMs, targets: levelTargets(policy, level) }],
    events: [{ action: "incident.escalated", details: { level, round, lateByMs: nowMs - (incident.nextStepAtMs ?? nowMs) } }],
  };
}

export type ChangeOutcome = { changed: true; incident: Incident } | { changed: false; reason: string; incident: Incident };

/** Acknowledge: paging stops; with an `ackTimeout`, escalation resumes if it is still unresolved by then. */
export function acknowledge(incident: Incident, policy: EscalationPolicy | undefined, actor: string, via: Channel, nowMs: number): ChangeOutcome {
  if (incident.state === "resolved") return { changed: false, reason: `already resolved by ${incident.resolvedBy ?? "?"}`, incident };
  if (incident.state === "acknowledged") return { changed: false, reason: `already acknowledged by ${incident.acknowledgedBy ?? "?"}`, incident };
  const ackTimeout = policy?.ackTimeout;
  return {
    changed: true,
    incident: { ...incident, state: "acknowledged", acknowledgedBy: actor, acknowledgedVia: via, acknowledgedAtMs: nowMs, nextStepAtMs: ackTimeout === undefined ? undefined : nowMs + ackTimeout },
  };
}

/** Resolve: the incident is closed, nothing more is paged. */
export function resolveIncident(incident: Incident, actor: string, via: Channel, nowMs: number): ChangeOutcome {
  if (incident.state === "resolved") return { changed: false, reason: `already resolved by ${incident.resolvedBy ?? "?"}`, incident };
  return { changed: true, incident: { ...incident, state: "resolved", resolvedBy: actor, resolvedVia: via, resolvedAtMs: nowMs, nextStepAtMs: undefined } };
}

function levelDelay(policy: EscalationPolicy, level: number): number {
  return (policy.levels[level] as EscalationPolicy["levels"][number]).delay;
}

function levelTargets(policy: EscalationPolicy, level: number): EscalationTarget[] {
  return (policy.levels[level] as EscalationPolicy["levels"][number]).targets;
}
