import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import { scanKv } from "./kv-scan.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const PREFIX = "replica.";

/**
 * One record per replica, `replica.<id>`, rewritten at every heartbeat: what the replica has loaded and the drift
 * alerts it announced. Records are JSON; the reader validates them (they may come from another version). A record
 * not rewritten for the bucket's retention is removed by the server, so retired replicas do not pile up.
 */
export class KvReplicaStore {
  private constructor(
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    private readonly bucket: string,
  ) {}

  static async open(nc: NatsConnection, bucket: string, retainMs: number): Promise<KvReplicaStore> {
    return new KvReplicaStore(await new Kvm(nc).create(bucket, { history: 1, ttl: retainMs }), jetstream(nc), bucket);
  }

  async put(replica: string, record: unknown): Promise<void> {
    await this.kv.put(`${PREFIX}${replica}`, encoder.encode(JSON.stringify(record)));
  }

  async get(replica: string): Promise<unknown> {
    const entry = await this.kv.get(`${PREFIX}${replica}`);
    return entry && entry.operation === "PUT" ? (JSON.parse(decoder.decode(entry.value)) as unknown) : undefined;
  }

  /** Every replica's record with its revision: a revision that keeps moving is a replica that is alive. */
  async list(): Promise<Array<{ replica: string; record: unknown; revision: number }>> {
    return (await scanKv(this.js, this.bucket, PREFIX)).map((r) => ({ replica: r.key.slice(PREFIX.length), record: JSON.parse(decoder.decode(r.value)) as unknown, revision: r.revision }));
  }
}
