import { z } from "zod";
import { canonicalJson, sha256Hex } from "../core/hash.js";
import type { AuditEntry } from "../store/ports.js";

/** The `prevHash` of a chain's first record. */
export const GENESIS_HASH = "0".repeat(64);

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "a lowercase hex SHA-256");

/** A chain id is one subject token: `klaxon.audit.<chain>`. */
export const chainIdSchema = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "chain ids are 1–64 letters, digits, '_' or '-'");

const details = z.record(z.string(), z.unknown());

/**
 * One record of a hash chain. `hash` is the SHA-256 of the canonical JSON (sorted keys) of every other field, and
 * `prevHash` is the hash of the chain's previous record: an edited record no longer matches its hash, a removed one
 * leaves a hole in `seq` and a `prevHash` that points at nothing.
 */
export const chainedRecordSchema = z.strictObject({
  v: z.literal(1),
  chain: chainIdSchema,
  seq: z.number().int().min(1),
  prevHash: sha256,
  action: z.string().min(1),
  actor: z.string(),
  timeMs: z.number(),
  time: z.string(),
  subject: z.string().optional(),
  details: details.optional(),
  hash: sha256,
});

export type ChainedRecord = z.infer<typeof chainedRecordSchema>;

/** What every audit record says, chained or written before the chain existed. */
const entryViewSchema = z.looseObject({
  action: z.string().min(1),
  actor: z.string(),
  timeMs: z.number(),
  subject: z.string().optional(),
  details: details.optional(),
  chain: z.string().optional(),
  seq: z.number().optional(),
});

/** An audit record as read back from the stream, for queries: where it is stored and what it says. */
export interface StoredRecord {
  streamSeq: number;
  /** The record's place in its block (0 = first); absent when the message is a single record. */
  index?: number;
  action: string;
  actor: string;
  timeMs: number;
  subject?: string;
  details?: Record<string, unknown>;
  chain?: string;
  seq?: number;
}

/** The query view of a stored record, or undefined when it is not an audit record at all (verify reports those). */
export function toStoredRecord(streamSeq: number, json: unknown, index?: number): StoredRecord | undefined {
  const parsed = entryViewSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const r = parsed.data;
  return {
    streamSeq,
    ...(index === undefined ? {} : { index }),
    action: r.action,
    actor: r.actor,
    timeMs: r.timeMs,
    ...(r.subject === undefined ? {} : { subject: r.subject }),
    ...(r.details === undefined ? {} : { details: r.details }),
    ...(r.chain === undefined ? {} : { chain: r.chain }),
    ...(r.seq === undefined ? {} : { seq: r.seq }),
  };
}

/** Where a chain stands: the last record's sequence number and hash. */
export interface ChainTail {
  seq: number;
  hash: string;
}

/** The hash a record must carry: SHA-256 over the canonical JSON of the record without its `hash` field. */
export function recordHash(record: Record<string, unknown>): string {
  const { hash: _hash, ...rest } = record;
  return sha256Hex(canonicalJson(rest));
}

/**
 * The next record of `chain` after `tail` (none: the chain starts). The fields are normalised through JSON first,
 * so the hash is computed over exactly what a reader will parse back.
 */
export function chainRecord(chain: string, tail: ChainTail | undefined, entry: AuditEntry): ChainedRecord {
  const unhashed = JSON.parse(
    JSON.stringify({
      v: 1,
      chain,
      seq: (tail?.seq ?? 0) + 1,
      prevHash: tail?.hash ?? GENESIS_HASH,
      action: entry.action,
      actor: entry.actor,
      timeMs: entry.timeMs,
      time: new Date(entry.timeMs).toISOString(),
      ...(entry.subject === undefined ? {} : { subject: entry.subject }),
      ...(entry.details === undefined ? {} : { details: entry.details }),
    }),
  ) as Omit<ChainedRecord, "hash">;
  // Assigned, not spread: `{ ...parsed, hash }` would give every record a hidden class of its own (see mergeRecords).
  const hash = recordHash(unhashed);
  return Object.assign(unhashed, { hash });
}

/** A chain id from a host or instance name: characters a subject token cannot hold become '_'. */
export function toChainId(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 64);
  return cleaned === "" ? "unnamed" : cleaned;
}

/** Stream order: by stream sequence, then by place in the block. */
export function compareStreamOrder(a: Pick<StoredRecord, "streamSeq" | "index">, b: Pick<StoredRecord, "streamSeq" | "index">): number {
  return a.streamSeq - b.streamSeq || (a.index ?? -1) - (b.index ?? -1);
}
