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

/**
 * JSON with object keys sorted, so equal values always hash the same. Written out rather than as a replacer for
 * JSON.stringify, which built a sorted copy of every object (entries, a sorted array, a new object) first: the audit
 * chain hashes every record with it. The output is byte for byte what `JSON.stringify(value, sortingReplacer)` gave,
 * since stored hashes depend on it (a differential test holds the two to that): `toJSON` is honoured, `undefined`,
 * functions and symbols are left out of objects and written as null in arrays, and keys are ordered as an object
 * rebuilt from sorted entries would list them: array indices first, in numeric order, then the rest sorted.
 */
export function canonicalJson(value: unknown): string {
  return writeValue(value, "", []) as string;
}

function writeValue(input: unknown, key: string, open: object[]): string | undefined {
  let value = input;
  if (value !== null && (typeof value === "object" || typeof value === "function" || typeof value === "bigint") && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON(key: string): unknown }).toJSON(key);
  }
  if (typeof value === "string") return quote(value);
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (open.includes(value)) throw new TypeError("Converting circular structure to JSON");
  open.push(value);
  let out: string;
  if (Array.isArray(value)) {
    out = "[";
    for (let i = 0; i < value.length; i++) out += (i > 0 ? "," : "") + (writeValue(value[i], String(i), open) ?? "null");
    out += "]";
  } else {
    const record = value as Record<string, unknown>;
    out = "{";
    let first = true;
    for (const name of objectKeyOrder(Object.keys(record))) {
      const written = writeValue(record[name], name, open);
      if (written === undefined) continue;
      out += (first ? "" : ",") + quote(name) + ":" + written;
      first = false;
    }
    out += "}";
  }
  open.pop();
  return out;
}

/** A JSON string literal; most strings need no escape, and then need no call into JSON.stringify either. */
function quote(text: string): string {
  return NEEDS_ESCAPE.test(text) ? JSON.stringify(text) : `"${text}"`;
}

/** What JSON.stringify escapes: the quote, the backslash, control characters and (lone) surrogates. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON must escape
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** Keys sorted by code unit, then array indices moved ahead in numeric order, as an object built in that order lists them. */
function objectKeyOrder(keys: string[]): string[] {
  keys.sort(byCodeUnits);
  let indices: string[] | undefined;
  for (const key of keys) if (isArrayIndex(key)) (indices ??= []).push(key);
  if (indices === undefined) return keys;
  indices.sort((a, b) => Number(a) - Number(b));
  return [...indices, ...keys.filter((key) => !isArrayIndex(key))];
}

function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A canonical unsigned integer below 2^32 - 1: what an object lists before its other keys. */
function isArrayIndex(key: string): boolean {
  if (key.length === 0 || key.length > 10) return false;
  const first = key.charCodeAt(0);
  if (first < 48 || first > 57 || (first === 48 && key.length > 1)) return false;
  for (let i = 1; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(key) < 4_294_967_295;
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
