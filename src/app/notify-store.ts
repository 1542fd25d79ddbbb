import { randomInt } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { scanKv } from "../store/jetstream/kv-scan.js";
import { afterFailedWrite } from "../store/jetstream/own-write.js";
import type { ChannelName, Receipt } from "../notify/model.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encode = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

export type DeliveryStatus = "sending" | "sent" | "failed" | "skipped";
export type DeliveryKind = "page" | "update" | "group";

/**
 * One delivery's record, keyed by its deterministic id. `sending` is written (compare-and-set) before the provider is
 * called and renewed while the holder works on it; `sent` after the provider accepted. A record left `sending` and
 * not renewed for the lease was interrupted by a crash: whoever finds it takes it over, asks the provider whether
 * the message went out (DeliveryRunner), and sends again only if it did not.
 */
export interface DeliveryRecord {
  id: string;
  kind: DeliveryKind;
  status: DeliveryStatus;
  incidentId?: string;
  groupId?: string;
  user?: string;
  /** The channel being tried (or, once settled, the one that settled it): after a fallback, not the first one. */
  channel: ChannelName;
  address: string;
  /** Channels that failed before `channel`, in order. */
  tried: ChannelName[];
  startedAtMs: number;
  heartbeatAtMs: number;
  /**
   * SHA-256 of the text handed to the provider on `channel`, written just before the provider is called, for
   * channels whose log can only be searched by content (SMS). Absent: this channel's provider was never called.
   */
  contentDigest?: string;
  finishedAtMs?: number;
  receipt?: Receipt;
  reason?: string;
}

export interface Versioned<T> {
  value: T;
  revision: number;
}

/**
 * The notify stage's state in one KV bucket, every write compare-and-set or create-if-absent:
 * `delivery.<id>` (delivery records; ids start with the incident id, so one incident's deliveries share a prefix),
 * `slackgroup.<groupId>` (the receiver channel's Slack message of a group), `smscode.<code>` / `smsof.<incident>`
 * (the reply code of an incident, both ways), `announced.<incident>` (the last incident state announced).
 * Slack request signatures seen recently live in a second bucket whose entries expire by themselves.
 */
export class NotifyStore {
  private constructor(
    private readonly kv: KV,
    private readonly replay: KV,
    private readonly js: JetStreamClient,
    private readonly bucket: string,
  ) {}

  static async open(nc: NatsConnection, bucket: string, replayTtlMs: number): Promise<NotifyStore> {
    const kvm = new Kvm(nc);
    return new NotifyStore(await kvm.create(bucket, { history: 1 }), await kvm.create(`${bucket}-replay`, { history: 1, ttl: replayTtlMs }), jetstream(nc), bucket);
  }

  // ---- deliveries ---------------------------------------------------------------------------------------------

  async getDelivery(id: string): Promise<Versioned<DeliveryRecord> | undefined> {
    const entry = await this.kv.get(`delivery.${id}`);
    return entry && entry.operation === "PUT" ? { value: entry.json<DeliveryRecord>(), revision: entry.revision } : undefined;
  }

  /**
   * Create-if-absent: the revision, or undefined when a record exists already (another holder, an earlier run).
   * A create whose reply was lost (NATS restarting) but which landed is recognised by its bytes and is ours.
   */
  async createDelivery(record: DeliveryRecord): Promise<number | undefined> {
    const bytes = encode(record);
    try {
      return await this.kv.create(`delivery.${record.id}`, bytes);
    } catch (error) {
      const stored = await afterFailedWrite(this.kv, `delivery.${record.id}`, bytes);
      if (!stored) throw error;
      return stored.ours ? stored.revision : undefined;
    }
  }

  /**
   * Compare-and-set: the new revision, or undefined when someone else wrote the record since `revision`. Our own
   * write that landed without its reply reads as the one after `revision` holding our bytes: that is success, not a
   * takeover (a record carries its holder's heartbeat time, so another holder's write is never byte-identical).
   */
  async updateDelivery(record: DeliveryRecord, revision: number): Promise<number | undefined> {
    const bytes = encode(record);
    try {
      return await this.kv.update(`delivery.${record.id}`, bytes, revision);
    } catch (error) {
      const stored = await afterFailedWrite(this.kv, `delivery.${record.id}`, bytes);
      if (stored && stored.revision !== revision) return stored.ours ? stored.revision : undefined;
      throw error;
    }
  }

  /** Every delivery of one incident (pages and updates). */
  async deliveriesOf(incidentId: string): Promise<DeliveryRecord[]> {
    return (await scanKv(this.js, this.bucket, `delivery.${incidentId}.`)).map((r) => JSON.parse(decoder.decode(r.value)) as DeliveryRecord);
  }

  /** Create `key` holding `value`; true also when the key already holds exactly that (our create, its reply lost). */
  private async createOrFind(key: string, value: string): Promise<boolean> {
    const bytes = encoder.encode(value);
    try {
      await this.kv.create(key, bytes);
      return true;
    } catch {
      return (await afterFailedWrite(this.kv, key, bytes))?.ours === true;
    }
  }


  // ---- Slack message of a group in its receiver's channel -------------------------------------------------------

  async slackGroupMessage(groupId: string): Promise<{ channel: string; ts: string } | undefined> {
    const entry = await this.kv.get(`slackgroup.${groupId}`);
    return entry && entry.operation === "PUT" ? entry.json<{ channel: string; ts: string }>() : undefined;
  }

  async setSlackGroupMessage(groupId: string, ref: { channel: string; ts: string }): Promise<void> {
    await this.kv.put(`slackgroup.${groupId}`, encode(ref));
  }

  // ---- SMS reply codes ----------------------------------------------------------------------------------------

  /**
   * The incident's reply code, created on first use: 4 digits, unique among live codes (create-if-absent on the
   * code), 6 digits once 4-digit codes keep colliding.
   */
  async replyCodeFor(incidentId: string): Promise<string> {
    const existing = await this.kv.get(`smsof.${incidentId}`);
    if (existing && existing.operation === "PUT") return existing.string();
    for (let attempt = 0; attempt < 50; attempt++) {
      const code = attempt < 20 ? String(randomInt(1_000, 10_000)) : String(randomInt(100_000, 1_000_000));
      // Each create may land with its reply lost (NATS restarting): what is stored then names this incident or code.
      if (!(await this.createOrFind(`smscode.${code}`, incidentId))) continue; // taken by a live incident
      if (await this.createOrFind(`smsof.${incidentId}`, code)) return code;
      // Another replica gave the incident a code meanwhile: keep theirs, free ours.
      await this.kv.delete(`smscode.${code}`).catch(() => undefined);
      const theirs = await this.kv.get(`smsof.${incidentId}`);
      if (theirs && theirs.operation === "PUT") return theirs.string();
    }
    throw new Error(`could not find a free SMS reply code for incident ${incidentId}`);
  }

  async incidentOfCode(code: string): Promise<string | undefined> {
    const entry = await this.kv.get(`smscode.${code}`);
    return entry && entry.operation === "PUT" ? entry.string() : undefined;
  }

  /** A resolved incident's code goes back to the pool (its `smsof` stays, so old messages still name it). */
  async releaseReplyCode(incidentId: string): Promise<void> {
    const entry = await this.kv.get(`smsof.${incidentId}`);
    if (!entry || entry.operation !== "PUT") return;
    const code = entry.string();
    if ((await this.incidentOfCode(code)) === incidentId) await this.kv.delete(`smscode.${code}`);
  }

  // ---- incident announcements ---------------------------------------------------------------------------------

  async announced(incidentId: string): Promise<string | undefined> {
    const entry = await this.kv.get(`announced.${incidentId}`);
    return entry && entry.operation === "PUT" ? entry.string() : undefined;
  }

  async setAnnounced(incidentId: string, stateKey: string): Promise<void> {
    await this.kv.put(`announced.${incidentId}`, encoder.encode(stateKey));
  }

  // ---- replay protection --------------------------------------------------------------------------------------

  /** True the first time `key` is seen (across every replica), false for a replay while the entry lives. */
  async firstSighting(key: string): Promise<boolean> {
    try {
      await this.replay.create(key, encoder.encode("1"));
      return true;
    } catch (error) {
      if (await this.replay.get(key)) return false;
      throw error;
    }
  }
}
