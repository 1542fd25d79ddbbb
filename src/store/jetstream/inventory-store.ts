import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { scanKv } from "./kv-scan.js";
import type { InventoryChanges, ReporterId } from "../../inventory/monitor.js";
import { changeRecordSchema, memberRecordSchema, unknownStateSchema, type MemberRecord, type SavedInventoryState, type UnknownState } from "../../inventory/state.schema.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encode = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

/** Sources may hold ':' and services '/', which KV keys cannot: key tokens are base64url of the identity. */
function token(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}

type Identity = Pick<ReporterId, "source"> & { service?: string | undefined };
const memberKey = (id: Identity): string => `member.${token([id.source, id.service ?? null])}`;
const unknownKey = (id: Identity): string => `unknown.${token([id.source, id.service ?? null])}`;
const changesKey = (source: string): string => `changes.${token(source)}`;

/**
 * The inventory stage's state in one KV bucket: `member.<id>` (a member's reports, announced alerts and intended
 * facts), `unknown.<id>` (a reporter the inventory does not list) and `changes.<source>` (its recent change
 * records). Written after each report or tick that changed them, before the message is acknowledged; `klaxon drift`
 * reads the same keys.
 */
export class KvInventoryStore {
  private constructor(
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    private readonly bucket: string,
  ) {}

  static async open(nc: NatsConnection, bucket: string): Promise<KvInventoryStore> {
    return new KvInventoryStore(await new Kvm(nc).create(bucket, { history: 1 }), jetstream(nc), bucket);
  }

  /** Everything stored; a record that does not parse (written by another version) is skipped and reported. */
  async load(): Promise<{ saved: SavedInventoryState; unreadable: string[] }> {
    const saved: SavedInventoryState = { members: [], unknowns: [], changes: [] };
    const unreadable: string[] = [];
    for (const { key, value } of await scanKv(this.js, this.bucket)) {
      const json: unknown = JSON.parse(decoder.decode(value));
      const parsed = key.startsWith("member.")
        ? memberRecordSchema.safeParse(json)
        : key.startsWith("unknown.")
          ? unknownStateSchema.safeParse(json)
          : key.startsWith("changes.")
            ? changeRecordSchema.array().safeParse(json)
            : undefined;
      if (!parsed?.success) {
        unreadable.push(key);
        continue;
      }
      if (key.startsWith("member.")) saved.members.push(parsed.data as MemberRecord);
      else if (key.startsWith("unknown.")) saved.unknowns.push(parsed.data as UnknownState);
      else saved.changes.push(...(parsed.data as SavedInventoryState["changes"]));
    }
    return { saved, unreadable };
  }

  async apply(changes: InventoryChanges): Promise<void> {
    await Promise.all([
      ...changes.members.map((m) => this.kv.put(memberKey(m), encode(m))),
      ...changes.deletedMembers.map((id) => this.kv.delete(memberKey(id))),
      ...changes.unknowns.map((u) => this.kv.put(unknownKey(u), encode(u))),
      ...changes.deletedUnknowns.map((id) => this.kv.delete(unknownKey(id))),
      ...changes.changeLogs.map(({ source, records }) => (records.length === 0 ? this.kv.delete(changesKey(source)) : this.kv.put(changesKey(source), encode(records)))),
    ]);
  }
}

/** The fleet as the inventory stage last stored it, for `klaxon drift`: members and unknown reporters. */
export async function readFleet(js: JetStreamClient, bucket: string): Promise<{ members: MemberRecord[]; unknowns: UnknownState[] }> {
  const members: MemberRecord[] = [];
  const unknowns: UnknownState[] = [];
  for (const { key, value } of await scanKv(js, bucket)) {
    const json: unknown = JSON.parse(decoder.decode(value));
    if (key.startsWith("member.")) {
      const parsed = memberRecordSchema.safeParse(json);
      if (parsed.success) members.push(parsed.data);
    } else if (key.startsWith("unknown.")) {
      const parsed = unknownStateSchema.safeParse(json);
      if (parsed.success) unknowns.push(parsed.data);
    }
  }
  return { members, unknowns };
}
