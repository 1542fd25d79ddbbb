import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { JetStreamClient } from "@nats-io/jetstream";
import { eventually, useNatsWithClient, streamJson, metricEvent, publishEvent, readStream, rulesDir, startEngine, testConfig } from "../support/engine.js";
import type { Engine } from "../../src/app/engine.js";
import type { AlertMessage } from "../../src/alerts/alert.js";
import { cpuHotRule } from "../support/rules.js";
import { auditRecords } from "../support/audit-records.js";

const cpuRuleWithSummary = { ...cpuHotRule, annotations: { summary: "{{ source }} cpu at {{ value }}%" } };

const alerts = (js: JetStreamClient): Promise<AlertMessage[]> => streamJson(js, "KLAXON_ALERTS");

describe("engine on a real nats-server", () => {
  const nats = useNatsWithClient();
  let engine: Engine | undefined;

  test("an event over the threshold is published as a firing alert, and a normal one resolves it", async () => {
    engine = await startEngine(testConfig(nats.current.url, await rulesDir([cpuRuleWithSummary])));
    const t0 = Date.now();
    await publishEvent(nats.js, metricEvent("web-1", "cpu", 97, t0));
    await publishEvent(nats.js, metricEvent("web-2", "cpu", 12, t0));
    const firing = await eventually("a firing alert", async () => (await alerts(nats.js)).find((a) => a.status === "firing"));
    assert.equal(firing.labels.alertname, "cpu-hot");
    assert.equal(firing.labels.source, "web-1");
    assert.equal(firing.annotations.summary, "web-1 cpu at 97%");
    assert.equal(firing.startsAt, new Date(t0).toISOString());
    assert.deepEqual(firing.generator, { rule: "cpu-hot", version: 1 });

    await publishEvent(nats.js, metricEvent("web-1", "cpu", 40, t0 + 1_000));
    const resolved = await eventually("a resolved alert", async () => (await alerts(nats.js)).find((a) => a.status === "resolved"));
    assert.equal(resolved.fingerprint, firing.fingerprint);
    assert.equal(resolved.endsAt, new Date(t0 + 1_000).toISOString());
    assert.equal((await alerts(nats.js)).length, 2, "web-2 at 12% never fired");
    await eventually("every event acknowledged", async () => {
      const info = await (await nats.js.consumers.get("KLAXON_EVENTS", "klaxon-evaluate")).info();
      return info.num_ack_pending === 0 && info.num_pending === 0 ? true : undefined;
    });
  });

  test("malformed messages go to dead letter with reason and original bytes; the stream keeps flowing", async () => {
    const bad: Array<[string, string | Uint8Array, string]> = [
      ["events.metric.web-1", "{not json", "invalid_json"],
      ["events.metric.web-1", JSON.stringify({ type: "metric", source: "web-1", name: "cpu", value: "hot", time: Date.now() }), "schema"],
      ["events.trace.web-1", JSON.stringify({ type: "trace", source: "web-1", time: Date.now() }), "unknown_type"],
      ["events.metric.web-1", JSON.stringify({ type: "metric", source: "web-1", name: "cpu", value: 1, time: Date.now(), labels: { pad: "x".repeat(70_000) } }), "oversized"],
      ["events.log.web-1", JSON.stringify(metricEvent("web-1", "cpu", 1, Date.now())), "subject_mismatch"],
    ];
    for (const [subject, data] of bad) await nats.js.publish(subject, data);
    const t = Date.now();
    await publishEvent(nats.js, metricEvent("db-9", "cpu", 99, t));

    const letters = await eventually("five dead letters", async () => {
      const all = await readStream(nats.js, "KLAXON_DEADLETTER");
      return all.length >= bad.length ? all : undefined;
    });
    assert.deepEqual(
      letters.map((l) => l.headers["Klaxon-Reason"]),
      bad.map(([, , reason]) => reason),
    );
    for (const [i, letter] of letters.entries()) {
      const [subject, data, reason] = bad[i] as [string, string, string];
      assert.equal(letter.subject, `klaxon.deadletter.${reason}`);
      assert.equal(letter.headers["Klaxon-Original-Subject"], subject);
      assert.equal(new TextDecoder().decode(letter.data), data, "original bytes are kept");
      assert.ok((letter.headers["Klaxon-Detail"] ?? "").length > 0);
    }
    assert.match(letters[1]?.headers["Klaxon-Detail"] ?? "", /value/);
    await eventually("the valid event after them fired", async () => (await alerts(nats.js)).find((a) => a.labels.source === "db-9"));
    const metrics = await engine?.metrics.registry.getSingleMetricAsString("klaxon_dead_letters_total");
    assert.match(metrics ?? "", /reason="invalid_json"} 1/);
    assert.match(metrics ?? "", /reason="oversized"} 1/);
  });

  test("an event as big as the server's payload limit is dead-lettered cut to fit, and the stream keeps flowing", async () => {
    // Its bytes plus the dead letter's headers passed the limit: the dead letter could never be stored, and the
    // event was never acknowledged.
    const limit = nats.nc.info?.max_payload ?? 1_048_576;
    const huge = new Uint8Array(limit - 64).fill(0x78);
    await nats.js.publish("events.log.big-1", huge);
    const t = Date.now();
    await publishEvent(nats.js, metricEvent("db-10", "cpu", 99, t));
    const letter = await eventually("the dead letter of the huge event", async () => (await readStream(nats.js, "KLAXON_DEADLETTER")).find((l) => l.headers["Klaxon-Original-Subject"] === "events.log.big-1"));
    assert.equal(letter.headers["Klaxon-Reason"], "oversized");
    assert.equal(letter.headers["Klaxon-Truncated"], String(huge.length), "says how long the original was");
    assert.ok(letter.data.length > limit / 2 && letter.data.length < huge.length, `${letter.data.length} bytes kept`);
    assert.deepEqual(letter.data, huge.subarray(0, letter.data.length), "the start of the original bytes");
    await eventually("the valid event after it fired", async () => (await alerts(nats.js)).find((a) => a.labels.source === "db-10"));
  });

  test("rule reload applies a changed rule and audits old and new version", async () => {
    const running = engine as Engine;
    const dir = running.config.rulesDir;
    await writeFile(join(dir, "alerts", "cpu-hot.json"), JSON.stringify({ ...cpuRuleWithSummary, version: 2, when: { all: [{ fact: "value", operator: "greaterThan", value: 50 }] } }));
    const result = await running.reloadRules("test");
    assert.deepEqual(result, { ok: true, changes: 1 });
    await publishEvent(nats.js, metricEvent("web-7", "cpu", 60, Date.now()));
    const fired = await eventually("web-7 fires under version 2", async () => (await alerts(nats.js)).find((a) => a.labels.source === "web-7"));
    assert.deepEqual(fired.generator, { rule: "cpu-hot", version: 2 });
    const audit = await eventually("audit record", async () => (await auditRecords(nats.js)).find((r) => r.action === "rules.changed"));
    assert.equal((audit.details as Record<string, unknown>).oldVersion, 1);
    assert.equal((audit.details as Record<string, unknown>).newVersion, 2);

    await writeFile(join(dir, "alerts", "cpu-hot.json"), JSON.stringify({ ...cpuRuleWithSummary, version: 3, severity: "loud" }));
    assert.deepEqual(await running.reloadRules("test"), { ok: false, changes: 0 });
    assert.equal(running.status().rulesHash.length, 64);
    const rejected = await eventually("rejection audited", async () => (await auditRecords(nats.js)).find((r) => r.action === "rules.reload_rejected"));
    assert.match(JSON.stringify(rejected.details), /severity/);
  });
});
