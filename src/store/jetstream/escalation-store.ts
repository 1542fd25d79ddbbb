import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, type KV } from "@nats-io/kv";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { scanKv } from "./kv-scan.js";
import { afterFailedWrite } from "./own-write.js";
import type { Incident } from "../../escalate/incident.js";
import type { PageIntent } from "../../escalate/pages.js";
import { AppError } from "../../core/errors.js";

const encoder = new TextEncoder();
const encode = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

export class IncidentNotFoundError extends AppError {}

export type PageStatus = "scheduled" | "sent" | "cancelled";
export interface StoredPage {
  intent: PageIntent;
  status: PageStatus;
  sentAtMs?: number;
  reason?: string;
}

/**
 * Incidents and pages in one KV bucket: `incident.<id>`, `open.<groupId>` (the group's open incident) and
 * `page.<id>`. Every change is compare-and-set: `create` for a new key (fails if another replica or a redelivery got
 * there first), `update` with the revision read (fails if anyone changed it since).
 */
export class KvEscalationStore {
  private constructor(
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    private readonly bucket: string,
  ) {}

  static async open(nc: NatsConnection, bucket: string): Promise<KvEscalationStore> {
    return new KvEscalationStore(await new Kvm(nc).create(bucket, { history: 1 }), jetstream(nc), bucket);
  }

  async getIncident(id: string): Promise<{ incident: Incident; revision: number } | undefined> {
    const entry = await this.kv.get(`incident.${id}`);
    return entry && entry.operation === "PUT" ? { incident: entry.json<Incident>(), revision: entry.revision } : undefined;
  }

  /** False when the incident already exists (a redelivered notification): the caller must not page again. */
  async createIncident(incident: Incident): Promise<boolean> {
    const bytes = encode(incident);
    try {
      await this.kv.create(`incident.${incident.id}`, bytes);
      return true;
    } catch (error) {
      // Our own create whose reply was lost is ours: the incident is opened (and audited) once, here.
      const stored = await afterFailedWrite(this.kv, `incident.${incident.id}`, bytes);
      if (!stored) throw error;
      return stored.ours;
    }
  }

  /**
   * Read, change and write an incident, again from the top if someone else wrote it in between. `change` returns
   * undefined to leave it as it is.
   */
  async mutateIncident<T>(id: string, change: (incident: Incident) => { incident: Incident; result: T } | undefined): Promise<{ incident: Incident; result: T | undefined }> {
    for (let attempt = 0; ; attempt++) {
      const current = await this.getIncident(id);
      if (!current) throw new IncidentNotFoundError(`no incident with id "${id}"`);
      const next = change(current.incident);
      if (!next) return { incident: current.incident, result: undefined };
      const bytes = encode(next.incident);
      try {
        await this.kv.update(`incident.${id}`, bytes, current.revision);
        return next;
      } catch (error) {
        // Landed with its reply lost: the change is made. Read again, it would look already made by someone else
        // (an acknowledgment not audited, a resolve whose group kept pointing at the closed incident).
        if ((await afterFailedWrite(this.kv, `incident.${id}`, bytes))?.ours) return next;
        if (attempt >= 10) throw error;
      }
    }
  }

  async openIncidentOf(groupId: string): Promise<string | undefined> {
    const entry = await this.kv.get(`open.${groupId}`);
    return entry && entry.operation === "PUT" ? entry.string() : undefined;
  }

  async setOpen(groupId: string, incidentId: string): Promise<void> {
    await this.kv.put(`open.${groupId}`, incidentId);
  }

  async clearOpen(groupId: string): Promise<void> {
    await this.kv.delete(`open.${groupId}`);
  }

  async listIncidents(): Promise<Incident[]> {
    return (await this.listPrefix("incident.")).map((e) => e as Incident);
  }

  /**
   * Claim a page: "claimed" for exactly one caller, whatever the number of replicas or redeliveries; otherwise the
   * page as it is stored. A claim whose reply was lost (NATS restarting) lands all the same: its caller then finds
   * the page "scheduled", as it would one a dead engine claimed and never sent.
   */
  async claimPage(intent: PageIntent): Promise<"claimed" | StoredPage> {
    try {
      await this.kv.create(`page.${intent.id}`, encode({ intent, status: "scheduled" } satisfies StoredPage));
      return "claimed";
    } catch (error) {
      const existing = await this.kv.get(`page.${intent.id}`);
      if (existing && existing.operation === "PUT") return existing.json<StoredPage>();
      throw error;
    }
  }

  async setPage(page: StoredPage): Promise<void> {
    await this.kv.put(`page.${page.intent.id}`, encode(page));
  }

  async listPages(): Promise<StoredPage[]> {
    return (await this.listPrefix("page.")).map((e) => e as StoredPage);
  }

  private async listPrefix(prefix: string): Promise<unknown[]> {
    const decoder = new TextDecoder();
    return (await scanKv(this.js, this.bucket, prefix)).map((r) => JSON.parse(decoder.decode(r.value)) as unknown);
  }
}
