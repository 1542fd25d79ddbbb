import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { scanKv } from "./kv-scan.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A replica's heartbeat: rewritten every renew period; its revision moving is what says "alive". */
export interface MemberRecord {
  id: string;
  /** Random per process: tells a restarted replica from another process started with the same id. */
  incarnation: string;
  startedAtMs: number;
  roles: string[];
}

export interface LeaseRecord {
  owner: string;
  incarnation: string;
  acquiredAtMs: number;
}

export interface Versioned<T> {
  value: T;
  revision: number;
  /** Server time of the write: for display only; liveness never compares clocks. */
  writtenAtMs: number;
}

/**
 * Members and role leases in one KV bucket: `member.<id>` and `lease.<role>`. Leases change only by
 * compare-and-set (`create` when free, `update`/`delete` with the revision read), so two replicas can never both
 * win the same role.
 */
export class KvClusterStore {
  private constructor(
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    private readonly bucket: string,
  ) {}

  static async open(nc: NatsConnection, bucket: string): Promise<KvClusterStore> {
    return new KvClusterStore(await new Kvm(nc).create(bucket, { history: 1 }), jetstream(nc), bucket);
  }

  /** Returns the revision written: the writer's own, to tell its heartbeats from another process's. */
  heartbeat(member: MemberRecord): Promise<number> {
    return this.kv.put(`member.${member.id}`, encoder.encode(JSON.stringify(member)));
  }

  async leave(id: string): Promise<void> {
    await this.kv.delete(`member.${id}`);
  }

  async members(): Promise<Map<string, Versioned<MemberRecord>>> {
    return this.scan<MemberRecord>("member.");
  }

  async leases(): Promise<Map<string, Versioned<LeaseRecord>>> {
    return this.scan<LeaseRecord>("lease.");
  }

  /** A role's lease as stored now, or undefined when nobody holds the role. */
  async lease(role: string): Promise<LeaseRecord | undefined> {
    const entry = await this.kv.get(`lease.${role}`);
    return entry?.operation === "PUT" ? (JSON.parse(decoder.decode(entry.value)) as LeaseRecord) : undefined;
  }

  /** Take a free role: the lease's revision, or undefined when someone else took it first. */
  acquire(role: string, lease: LeaseRecord): Promise<number | undefined> {
    return unlessLost(() => this.kv.create(`lease.${role}`, encoder.encode(JSON.stringify(lease))));
  }

  /** Take a role over from a holder that went silent, only if nobody changed the lease since it was read. */
  takeOver(role: string, lease: LeaseRecord, revision: number): Promise<number | undefined> {
    return unlessLost(() => this.kv.update(`lease.${role}`, encoder.encode(JSON.stringify(lease)), revision));
  }

  /** Give a role up so its desired owner can take it; a no-op if it changed hands meanwhile. */
  async release(role: string, revision: number): Promise<boolean> {
    // kv.delete resolves to nothing: the true says it went through (it read false either way before).
    const deleted = await unlessLost(async () => {
      await this.kv.delete(`lease.${role}`, { previousSeq: revision });
      return true;
    });
    return deleted === true;
  }

  private async scan<T>(prefix: string): Promise<Map<string, Versioned<T>>> {
    const out = new Map<string, Versioned<T>>();
    for (const record of await scanKv(this.js, this.bucket, prefix)) {
      out.set(record.key.slice(prefix.length), { value: JSON.parse(decoder.decode(record.value)) as T, revision: record.revision, writtenAtMs: record.createdAtMs });
    }
    return out;
  }
}

/** A compare-and-set that lost is an answer (undefined), not an error; anything else (no connection) still throws. */
async function unlessLost<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (error) {
    if (/wrong last sequence|key exists|10071/i.test(String((error as Error)?.message ?? error))) return undefined;
    throw error;
  }
}
