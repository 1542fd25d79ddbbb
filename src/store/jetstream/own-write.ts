/**
 * A KV write whose reply was lost (nats-server restarting) may have landed. Read back, the value holds exactly the
 * bytes we sent when it did: records carry their writer's time, so another writer's value is never byte-identical.
 */
export function holdsOurBytes(stored: Uint8Array, sent: Uint8Array): boolean {
  return stored.length === sent.length && stored.every((byte, i) => byte === sent[i]);
}
