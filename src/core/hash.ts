import { createHash } from "node:crypto";

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * The first `hexDigits` (even) of `sha256Hex(data)`, as a string of its own: a `slice` of the full digest would keep
 * all 64 digits alive for as long as the short id lives (an alert's fingerprint lives as long as the alert).
 */
export function sha256HexPrefix(data: string | Uint8Array, hexDigits: number): string {
  return createHash("sha256").update(data).digest().toString("hex", 0, hexDigits / 2);
}

/** JSON with object keys sorted, so equal values always hash the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/**
 * FNV-1a over UTF-16 code units: a fast, stable 32-bit hash for spreading in-memory keys over buckets. Not the
 * byte-wise FNV-1a that nats-server's subject mapping uses (see cluster/partition.ts): nothing outside compares it.
 */
export function stringHash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
