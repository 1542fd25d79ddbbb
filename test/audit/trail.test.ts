import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { JetStreamClient } from "@nats-io/jetstream";
import { client, eventually, metricEvent, publishEvent, startEngine, streamJson, testConfig, useNatsServer } from "../support/engine.js";
import { capture } from "../support/output.js";
import { auditListCommand, auditVerifyCommand } from "../../src/cli/commands/audit.js";
import { timelineCommand } from "../../src/cli/commands/timeline.js";
import { reportCommand } from "../../src/cli/commands/report.js";
import type { PageMessage } from "../../src/app/escalation-stage.js";
import type { ChainedRecord } from "../../src/audit/record.js";
import type { AuditReport } from "../../src/audit/report.js";
import { commitAll, pagingRules } from "./support.js";
import { dbDownRule, writeJson } from "../support/oncall-fixtures.js";
import { auditRecords } from "../support/audit-records.js";

const TOKEN = "bobs-token-0123456789abcdef";

async function auditTrail(js: JetStreamClient): Promise<Array<ChainedRecord & { streamSeq: number; storedOn: string }>> {
  return auditRecords<ChainedRecord>(js);
}

async function recorded(js: JetStreamClient, action: string, where: (r: ChainedRecord) => boolean = () => true): Promise<ChainedRecord> {
  // Reading fails while NATS is down; keep asking until it is back.
  return eventually(`an audit record ${action}`, async () => (await auditTrail(js).catch(() => [])).find((r) => r.action === action && where(r)), 20_000);
}

describe("the audit trail of an engine's life", () => {
  const nats = useNatsServer();

  test("fire, notify, page, ack, silence, rule reload, dead letter, resolve, restart, redelivery and NATS loss each leave records in one intact chain", async () => {
    const dir = await pagingRules();
    const commit = commitAll(dir);
    const tokens = join(await mkdtemp(join(tmpdir(), "klaxon-tokens-")), "tokens");
    await writeFile(tokens, `bob ${TOKEN}\n`);
    const config = testConfig(nats.current.url, dir, { http: { port: 0, tokensFile: tokens }, consumer: { ackWaitMs: 1_000 }, cluster: { instanceId: "engine-a" } });
    const { nc, js } = await client(nats.current.url);
    const auth = { authorization: `Bearer ${TOKEN}` };

    let engine = await startEngine(config);
    await publishEvent(js, metricEvent("db-1", "db_up", 0, Date.now()));
    const page = await eventually("alice is paged", async () => (await streamJson<PageMessage>(js, "KLAXON_PAGES"))[0]);
    const fingerprint = page.alertFingerprints[0] as string;
    const api = `http://127.0.0.1:${engine.httpPort}/api/v1`;
    assert.equal((await fetch(`${api}/incidents/${page.incidentId}/ack`, { method: "POST", headers: auth })).status, 200);
    const silence = await fetch(`${api}/silences`, { method: "POST", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify({ matchers: ['source="db-2"'], duration: "1h", comment: "maintenance" }) });
    assert.equal(silence.status, 201);
    assert.equal((await fetch(`${api}/silences/${((await silence.json()) as { id: string }).id}`, { method: "DELETE", headers: auth })).status, 200);

    // A rule edited on disk and loaded before it was committed: the record names the commit and says "dirty".
    await writeJson(dir, "alerts/db-down.json", { ...dbDownRule, version: 2, annotations: { summary: "{{ source }} is unreachable" } });
    assert.equal((await engine.reloadRules("test")).ok, true);
    await js.publish("events.metric.bad", JSON.stringify({ type: "metric" }));
    await publishEvent(js, metricEvent("db-1", "db_up", 1, Date.now()));
    await recorded(js, "incident.resolved");
    await recorded(js, "deadletter.sent");
    await engine.stop();

    // An event taken by a consumer that died before acknowledging it: JetStream delivers it again after the ack wait.
    await publishEvent(js, metricEvent("db-2", "db_up", 1, Date.now()));
    const taken = await (await js.consumers.get("KLAXON_EVENTS", "klaxon-evaluate")).next({ expires: 2_000 });
    assert.ok(taken, "the test took the event from the engine's consumer");
    engine = await startEngine(config);
    const redelivery = await recorded(js, "jetstream.redelivery");

    // The console's endpoints, with and without a token.
    const again = `http://127.0.0.1:${engine.httpPort}/api/v1`;
    assert.equal((await fetch(`${again}/audit`)).status, 401);
    const acks = (await (await fetch(`${again}/audit?action=incident.acknowledged`, { headers: auth })).json()) as { records: Array<{ actor: string }> };
    assert.deepEqual(acks.records.map((r) => r.actor), ["bob"]);
    const badLimit = await fetch(`${again}/audit?limit=0`, { headers: auth });
    assert.equal(badLimit.status, 400);
    assert.deepEqual(((await badLimit.json()) as { issues: Array<{ path: string }> }).issues.map((i) => i.path), ["limit"]);
    assert.equal(((await (await fetch(`${again}/timeline/${fingerprint}`, { headers: auth })).json()) as { kind: string }).kind, "alert");
    assert.equal((await fetch(`${again}/timeline/no-such-alert`, { headers: auth })).status, 404);
    const httpReport = (await (await fetch(`${again}/report?since=1h`, { headers: auth })).json()) as AuditReport;
    assert.deepEqual(httpReport.receivers.map((r) => [r.receiver, r.incidents]), [["db", 1]]);

    // NATS goes away and comes back: both are on record once the engine can write again.
    await nats.current.kill();
    await nats.current.restart();
    await recorded(js, "nats.reconnect");
    await recorded(js, "nats.disconnect");
    await engine.stop();

    const trail = await auditTrail(js);
    const kinds = new Set(trail.map((r) => r.action));
    for (const kind of [
      "provision.created",
      "engine.start",
      "engine.recovered",
      "alert.fired",
      "group.notified",
      "incident.opened",
      "page.sent",
      "incident.acknowledged",
      "silence.created",
      "silence.expired",
      "rules.changed",
      "deadletter.sent",
      "alert.resolved",
      "incident.resolved",
      "engine.stop",
      "jetstream.redelivery",
      "nats.disconnect",
      "nats.reconnect",
    ]) {
      assert.ok(kinds.has(kind), `an audit record ${kind}`);
    }
    const find = (action: string): ChainedRecord => trail.find((r) => r.action === action) as ChainedRecord;
    assert.deepEqual(find("engine.start").details?.git, { commit, dirty: false });
    assert.deepEqual([find("rules.changed").subject, find("rules.changed").details?.git, find("rules.changed").details?.newVersion], ["db-down", { commit, dirty: true }, 2]);
    assert.deepEqual([find("incident.acknowledged").actor, find("incident.acknowledged").details?.via], ["bob", "http"]);
    assert.deepEqual([find("silence.created").actor, find("silence.created").details?.channel], ["bob", "http"]);
    assert.deepEqual([find("deadletter.sent").details?.reason, find("deadletter.sent").subject], ["schema", "events.metric.bad"]);
    assert.deepEqual(redelivery.details, { stream: "KLAXON_EVENTS", consumer: "klaxon-evaluate", redeliveries: [{ sequence: taken.seq, deliveryCount: 2, subject: "events.metric.db-2" }] });
    assert.equal(find("alert.fired").subject, fingerprint);
    assert.equal(trail.filter((r) => r.action === "engine.start").length, 2);

    // One chain across the restart: every record on the replica's subject, seq 1, 2, 3, ... each pointing at the last.
    assert.ok(trail.every((r) => r.storedOn === "klaxon.audit.engine-a" && r.chain === "engine-a"));
    assert.deepEqual(trail.map((r) => r.seq), trail.map((_, i) => i + 1));
    assert.ok(trail.slice(1).every((r, i) => r.prevHash === trail[i]?.hash));
    const verify = capture();
    assert.equal(await auditVerifyCommand({ nats: nats.current.url }, verify), 0, verify.out.join("\n"));
    assert.deepEqual(verify.out.slice(0, 2), [`ok: ${trail.length} records in 1 chain intact`, `  chain engine-a: seq 1–${trail.length}, ${trail.length} records`]);

    await checkCliQueries(nats.current.url, trail, fingerprint, page.incidentId);
    await nc.close();
  });
});

/** `klaxon audit` filters, `klaxon timeline` and `klaxon report` over the trail the test above produced. */
async function checkCliQueries(url: string, trail: ChainedRecord[], fingerprint: string, incidentId: string): Promise<void> {
  const json = async (options: Parameters<typeof auditListCommand>[0]): Promise<ChainedRecord[]> => {
    const io = capture();
    assert.equal(await auditListCommand({ nats: url, json: true, ...options }, io), 0, io.errors.join("\n"));
    return io.out.map((line) => JSON.parse(line) as ChainedRecord);
  };
  const actionsOf = (records: ChainedRecord[]): string[] => records.map((r) => r.action);

  assert.deepEqual(actionsOf(await json({ action: "incident" })), actionsOf(trail.filter((r) => r.action.startsWith("incident."))));
  assert.deepEqual(actionsOf(await json({ actor: "bob" })), ["incident.acknowledged", "silence.created", "silence.expired"]);
  const aboutAlert = await json({ alert: fingerprint });
  assert.ok(aboutAlert.length >= 4 && aboutAlert.every((r) => r.subject === fingerprint || JSON.stringify(r.details).includes(fingerprint)));
  assert.deepEqual(new Set(actionsOf(aboutAlert)), new Set(["alert.fired", "group.notified", "alert.resolved"]));
  assert.deepEqual(actionsOf(await json({ limit: "2" })), actionsOf(trail.slice(-2)));
  const reload = trail.find((r) => r.action === "rules.changed") as ChainedRecord;
  const since = await json({ since: new Date(reload.timeMs).toISOString() });
  assert.equal(since[0]?.action, "rules.changed");
  assert.ok(since.length > 1 && since.every((r) => r.timeMs >= reload.timeMs));
  assert.ok((await json({ until: new Date(reload.timeMs - 1).toISOString() })).every((r) => r.timeMs < reload.timeMs));

  const human = capture();
  assert.equal(await auditListCommand({ nats: url, action: "alert.fired" }, human), 0);
  assert.match(human.out[0] ?? "", new RegExp(`^\\S+Z  alert\\.fired\\s+test\\s+${fingerprint}  db-down fired \\{severity="critical", source="db-1"\\}  \\[engine-a#\\d+\\]$`));
  const bad = capture();
  await assert.rejects(auditListCommand({ nats: url, since: "last tuesday" }, bad), /klaxon audit: since: "last tuesday" is neither an instant/);

  const timeline = capture();
  assert.equal(await timelineCommand(fingerprint, { nats: url }, timeline), 0);
  assert.match(timeline.out[0] ?? "", new RegExp(`^alert ${fingerprint}; incidents ${incidentId}$`));
  const order = timeline.out.slice(1).map((line) => line.split(/\s+/)[2] as string);
  const at = (action: string): number => order.indexOf(action);
  assert.equal(order.filter((a) => a === "group.notified").length, 2, "notified when it fired and when it resolved");
  assert.ok(at("alert.fired") < at("incident.opened") && at("incident.opened") < at("page.sent") && at("page.sent") < at("incident.acknowledged"), order.join(", "));
  assert.ok(at("incident.acknowledged") < at("alert.resolved") && at("alert.resolved") < at("incident.resolved"), order.join(", "));
  assert.match(timeline.out.find((l) => l.includes("page.sent")) ?? "", /paged alice via slack \(level 1\)$/);
  const unknown = capture();
  assert.equal(await timelineCommand("0123456789abcdef", { nats: url }, unknown), 1);

  const report = capture();
  assert.equal(await reportCommand({ nats: url, since: "1h", json: true }, report), 0);
  const figures = JSON.parse(report.out[0] ?? "{}") as AuditReport;
  const opened = trail.find((r) => r.action === "incident.opened") as ChainedRecord;
  const acked = trail.find((r) => r.action === "incident.acknowledged") as ChainedRecord;
  const resolved = trail.find((r) => r.action === "incident.resolved") as ChainedRecord;
  assert.deepEqual(figures.receivers, [
    { receiver: "db", route: "root", incidents: 1, acknowledged: 1, resolved: 1, mttaMs: acked.timeMs - opened.timeMs, mttrMs: resolved.timeMs - opened.timeMs },
  ]);
  assert.deepEqual(figures.noisiestRules, [{ rule: "db-down", fired: 1 }]);
}
