import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { chainRecord, GENESIS_HASH, recordHash, type ChainedRecord } from "../../src/audit/record.js";
import { ChainVerifier, type AuditMessage, type StreamBounds, type VerifyResult } from "../../src/audit/verify.js";
import { describeProblem } from "../../src/audit/format.js";

const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
const encoder = new TextEncoder();

/** A stream as JetStream would hold it: messages with consecutive stream sequences, on `klaxon.audit.<chain>`. */
class FakeStream {
  readonly messages: AuditMessage[] = [];
  private readonly tails = new Map<string, ChainedRecord>();
  private nextSeq = 1;

  append(chain: string, action: string, details: Record<string, unknown> = {}): ChainedRecord {
    const record = chainRecord(chain, this.tails.get(chain), { action, actor: "test", timeMs: T0 + this.messages.length * 1_000, details });
    this.tails.set(chain, record);
    this.raw(`klaxon.audit.${chain}`, record);
    return record;
  }

  raw(subject: string, value: unknown): number {
    const streamSeq = this.nextSeq++;
    this.messages.push({ streamSeq, subject, data: encoder.encode(typeof value === "string" ? value : JSON.stringify(value)) });
    return streamSeq;
  }

  delete(streamSeq: number): void {
    const index = this.messages.findIndex((m) => m.streamSeq === streamSeq);
    this.messages.splice(index, 1);
  }

  /** The writer lost track of its tail (a restart after its newest record was removed): it continues from `tail`. */
  resetTail(chain: string, tail: ChainedRecord): void {
    this.tails.set(chain, tail);
  }

  verify(bounds: Partial<StreamBounds> = {}): VerifyResult {
    const lastSeq = this.nextSeq - 1;
    const verifier = new ChainVerifier("klaxon.audit", { firstSeq: 1, lastSeq, limited: false, ...bounds });
    for (const message of this.messages) verifier.add(message);
    return verifier.finish();
  }
}

const json = (m: AuditMessage): Record<string, unknown> => JSON.parse(new TextDecoder().decode(m.data)) as Record<string, unknown>;

describe("hash chain records", () => {
  test("each record carries its chain, a seq counting from 1, the previous record's hash and its own hash", () => {
    const first = chainRecord("engine-a", undefined, { action: "engine.start", actor: "ops", timeMs: T0, details: { rules: 3 } });
    const second = chainRecord("engine-a", first, { action: "alert.fired", actor: "ops", timeMs: T0 + 1, subject: "fp1" });
    assert.deepEqual([first.seq, first.prevHash, first.time], [1, GENESIS_HASH, "2026-11-25T10:00:00.000Z"]);
    assert.deepEqual([second.seq, second.prevHash], [2, first.hash]);
    assert.equal(recordHash(first), first.hash);
    assert.notEqual(recordHash({ ...first, details: { rules: 4 } }), first.hash, "any change in the content changes the hash");
    assert.equal(recordHash(JSON.parse(JSON.stringify({ details: first.details, ...first }))), first.hash, "key order does not matter (canonical JSON)");
  });
});

describe("ChainVerifier", () => {
  test("an intact stream of two interleaved chains passes, with each chain's extent", () => {
    const stream = new FakeStream();
    for (let i = 0; i < 5; i++) {
      stream.append("engine-a", "alert.fired", { i });
      stream.append("engine-b", "alert.fired", { i });
    }
    const result = stream.verify();
    assert.equal(result.ok, true);
    assert.deepEqual(result.problems, []);
    assert.equal(result.records, 10);
    assert.deepEqual(result.chains.map((c) => [c.chain, c.firstSeq, c.lastSeq, c.records]), [["engine-a", 1, 5, 5], ["engine-b", 1, 5, 5]]);
  });

  test("an edited record republished on its chain is pinpointed by stream sequence, chain and seq as a hash mismatch", () => {
    const stream = new FakeStream();
    for (let i = 0; i < 4; i++) stream.append("engine-a", "incident.acknowledged", { via: "slack" });
    const original = json(stream.messages[1] as AuditMessage);
    const forgedAt = stream.raw("klaxon.audit.engine-a", { ...original, actor: "mallory", details: { via: "http" } });
    stream.append("engine-a", "incident.resolved");
    const result = stream.verify();
    assert.equal(result.ok, false);
    assert.equal(result.problems.length, 1, "the records after the forgery still check out against the chain");
    assert.deepEqual(result.problems[0], { kind: "hash_mismatch", streamSeq: forgedAt, chain: "engine-a", seq: 2, detail: "its content does not match its hash: the record was edited" });
    assert.equal(describeProblem(result.problems[0]!), `stream sequence ${forgedAt}, chain engine-a, seq 2: hash mismatch: its content does not match its hash: the record was edited`);
  });

  test("a forged copy with a recomputed hash is out of sequence", () => {
    const stream = new FakeStream();
    for (let i = 0; i < 3; i++) stream.append("engine-a", "page.sent");
    const copy: Record<string, unknown> = { ...json(stream.messages[0] as AuditMessage), actor: "mallory" };
    delete copy.hash;
    const forgedAt = stream.raw("klaxon.audit.engine-a", { ...copy, hash: recordHash(copy) });
    const [problem] = stream.verify().problems;
    assert.equal(problem?.kind, "seq_gap");
    assert.equal(problem?.streamSeq, forgedAt);
    assert.match(problem?.detail ?? "", /seq 1 comes after seq 3 .*a copy of an earlier record, or one inserted/);
  });

  test("a deleted record leaves a seq gap at the next record of its chain, naming the deleted stream sequence", () => {
    const stream = new FakeStream();
    for (let i = 0; i < 3; i++) {
      stream.append("engine-a", "group.notified");
      stream.append("engine-b", "group.notified");
    }
    stream.delete(3); // engine-a seq 2
    const result = stream.verify();
    assert.equal(result.problems.length, 1, "the deleted sequence is explained by the gap, not reported twice");
    assert.deepEqual(result.problems[0], {
      kind: "seq_gap",
      streamSeq: 5,
      chain: "engine-a",
      seq: 3,
      detail: "expected seq 2, found 3: 1 record missing after stream sequence 1 (deleted: stream sequence 3)",
    });
  });

  test("a chain's newest record deleted and its writer carrying on from the record before: the missing stream sequence is reported", () => {
    const stream = new FakeStream();
    const kept = stream.append("engine-a", "engine.start");
    stream.append("engine-a", "silence.created");
    stream.delete(2);
    stream.resetTail("engine-a", kept);
    stream.append("engine-a", "engine.stop"); // seq 2 again, at stream sequence 3
    const result = stream.verify();
    assert.deepEqual(
      result.problems.map((p) => [p.kind, p.streamSeq, p.chain]),
      [["deleted", 2, undefined]],
    );
    assert.match(result.problems[0]?.detail ?? "", /stream sequence 2 is missing from the stream \(deleted\)/);
  });

  test("deleting the very last record of the stream is seen too (JetStream keeps the last sequence)", () => {
    const stream = new FakeStream();
    for (let i = 0; i < 3; i++) stream.append("engine-a", "page.sent");
    stream.delete(3);
    const result = stream.verify();
    assert.deepEqual(result.problems.map((p) => [p.kind, p.streamSeq]), [["deleted", 3]]);
  });

  test("a replaced record (valid hash, wrong prevHash) is a prevHash mismatch", () => {
    const stream = new FakeStream();
    const first = stream.append("engine-a", "rules.changed");
    stream.append("engine-a", "engine.stop");
    stream.delete(1);
    // Someone rebuilt record 1 with a valid hash but other content: record 2 no longer points at it.
    const forged = chainRecord("engine-a", undefined, { action: "rules.changed", actor: "mallory", timeMs: first.timeMs });
    stream.messages.unshift({ streamSeq: 1, subject: "klaxon.audit.engine-a", data: encoder.encode(JSON.stringify(forged)) });
    const result = stream.verify();
    assert.deepEqual(result.problems.map((p) => [p.kind, p.streamSeq, p.seq]), [["prev_hash_mismatch", 2, 2]]);
  });

  test("records from before the hash chain are accepted before it; one inserted later is not", () => {
    const stream = new FakeStream();
    stream.raw("klaxon.audit.engine", { action: "engine.start", actor: "engine", timeMs: T0, details: {} });
    stream.append("engine-a", "engine.start");
    const insertedAt = stream.raw("klaxon.audit.incident", { action: "incident.acknowledged", actor: "mallory", timeMs: T0, details: {} });
    const result = stream.verify();
    assert.equal(result.legacy, 1);
    assert.deepEqual(result.problems.map((p) => [p.kind, p.streamSeq]), [["unchained_record", insertedAt]]);
  });

  test("garbage, a record moved to another chain's subject and a purged head are each reported", () => {
    const stream = new FakeStream();
    stream.append("engine-a", "engine.start");
    const b = stream.append("engine-b", "engine.start");
    stream.raw("klaxon.audit.engine-a", "not json");
    stream.raw("klaxon.audit.engine-a", { ...b });
    const result = stream.verify({ firstSeq: 2, limited: false });
    assert.deepEqual(
      result.problems.map((p) => p.kind),
      ["purged", "invalid_record", "chain_mismatch"],
    );
    const limited = new FakeStream();
    limited.append("engine-a", "x");
    limited.append("engine-a", "y");
    limited.delete(1);
    const aged = limited.verify({ firstSeq: 2, limited: true });
    assert.equal(aged.ok, true, "a stream with age/size limits drops old records by design");
    assert.equal(aged.notes.length, 2);
  });
});
