import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { encodeRecords, isBlock, MAX_BLOCK_BYTES } from "../../src/audit/block.js";
import { chainRecord, type ChainedRecord } from "../../src/audit/record.js";
import { AuditQueries } from "../../src/store/jetstream/audit-queries.js";
import { JetStreamAuditSink } from "../../src/store/jetstream/sinks.js";
import { client, readStream, useNatsServer } from "../support/engine.js";
import { auditRecords } from "../support/audit-records.js";

const entry = (action: string, details: Record<string, unknown> = {}) => ({ action, actor: "test", timeMs: Date.now(), subject: "fp-1", details });

/** A client whose publish number `lost` (1-based) reaches the stream but whose ack never comes back (a timeout). */
function losingAck(js: JetStreamClient, lost: number): JetStreamClient {
  const lossy = Object.create(js) as JetStreamClient;
  let published = 0;
  lossy.publish = async (...args: Parameters<JetStreamClient["publish"]>) => {
    const ack = await js.publish(...args);
    if (++published === lost) throw new Error("TIMEOUT (the ack was lost)");
    return ack;
  };
  return lossy;
}

describe("audit blocks on a real nats-server", () => {
  const nats = useNatsServer();

  async function freshStream(name: string): Promise<{ js: JetStreamClient; subject: string; close: () => Promise<void>; queries: AuditQueries }> {
    const { nc, js } = await client(nats.current.url);
    const subject = name.toLowerCase().replace(/_/g, ".");
    await (await jetstreamManager(nc)).streams.add({ name, subjects: [`${subject}.>`], deny_delete: true, deny_purge: true });
    return { js, subject, close: () => nc.close(), queries: new AuditQueries(js, { stream: name, subjectPrefix: subject }) };
  }

  test("records that arrive while an append is in flight go out together; each caller learns its own record is stored", async () => {
    const { js, subject, close, queries } = await freshStream("BLOCK_AUDIT");
    const sink = new JetStreamAuditSink(js, subject, { chainId: "engine-a" });
    await Promise.all(Array.from({ length: 500 }, (_, i) => sink.record(entry("alert.fired", { i }))));
    const messages = await readStream(js, "BLOCK_AUDIT");
    const records = await auditRecords<ChainedRecord>(js, "BLOCK_AUDIT");
    assert.ok(messages.length < 20, `500 records in ${messages.length} messages`);
    assert.ok(messages.some((m) => isBlock(m.json())));
    assert.deepEqual(records.map((r) => r.seq), Array.from({ length: 500 }, (_, i) => i + 1));
    assert.deepEqual(records.map((r) => r.details?.i), Array.from({ length: 500 }, (_, i) => i), "in the order the records were handed over");
    const verified = await queries.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified.problems));
    assert.equal(verified.records, 500);
    // Queries see each record of a block, with its place.
    const listed = await queries.query({}, 1_000);
    assert.equal(listed.length, 500);
    assert.ok(listed.some((r) => r.index !== undefined && r.index > 0));
    await close();
  });

  test("a block stays under the size cap; a record larger than the cap goes alone", async () => {
    const { js, subject, close, queries } = await freshStream("BIG_AUDIT");
    const sink = new JetStreamAuditSink(js, subject, { chainId: "engine-a" });
    const text = "x".repeat(20_000);
    await Promise.all([
      ...Array.from({ length: 40 }, (_, i) => sink.record(entry("alert.fired", { i, text }))),
      sink.record(entry("rules.changed", { huge: "y".repeat(MAX_BLOCK_BYTES + 10_000) })),
      ...Array.from({ length: 5 }, (_, i) => sink.record(entry("alert.fired", { i: 40 + i }))),
    ]);
    const messages = await readStream(js, "BIG_AUDIT");
    for (const m of messages) assert.ok(m.data.length <= MAX_BLOCK_BYTES || !isBlock(m.json()), `a block of ${m.data.length} bytes`);
    const huge = messages.find((m) => m.json<{ action?: string }>().action === "rules.changed");
    assert.ok(huge, "the oversized record is a message of its own");
    assert.ok(messages.length >= 5, "40 records of 20 kB need several blocks");
    assert.equal((await queries.verify()).ok, true);
    await close();
  });

  test("a block whose ack was lost is not appended again when its callers retry, and the chain does not fork", async () => {
    const { js, subject, close, queries } = await freshStream("LOST_AUDIT");
    const sink = new JetStreamAuditSink(losingAck(js, 3), subject, { chainId: "engine-a" });
    await sink.record(entry("engine.start"));
    const fired = [0, 1, 2, 3].map((i) => entry("alert.fired", { i }));
    // e0 goes alone (publish 2); e1–e3 arrive while it is in flight and go as one block (publish 3), whose ack is lost.
    const first = await Promise.allSettled(fired.map((e) => sink.record(e)));
    assert.deepEqual(first.map((s) => s.status), ["fulfilled", "rejected", "rejected", "rejected"]);
    // The callers retry with the same entries, as AuditWriter does; another record arrives with them.
    await Promise.all([...fired.slice(1), entry("alert.resolved")].map((e) => sink.record(e)));
    const records = await auditRecords<ChainedRecord>(js, "LOST_AUDIT");
    assert.deepEqual(records.map((r) => [r.seq, r.action, r.details?.i]), [[1, "engine.start", undefined], [2, "alert.fired", 0], [3, "alert.fired", 1], [4, "alert.fired", 2], [5, "alert.fired", 3], [6, "alert.resolved", undefined]]);
    assert.equal((await queries.verify()).ok, true);
    await close();
  });

  test("a writer restarted after a crash mid-block (stored, never acknowledged) continues after the block's last record", async () => {
    const { js, subject, close, queries } = await freshStream("CRASH_AUDIT");
    const before = new JetStreamAuditSink(js, subject, { chainId: "engine-a" });
    await before.record(entry("engine.start"));
    // What the dead writer's last publish stored: a block chained after its tail. It never heard back.
    const tail = (await auditRecords<ChainedRecord>(js, "CRASH_AUDIT")).at(-1) as ChainedRecord;
    let previous: ChainedRecord = tail;
    const block = [1, 2, 3].map((i) => (previous = chainRecord("engine-a", previous, entry("alert.fired", { i }))));
    await js.publish(`${subject}.engine-a`, encodeRecords(block.map((r) => JSON.stringify(r))), { expect: { lastSubjectSequence: 1 } });
    const after = new JetStreamAuditSink(js, subject, { chainId: "engine-a" });
    await Promise.all([after.record(entry("engine.start")), after.record(entry("alert.fired", { i: 1 })), after.record(entry("alert.fired", { i: 2 }))]);
    const records = await auditRecords<ChainedRecord>(js, "CRASH_AUDIT");
    assert.deepEqual(records.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7]);
    assert.equal(records[4]?.prevHash, block.at(-1)?.hash);
    const verified = await queries.verify();
    assert.equal(verified.ok, true, JSON.stringify(verified.problems));
    assert.deepEqual(verified.chains.map((c) => [c.chain, c.lastSeq, c.records]), [["engine-a", 7, 7]]);
    await close();
  });
});
