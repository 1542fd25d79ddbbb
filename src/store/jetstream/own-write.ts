import type { KV } from "@nats-io/kv";

/**
 * A KV create or compare-and-set whose reply was lost (nats-server restarting) may have landed. After such a write
 * threw, what `key` holds now: undefined when nothing; `ours` when it holds exactly the bytes we sent (records carry
 * their writer's time, so another writer's value is never byte-identical), else someone else's write.
 */
export async function afterFailedWrite(kv: KV, key: string, sent: Uint8Array): Promise<{ ours: boolean; revision: number } | undefined> {
  const stored = await kv.get(key).catch(() => null);
  if (!stored) return undefined;
  return { ours: stored.operation === "PUT" && holdsOurBytes(stored.value, sent), revision: stored.revision };
}

function holdsOurBytes(stored: Uint8Array, sent: Uint8Array): boolean {
  return stored.length === sent.length && stored.every((byte, i) => byte === sent[i]);
}
