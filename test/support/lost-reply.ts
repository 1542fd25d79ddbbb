import type { KV } from "@nats-io/kv";

/**
 * Make the KV bucket a store holds (its private `kv`) lose replies: after `loseNext()`, the next `method` call lands
 * on the server and then throws as a request timeout would, as when nats-server restarts between the two.
 */
export function losingReplies(store: object, method: "create" | "update"): { loseNext(skipping?: number): void; readonly lost: number } {
  const inside = store as { kv: KV };
  const kv = inside.kv;
  let armed = false;
  let skip = 0;
  let lost = 0;
  inside.kv = new Proxy(kv, {
    get: (target, property, receiver) =>
      property === method
        ? async (...args: unknown[]) => {
            const revision = await (target[method] as (...a: unknown[]) => Promise<number>)(...args);
            if (!armed) return revision;
            if (skip > 0) {
              skip--;
              return revision;
            }
            armed = false;
            lost++;
            throw new Error("TIMEOUT: request timed out");
          }
        : (Reflect.get(target, property, receiver) as unknown),
  });
  return {
    /** Lose the reply of the next call, or of the one after `skipping` more. */
    loseNext: (skipping = 0) => {
      armed = true;
      skip = skipping;
    },
    get lost() {
      return lost;
    },
  };
}
