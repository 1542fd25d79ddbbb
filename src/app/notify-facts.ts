import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import type { AlertRecord } from "../alerts/dispatcher.types.js";
import type { StoredGroup } from "../alerts/stored-state.js";
import type { Incident } from "../escalate/incident.js";
import type { AlertInput } from "../notify/context.js";
import type { KvEscalationStore } from "../store/jetstream/escalation-store.js";

/**
 * What the notify stage reads from the other stages' state to fill its templates: alerts and groups (alert stage's
 * bucket) and incidents (escalation bucket). Read-only; a value that is gone (an alert resolved and cleaned up) is
 * simply left out.
 */
export class NotifyFacts {
  private constructor(
    private readonly alertKv: KV,
    private readonly escalation: KvEscalationStore,
  ) {}

  static async open(nc: NatsConnection, alertBucket: string, escalation: KvEscalationStore): Promise<NotifyFacts> {
    return new NotifyFacts(await new Kvm(nc).create(alertBucket, { history: 1 }), escalation);
  }

  async alerts(fingerprints: readonly string[]): Promise<AlertInput[]> {
    const entries = await Promise.all(fingerprints.slice(0, 100).map((fp) => this.alertKv.get(`alert.${fp}`)));
    return entries.flatMap((e) => (e && e.operation === "PUT" ? [e.json<AlertRecord>()] : []));
  }

  /** The group's record; its members are in their alerts' records (see stored-state.ts), not here. */
  async group(groupId: string): Promise<StoredGroup | undefined> {
    const entry = await this.alertKv.get(`group.${groupId}`);
    return entry && entry.operation === "PUT" ? entry.json<StoredGroup>() : undefined;
  }

  async incident(id: string): Promise<Incident | undefined> {
    return (await this.escalation.getIncident(id))?.incident;
  }

  openIncidentOf(groupId: string): Promise<string | undefined> {
    return this.escalation.openIncidentOf(groupId);
  }
}
