import { acknowledge, resolveIncident, type Channel, type Incident } from "../escalate/incident.js";
import type { OnCallDirectory } from "../escalate/directory.js";
import type { Clock } from "../core/clock.js";
import type { KvEscalationStore } from "../store/jetstream/escalation-store.js";
import type { AuditSink } from "../store/ports.js";

export interface IncidentChange {
  incident: Incident;
  changed: boolean;
  /** Why nothing changed (already acknowledged by …), for the person who asked. */
  reason?: string;
}

/**
 * Acknowledge and resolve, the same from the CLI, the HTTP API, Slack and SMS: a compare-and-set on the incident, an
 * audit record naming who and through which channel. The escalation stage sees the new state at its next step.
 */
export class EscalationService {
  constructor(
    private readonly store: KvEscalationStore,
    private readonly audit: AuditSink,
    private readonly clock: Clock,
    private readonly directory: () => OnCallDirectory,
  ) {}

  list(): Promise<Incident[]> {
    return this.store.listIncidents().then((all) => all.sort((a, b) => b.openedAtMs - a.openedAtMs));
  }

  async acknowledge(id: string, actor: string, via: Channel): Promise<IncidentChange> {
    const now = this.clock.now();
    const outcome = await this.store.mutateIncident(id, (incident) => {
      const result = acknowledge(incident, this.directory().policies.get(incident.policyId), actor, via, now);
      return result.changed ? { incident: result.incident, result } : undefined;
    });
    if (!outcome.result) return { incident: outcome.incident, changed: false, reason: describe(outcome.incident) };
    await this.audit.record({ action: "incident.acknowledged", actor, timeMs: now, subject: id, details: { via, groupId: outcome.incident.groupId } });
    return { incident: outcome.incident, changed: true };
  }

  async resolve(id: string, actor: string, via: Channel): Promise<IncidentChange> {
    const now = this.clock.now();
    const outcome = await this.store.mutateIncident(id, (incident) => {
      const result = resolveIncident(incident, actor, via, now);
      return result.changed ? { incident: result.incident, result } : undefined;
    });
    if (!outcome.result) return { incident: outcome.incident, changed: false, reason: describe(outcome.incident) };
    await this.store.clearOpen(outcome.incident.groupId);
    await this.audit.record({ action: "incident.resolved", actor, timeMs: now, subject: id, details: { via, groupId: outcome.incident.groupId } });
    return { incident: outcome.incident, changed: true };
  }
}

function describe(incident: Incident): string {
  if (incident.state === "resolved") return `already resolved by ${incident.resolvedBy ?? "?"} via ${incident.resolvedVia ?? "?"}`;
  if (incident.state === "acknowledged") return `already acknowledged by ${incident.acknowledgedBy ?? "?"} via ${incident.acknowledgedVia ?? "?"}`;
  return "unchanged";
}
