import type { JetStreamClient } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";

export interface KvRecord {
  key: string;
  value: Uint8Array;
  revision: number;
  /** When the server stored this value. */
  createdAtMs: number;
}

/**
 * The current value of every key of a KV bucket under `prefix`. The keys come from the stream's subject list (one
 * request/response, `subjects_filter`), the values from parallel gets. We do not use `kv.keys()` or an ordered
 * consumer here: on nats-server 2.9 we saw both occasionally stall for 30 s or more before delivering anything.
 */
export async function scanKv(js: JetStreamClient, bucket: string, prefix = ""): Promise<KvRecord[]> {
  const subjectPrefix = `$KV.${bucket}.`;
  const jsm = await js.jetstreamManager();
  const info = await jsm.streams.info(`KV_${bucket}`, { subjects_filter: `${subjectPrefix}${prefix}>` });
  const keys = Object.keys(info.state.subjects ?? {}).map((subject) => subject.slice(subjectPrefix.length));
  const kv = await new Kvm(js).open(bucket);
  const out: KvRecord[] = [];
  for (let i = 0; i < keys.length; i += 256) {
    const entries = await Promise.all(keys.slice(i, i + 256).map((key) => kv.get(key)));
    for (const entry of entries) if (entry && entry.operation === "PUT") out.push({ key: entry.key, value: entry.value, revision: entry.revision, createdAtMs: entry.created.getTime() });
  }
  return out;
}
