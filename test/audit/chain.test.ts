import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { client, eventually, metricEvent, publishEvent, rulesDir, startEngine, testConfig, useNatsServer } from "../support/engine.js";
import { capture } from "../support/output.js";
import { auditVerifyCommand } from "../../src/cli/commands/audit.js";
import { JetStreamAuditSink } from "../../src/store/jetstream/sinks.js";
import type { ChainedRecord } from "../../src/audit/record.js";
import type { VerifyReport } from "../../src/store/jetstream/audit-queries.js";
import { dbDownRule } from "../support/oncall-fixtures.js";
import { auditRecords, type StoredAuditRecord } from "../support/audit-records.js";

type Stored = StoredAuditRecord<ChainedRecord>;

async function trail(js: JetStreamClient, stream: string): Promise<Stored[]> {
  return auditRecords<ChainedRecord>(js, stream);
}

/** A config file naming its own audit stream, so each test verifies only what it wrote. */
async function auditConfig(stream: string, subject: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), "klaxon-audit-config-")), "config.json");
  await writeFile(file, JSON.stringify({ streams: { audit: stream }, subjects: { audit: subject } }));
  return file;
}

async function verify(url: string, config?: string): Promise<{ code: number; lines: string[]; result: VerifyReport }> {
  const text = capture();
  const code = await auditVerifyCommand({ nats: url, ...(config ? { config } : {}) }, text);
  const json = capture();
  await auditVerifyCommand({ nats: url, json: true, ...(config ? { config } : {}) }, json);
  return { code, lines: text.out, result: JSON.parse(json.out[0] ?? "{}") as VerifyReport };
}

const entry = (action: string, details: Record<string, unknown> = {}) => ({ action, actor: "test", timeMs: Date.now(), details });

describe("tamper evidence", () => {
  const nats = useNatsServer();

  test("the audit stream Klaxon provisions refuses deletes and purges", async () => {
    const engine = await startEngine(testConfig(nats.current.url, await rulesDir([dbDownRule]), { cluster: { instanceId: "solo" } }));
    await engine.stop();
    const { nc } = await client(nats.current.url);
    const jsm = await jetstreamManager(nc);
    await assert.rejects(jsm.streams.deleteMessage("KLAXON_AUDIT", 1), /message delete not permitted/);
    await assert.rejects(jsm.streams.purge("KLAXON_AUDIT"), /purge not permitted/);
    const { result } = await verify(nats.current.url);
    assert.equal(result.ok, true);
    assert.equal(result.appendOnly, true);
    await nc.close();
  });

  test("asking a NATS without the stream says so", async () => {
    await assert.rejects(auditVerifyCommand({ nats: nats.current.url, config: await auditConfig("NOPE", "nope.audit") }, capture()), /there is no audit stream NOPE on this NATS server/);
  });

  test("verify passes an intact stream and pinpoints a deleted record (a stream that allows deletes)", async () => {
    const { nc, js } = await client(nats.current.url);
    const jsm = await jetstreamManager(nc);
    // As provisioned before the hash chain: deletes allowed.
    await jsm.streams.add({ name: "OLD_AUDIT", subjects: ["old.audit.>"] });
    const config = await auditConfig("OLD_AUDIT", "old.audit");
    const a = new JetStreamAuditSink(js, "old.audit", { chainId: "engine-a" });
    const b = new JetStreamAuditSink(js, "old.audit", { chainId: "engine-b" });
    for (let i = 0; i < 5; i++) {
      await a.record(entry("page.sent", { i }));
      await b.record(entry("page.sent", { i }));
    }
    const intact = await verify(nats.current.url, config);
    assert.equal(intact.code, 0);
    assert.deepEqual(intact.lines.slice(0, 3), ["ok: 10 records in 2 chains intact", "  chain engine-a: seq 1–5, 5 records", "  chain engine-b: seq 1–5, 5 records"]);
    assert.match(intact.lines.at(-1) ?? "", /note: the audit stream allows message deletes/);

    const records = await trail(js, "OLD_AUDIT");
    const victim = records.find((r) => r.chain === "engine-a" && r.seq === 3) as Stored;
    const before = records.find((r) => r.chain === "engine-a" && r.seq === 2) as Stored;
    const next = records.find((r) => r.chain === "engine-a" && r.seq === 4) as Stored;
    await jsm.streams.deleteMessage("OLD_AUDIT", victim.streamSeq);
    const deleted = await verify(nats.current.url, config);
    assert.equal(deleted.code, 1);
    assert.deepEqual(deleted.lines.slice(0, 2), [
      "FAILED: 1 problem in 9 records (2 chains)",
      `first bad record: stream sequence ${next.streamSeq}, chain engine-a, seq 4: seq gap: expected seq 3, found 4: 1 record missing after stream sequence ${before.streamSeq} (deleted: stream sequence ${victim.streamSeq})`,
    ]);

    // A writer started afterwards continues its chain after the hole, which stays visible.
    await new JetStreamAuditSink(js, "old.audit", { chainId: "engine-a" }).record(entry("engine.start"));
    const later = await verify(nats.current.url, config);
    assert.deepEqual(later.result.problems.map((p) => [p.kind, p.chain, p.seq]), [["seq_gap", "engine-a", 4]]);
    assert.equal(later.result.chains.find((c) => c.chain === "engine-a")?.lastSeq, 6);
    await nc.close();
  });

  test("verify pinpoints an edited record republished on its chain, and the writer's later records stay in line", async () => {
    const { nc, js } = await client(nats.current.url);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: "EDIT_AUDIT", subjects: ["edit.audit.>"], deny_delete: true, deny_purge: true });
    const config = await auditConfig("EDIT_AUDIT", "edit.audit");
    const sink = new JetStreamAuditSink(js, "edit.audit", { chainId: "engine-b" });
    for (const via of ["slack", "sms", "http"]) await sink.record(entry("incident.acknowledged", { via }));
    const original = (await trail(js, "EDIT_AUDIT"))[1] as Stored;
    const { streamSeq: _seq, storedOn: _on, ...stored } = original;
    const forged = await js.publish("edit.audit.engine-b", JSON.stringify({ ...stored, actor: "mallory", details: { via: "cli" } }));
    await sink.record(entry("incident.resolved"));
    const result = await verify(nats.current.url, config);
    assert.equal(result.code, 1);
    assert.deepEqual(result.lines.slice(0, 2), [
      "FAILED: 1 problem in 5 records (1 chain)",
      `first bad record: stream sequence ${forged.seq}, chain engine-b, seq 2: hash mismatch: its content does not match its hash: the record was edited`,
    ]);
    const last = (await trail(js, "EDIT_AUDIT")).at(-1) as Stored;
    assert.deepEqual([last.action, last.seq], ["incident.resolved", 4], "the writer appended after the forgery without adopting it");
    await nc.close();
  });
});

describe("several writers", () => {
  const nats = useNatsServer();

  test("two engines writing at once produce two intact chains", async () => {
    const dir = await rulesDir([dbDownRule]);
    const engines = await Promise.all(["engine-a", "engine-b"].map((instanceId) => startEngine(testConfig(nats.current.url, dir, { cluster: { instanceId } }))));
    const { nc, js } = await client(nats.current.url);
    for (let i = 0; i < 10; i++) await publishEvent(js, metricEvent(`db-${i}`, "db_up", 0, Date.now()));
    await eventually("every alert fired", async () => ((await trail(js, "KLAXON_AUDIT")).filter((r) => r.action === "alert.fired").length === 10 ? true : undefined));
    await Promise.all(engines.map((engine) => engine.stop()));
    const records = await trail(js, "KLAXON_AUDIT");
    assert.deepEqual(new Set(records.map((r) => r.chain)), new Set(["engine-a", "engine-b"]));
    const { code, result } = await verify(nats.current.url);
    assert.equal(code, 0, JSON.stringify(result.problems));
    assert.deepEqual(result.chains.map((c) => [c.chain, c.firstSeq, c.lastSeq === c.records]), [["engine-a", 1, true], ["engine-b", 1, true]]);
    await nc.close();
  });

  test("writers sharing one chain id never fork it: every record lands once, in one sequence", async () => {
    const { nc, js } = await client(nats.current.url);
    const sinks = [0, 1, 2].map(() => new JetStreamAuditSink(js, "klaxon.audit", { chainId: "shared" }));
    await Promise.all(sinks.map((sink, s) => Promise.all(Array.from({ length: 30 }, (_, i) => sink.record(entry("page.sent", { writer: s, i }))))));
    const records = (await trail(js, "KLAXON_AUDIT")).filter((r) => r.chain === "shared");
    assert.deepEqual(records.map((r) => r.seq), Array.from({ length: 90 }, (_, i) => i + 1));
    assert.equal(new Set(records.map((r) => JSON.stringify(r.details))).size, 90);
    assert.ok(records.slice(1).every((r, i) => r.prevHash === records[i]?.hash));
    assert.equal((await verify(nats.current.url)).code, 0);
    await nc.close();
  });
});
