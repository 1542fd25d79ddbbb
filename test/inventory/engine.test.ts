import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import type { JetStreamClient } from "@nats-io/jetstream";
import type { AlertMessage } from "../../src/alerts/alert.js";
import type { Engine } from "../../src/app/engine.js";
import { driftCommand } from "../../src/cli/commands/drift.js";
import { reportStateCommand } from "../../src/cli/commands/report-state.js";
import { FakeClock } from "../../src/core/clock.js";
import { client, eventually, readStream, rulesDir, startEngine, stopAllEngines, streamJson, testConfig, useNatsServer } from "../support/engine.js";
import { NatsServerProcess } from "../support/nats-server.js";
import { partitionMapping } from "../../src/cluster/partition.js";
import { capture } from "../support/output.js";
import { readFleet } from "../../src/store/jetstream/inventory-store.js";
import { auditRecords as storedAuditRecords } from "../support/audit-records.js";

const inventory = {
  version: 2,
  defaults: { interval: "1h", changeWindow: "1h" },
  services: [{ name: "checkout", labels: { team: "api" }, facts: { version: "2.4.1", configHash: "c0ffee" }, hosts: ["web-1", "web-2"] }],
};

const alerts = (js: JetStreamClient): Promise<AlertMessage[]> => streamJson(js, "KLAXON_ALERTS");
const auditRecords = (js: JetStreamClient): Promise<Array<{ action: string; actor: string; subject?: string; details?: Record<string, unknown> }>> =>
  storedAuditRecords(js);

describe("inventory through a real engine", () => {
  const nats = useNatsServer();
  let nc: NatsConnection;
  let js: JetStreamClient;
  let engine: Engine;
  let dir: string;
  const env = { ...process.env };

  before(async () => {
    ({ nc, js } = await client(nats.current.url));
    dir = await rulesDir([]);
    await mkdir(join(dir, "inventory"));
    await writeFile(join(dir, "inventory", "fleet.json"), JSON.stringify(inventory));
    process.env.KLAXON_NATS_URL = nats.current.url;
    engine = await startEngine(testConfig(nats.current.url, dir, { inventory: { changeGraceMs: 0 } }));
  });
  after(async () => {
    process.env = env;
    await nc.close();
  });

  test("a host reporting a different version (klaxon report-state) fires inventory-drift on klaxon.alerts, routed like any alert", async () => {
    const io = capture();
    assert.equal(await reportStateCommand({ source: "web-1", service: "checkout", fact: ["version=2.4.0", "configHash=c0ffee"] }, io), 0, io.errors.join("\n"));
    assert.match(io.out.join("\n"), /published 2 fact\(s\) of web-1 \(checkout\) on events\.state\.web-1/);
    const drift = await eventually("a drift alert", async () => (await alerts(js)).find((a) => a.labels.alertname === "inventory-drift"));
    assert.equal(drift.status, "firing");
    assert.deepEqual(drift.labels, { team: "api", alertname: "inventory-drift", severity: "warning", source: "web-1", service: "checkout", fact: "version" });
    assert.equal(drift.annotations.expected, "2.4.1");
    assert.equal(drift.annotations.actual, "2.4.0");
    assert.deepEqual(drift.generator, { rule: "inventory-drift", version: 2 });
    await eventually("the alert stage took it in", async () => (await auditRecords(js)).find((r) => r.action === "alert.fired" && r.subject === drift.fingerprint));

    await reportStateCommand({ source: "web-1", service: "checkout", fact: ["version=2.4.1"] }, capture());
    const resolved = await eventually("the drift resolves", async () => (await alerts(js)).find((a) => a.labels.alertname === "inventory-drift" && a.status === "resolved"));
    assert.equal(resolved.fingerprint, drift.fingerprint);
    // The fix was a change too, and nobody recorded it.
    const unaudited = await eventually("the fix is an unaudited change", async () => (await alerts(js)).find((a) => a.labels.alertname === "unaudited-change"));
    assert.deepEqual([unaudited.labels.fact, unaudited.annotations.from, unaudited.annotations.to], ["version", "2.4.0", "2.4.1"]);
  });

  test("a change record is audited with who, what and ticket, and covers the change it announces; one without a record pages", async () => {
    const now = Date.now();
    await js.publish("events.change.web-2", JSON.stringify({ type: "change", source: "web-2", service: "checkout", who: "alice", what: "rotate config", ticket: "CHG-9", time: now }));
    const recorded = await eventually("change.recorded in the audit trail", async () => (await auditRecords(js)).find((r) => r.action === "change.recorded"));
    assert.equal(recorded.actor, "alice");
    assert.equal(recorded.subject, "web-2");
    assert.deepEqual(recorded.details, { source: "web-2", service: "checkout", who: "alice", what: "rotate config", ticket: "CHG-9", time: new Date(now).toISOString() });

    await reportStateCommand({ source: "web-2", service: "checkout", fact: ["version=2.4.1", "configHash=c0ffee"] }, capture());
    await reportStateCommand({ source: "web-2", service: "checkout", fact: ["configHash=beef"] }, capture());
    // web-1 changes its config hash with no record at all.
    await reportStateCommand({ source: "web-1", service: "checkout", fact: ["configHash=beef"] }, capture());
    const unaudited = await eventually("an unaudited change", async () => (await alerts(js)).find((a) => a.labels.alertname === "unaudited-change" && a.labels.fact === "configHash"));
    assert.equal(unaudited.labels.source, "web-1");
    const fleet = await eventually("web-2's last report stored", async () => {
      const stored = await readFleet(js, "klaxon-inventory");
      return stored.members.find((m) => m.source === "web-2")?.facts?.configHash === "beef" ? stored : undefined;
    });
    const web2 = fleet.members.find((m) => m.source === "web-2");
    assert.equal(web2?.facts?.configHash, "beef");
    assert.deepEqual(Object.keys(web2?.alerts ?? {}).sort(), ["drift:configHash"], "web-2 drifts but its change was recorded");
  });

  test("klaxon drift prints the fleet table from the stored state, and --service and --json narrow and reshape it", async () => {
    await js.publish("events.state.rogue-1", JSON.stringify({ type: "state", source: "rogue-1", facts: { version: "0.0.1" }, time: Date.now() }));
    await eventually("the unknown reporter is stored", async () => ((await readFleet(js, "klaxon-inventory")).unknowns.length === 1 ? true : undefined));
    const io = capture();
    const clock = new FakeClock(Date.now());
    await eventually("the stored table shows web-1's unaudited change", async () => {
      io.out.length = 0;
      await driftCommand({}, io, clock);
      return io.out.some((l) => /^web-1 .*configHash .*drift, unaudited change$/.test(l)) ? true : undefined;
    });
    const [header, ...rows] = io.out;
    assert.match(header ?? "", /^HOST\s+SERVICE\s+FACT\s+EXPECTED\s+ACTUAL\s+LAST REPORT\s+STATUS$/);
    assert.deepEqual(
      rows.map((r) => r.replace(/\d{4}-\d\d-\d\dT\S+ \(\S+ ago\)/, "<time>").split(/\s{2,}/)),
      [
        ["web-1", "checkout", "configHash", "c0ffee", "beef", "<time>", "drift, unaudited change"],
        ["web-1", "checkout", "version", "2.4.1", "2.4.1", "<time>", "unaudited change"],
        ["web-2", "checkout", "configHash", "c0ffee", "beef", "<time>", "drift"],
        ["web-2", "checkout", "version", "2.4.1", "2.4.1", "<time>", "ok"],
        ["rogue-1", "-", "-", "-", "-", "<time>", "unknown"],
      ],
    );
    const json = capture();
    await driftCommand({ service: "checkout", json: true }, json, clock);
    const parsed = JSON.parse(json.out.join("\n")) as Array<{ host: string; fact: string; status: string; lastReport: string }>;
    assert.deepEqual(parsed.map((r) => `${r.host} ${r.fact} ${r.status}`), ["web-1 configHash drift, unaudited change", "web-1 version unaudited change", "web-2 configHash drift", "web-2 version ok"]);
    assert.match(parsed[0]?.lastReport ?? "", /^\d{4}-\d\d-\d\dT/);
  });

  test("a malformed state report goes to dead letter with its reason; the next one is still taken", async () => {
    await js.publish("events.state.web-2", JSON.stringify({ type: "state", source: "web-2", facts: { version: ["2.4.1"] }, time: Date.now() }));
    const letter = await eventually("a dead letter", async () => (await readStream(js, "KLAXON_DEADLETTER")).find((l) => l.headers["Klaxon-Original-Subject"] === "events.state.web-2"));
    assert.equal(letter.headers["Klaxon-Reason"], "schema");
    assert.match(letter.headers["Klaxon-Detail"] ?? "", /facts\.version/);
    await reportStateCommand({ source: "web-2", service: "checkout", fact: ["configHash=c0ffee"] }, capture());
    await eventually("web-2's drift resolves", async () => (await alerts(js)).find((a) => a.labels.alertname === "inventory-drift" && a.labels.source === "web-2" && a.status === "resolved"));
  });

  test("after a crash the stored state is loaded again: what was announced is not announced again, facts are remembered", async () => {
    const before = (await alerts(js)).length;
    await engine.crash();
    engine = await startEngine(testConfig(nats.current.url, dir, { inventory: { changeGraceMs: 0 } }));
    const fleet = await readFleet(js, "klaxon-inventory");
    assert.deepEqual(fleet.unknowns.map((u) => u.source), ["rogue-1"]);
    assert.equal(fleet.members.find((m) => m.source === "web-1")?.alerts["unaudited:configHash"]?.labels.alertname, "unaudited-change");
    // rogue-1 reports again: the restarted stage still knows it as unknown, so no new episode starts.
    await js.publish("events.state.rogue-1", JSON.stringify({ type: "state", source: "rogue-1", facts: { version: "0.0.1" }, time: Date.now() }));
    await reportStateCommand({ source: "web-1", service: "checkout", fact: ["version=2.4.0"] }, capture());
    await reportStateCommand({ source: "web-1", service: "checkout", fact: ["version=2.4.1"] }, capture());
    const after = await eventually("the new drift, fired and resolved", async () => {
      const since = (await alerts(js)).slice(before);
      return since.some((a) => a.status === "resolved") ? since : undefined;
    });
    // web-1's version change is still an open unaudited change: it is not announced again either.
    assert.deepEqual(after.map((a) => `${a.status} ${a.labels.alertname} ${a.labels.fact}`), ["firing inventory-drift version", "resolved inventory-drift version"], "only what the new reports caused");
  });
  test("a changed inventory is taken on reload and audited; an invalid one is refused and the old one stays", async () => {
    const grown = { ...inventory, version: 3, services: [{ ...inventory.services[0], hosts: ["web-1", "web-2", "web-3"] }] };
    await writeFile(join(dir, "inventory", "fleet.json"), JSON.stringify(grown));
    assert.deepEqual(await engine.reloadRules("test"), { ok: true, changes: 1 });
    const changed = await eventually("inventory.changed audited", async () => (await auditRecords(js)).find((r) => r.action === "inventory.changed"));
    assert.equal(changed.details?.version, 3);
    assert.equal(changed.details?.members, 3);
    const web3 = await eventually("web-3 is a member, not yet reported", async () => (await readFleet(js, "klaxon-inventory")).members.find((m) => m.source === "web-3"));
    assert.equal(web3.lastReportMs, null);

    await writeFile(join(dir, "inventory", "fleet.json"), JSON.stringify({ ...grown, version: 4, hosts: [{ source: "db-1", interval: "often" }] }));
    assert.deepEqual(await engine.reloadRules("test"), { ok: false, changes: 0 });
    const rejected = await eventually("the rejection audited", async () => (await auditRecords(js)).find((r) => r.action === "inventory.reload_rejected"));
    assert.match(JSON.stringify(rejected.details), /hosts\[0\]\.interval/);
  });
});

describe("inventory with partitioned events", () => {
  let server: NatsServerProcess;
  let nc: NatsConnection;
  let js: JetStreamClient;

  before(async () => {
    server = await NatsServerProcess.start({ config: partitionMapping("events", 3) });
    ({ nc, js } = await client(server.url));
  });
  after(async () => {
    await stopAllEngines();
    await nc.close();
    await server.stop();
  });

  test("reports and change records the server maps to events.part.<n> still reach the inventory stage", async () => {
    const dir = await rulesDir([]);
    await mkdir(join(dir, "inventory"));
    await writeFile(join(dir, "inventory", "fleet.json"), JSON.stringify(inventory));
    await startEngine(testConfig(server.url, dir, { cluster: { partitions: 3 }, inventory: { changeGraceMs: 0 } }));
    const filters = await Promise.all(["klaxon-inventory-state", "klaxon-inventory-change"].map(async (d) => (await (await js.consumers.get("KLAXON_EVENTS", d)).info()).config.filter_subject));
    assert.deepEqual(filters, ["events.part.*.state.>", "events.part.*.change.>"]);

    await js.publish("events.change.web-2", JSON.stringify({ type: "change", source: "web-2", who: "bob", what: "deploy", ticket: "CHG-2", time: Date.now() }));
    await js.publish("events.state.web-2", JSON.stringify({ type: "state", source: "web-2", service: "checkout", facts: { version: "2.3.0", configHash: "c0ffee" }, time: Date.now() }));
    const drift = await eventually("a drift alert", async () => (await alerts(js)).find((a) => a.labels.alertname === "inventory-drift"));
    assert.equal(drift.labels.source, "web-2");
    await eventually("the change record audited", async () => (await auditRecords(js)).find((r) => r.action === "change.recorded" && r.actor === "bob"));
  });
});
