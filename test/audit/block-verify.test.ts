import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { encodeRecords, isBlock, recordsOfMessage } from "../../src/audit/block.js";
import { describeProblem } from "../../src/audit/format.js";
import { chainRecord, type ChainedRecord } from "../../src/audit/record.js";
import { ChainVerifier, type AuditMessage } from "../../src/audit/verify.js";

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
const encoder = new TextEncoder();

/** One chain written as a writer with blocks does: `sizes` says how many records each message holds. */
function chainOf(chain: string, sizes: readonly number[]): { records: ChainedRecord[][]; messages: AuditMessage[] } {
  let tail: ChainedRecord | undefined;
  const records: ChainedRecord[][] = [];
  for (const size of sizes) {
    const message: ChainedRecord[] = [];
    for (let i = 0; i < size; i++) {
      tail = chainRecord(chain, tail, { action: "alert.fired", actor: "test", timeMs: T0 + message.length, subject: `fp-${records.length}-${i}` });
      message.push(tail);
    }
    records.push(message);
  }
  const messages = records.map((rs, i) => ({ streamSeq: i + 1, subject: `klaxon.audit.${chain}`, data: encoder.encode(encodeRecords(rs.map((r) => JSON.stringify(r)))) }));
  return { records, messages };
}

function verify(messages: readonly AuditMessage[]): ReturnType<ChainVerifier["finish"]> {
  const verifier = new ChainVerifier("klaxon.audit", { firstSeq: 1, lastSeq: messages.length, limited: false });
  for (const m of messages) verifier.add(m);
  return verifier.finish();
}

const replace = (messages: AuditMessage[], streamSeq: number, value: unknown): void => {
  const at = messages.findIndex((m) => m.streamSeq === streamSeq);
  messages[at] = { ...(messages[at] as AuditMessage), data: encoder.encode(JSON.stringify(value)) };
};

describe("blocks of records", () => {
  test("a message of one record stays a plain record; several make a block, read back in order", () => {
    const { records } = chainOf("engine-a", [1, 3]);
    const single = JSON.parse(encodeRecords((records[0] as ChainedRecord[]).map((r) => JSON.stringify(r)))) as unknown;
    const block = JSON.parse(encodeRecords((records[1] as ChainedRecord[]).map((r) => JSON.stringify(r)))) as unknown;
    assert.equal(isBlock(single), false);
    assert.deepEqual(recordsOfMessage(single), [{ index: undefined, raw: records[0]?.[0] }]);
    assert.equal(isBlock(block), true);
    assert.deepEqual(recordsOfMessage(block).map((r) => [r.index, (r.raw as ChainedRecord).seq]), [[0, 2], [1, 3], [2, 4]]);
  });

  test("a stream mixing single records (older writers) and blocks verifies, counting every record", () => {
    const { messages } = chainOf("engine-a", [1, 1, 4, 1, 3]);
    const result = verify(messages);
    assert.equal(result.ok, true, JSON.stringify(result.problems));
    assert.equal(result.records, 10);
    assert.deepEqual(result.chains.map((c) => [c.chain, c.firstSeq, c.lastSeq, c.records, c.lastStreamSeq, c.lastIndex]), [["engine-a", 1, 10, 10, 5, 2]]);
  });

  test("an edited record inside a block is pinpointed by stream sequence and place in the block", () => {
    const { records, messages } = chainOf("engine-a", [2, 4, 2]);
    const block = [...(records[1] as ChainedRecord[])];
    block[2] = { ...(block[2] as ChainedRecord), actor: "mallory" };
    replace(messages, 2, { block });
    const result = verify(messages);
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.problems.map((p) => [p.kind, p.streamSeq, p.index, p.seq]),
      [["hash_mismatch", 2, 2, 5]],
      "only the edited record is bad: its hash still chains, so the records after it check out",
    );
    assert.equal(describeProblem(result.problems[0] as never), "stream sequence 2 (record 3 of its block), chain engine-a, seq 5: hash mismatch: its content does not match its hash: the record was edited");
  });

  test("a record removed from a block leaves a seq gap at the record after it", () => {
    const { records, messages } = chainOf("engine-a", [3, 3]);
    const block = (records[0] as ChainedRecord[]).filter((_, i) => i !== 1);
    replace(messages, 1, { block });
    const result = verify(messages);
    assert.deepEqual(result.problems.map((p) => [p.kind, p.streamSeq, p.index, p.seq]), [["seq_gap", 1, 1, 3]]);
    assert.match(result.problems[0]?.detail ?? "", /expected seq 2, found 3: 1 record missing after stream sequence 1 \(record 1 of its block\)/);
  });

  test("records swapped inside a block are found out; an empty block and a foreign record in a block are invalid", () => {
    const { records, messages } = chainOf("engine-a", [3, 1]);
    const [a, b, c] = records[0] as ChainedRecord[];
    replace(messages, 1, { block: [a, c, b] });
    const swapped = verify(messages);
    assert.deepEqual(swapped.problems.map((p) => [p.kind, p.index]), [["seq_gap", 1], ["seq_gap", 2]]);

    const other = chainOf("engine-a", [1, 1]).messages;
    replace(other, 2, { block: [] });
    assert.deepEqual(verify(other).problems.map((p) => [p.kind, p.streamSeq, p.detail]), [["invalid_record", 2, "an empty block"]]);

    const legacy = chainOf("engine-a", [1, 1]).messages;
    replace(legacy, 2, { block: [{ action: "page.sent", actor: "mallory", timeMs: T0 }] });
    assert.deepEqual(verify(legacy).problems.map((p) => [p.kind, p.streamSeq, p.index]), [["unchained_record", 2, 0]]);
  });
});
