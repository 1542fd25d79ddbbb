/**
 * A block: chained records appended together as one message, `{"block":[record, record, ...]}`, each record still
 * hashed into its chain in order. A writer that has several records waiting appends them in one round trip instead
 * of one each; a message holding a single record (every message before blocks existed) stays a plain record.
 */

/**
 * A block's payload is kept well under NATS's default 1 MB max payload: the records plus their framing. A record
 * larger than this goes alone, as a plain record.
 */
export const MAX_BLOCK_BYTES = 256 * 1024;

/** The framing a block adds around its records: `{"block":[`, `]}` and one comma between two records. */
const BLOCK_FRAME_BYTES = '{"block":[]}'.length;

/** The bytes a block of records of these sizes takes. */
export function blockBytes(recordBytes: readonly number[]): number {
  let total = BLOCK_FRAME_BYTES + Math.max(0, recordBytes.length - 1);
  for (const bytes of recordBytes) total += bytes;
  return total;
}

/** The message text for records already serialised: a plain record when alone, a block otherwise. */
export function encodeRecords(recordJson: readonly string[]): string {
  return recordJson.length === 1 ? (recordJson[0] as string) : `{"block":[${recordJson.join(",")}]}`;
}

/** One record as read back from a message, with its place in the block (undefined: the message is the record). */
export interface MessageRecord {
  index: number | undefined;
  raw: unknown;
}

/** A parsed message that is a block: an object whose only key is `block`, an array. */
export function isBlock(raw: unknown): raw is { block: unknown[] } {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return false;
  const keys = Object.keys(raw);
  return keys.length === 1 && keys[0] === "block" && Array.isArray((raw as { block?: unknown }).block);
}

/** The records a parsed message holds, in chain order: the message itself, or each record of its block. */
export function recordsOfMessage(raw: unknown): MessageRecord[] {
  if (!isBlock(raw)) return [{ index: undefined, raw }];
  return raw.block.map((record, index) => ({ index, raw: record }));
}

/** Where a record is stored, for people: "stream sequence 12", or "stream sequence 12 (record 3 of its block)". */
export function describePlace(streamSeq: number, index: number | undefined): string {
  return index === undefined ? `stream sequence ${streamSeq}` : `stream sequence ${streamSeq} (record ${index + 1} of its block)`;
}
