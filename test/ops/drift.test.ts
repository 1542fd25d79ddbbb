import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { Kvm } from "@nats-io/kv";
import { eventually, rulesDir, streamJson, testConfig, useNatsWithClient } from "../support/engine.js";
import type { AlertMessage } from "../../src/alerts/alert.js";
import type { Config } from "../../src/config/index.js";
import type { Engine } from "../../src/app/engine.js";
import { auditRecords, newEngine, sample, startedEngine } from "./support.js";
import { cpuHotRule } from "../support/rules.js";

const diskRule = { ...cpuHotRule, id: "disk-full", match: { all: [{ fact: "name", operator: "equal", value: "disk" }] } };

/** Checks every 100 ms, no tolerance: a difference is drift at the next check. */
const fastOps = { heartbeat: { intervalMs: 100 }, drift: { intervalMs: 100, toleranceMs: 0 } } as const;

describe("configuration drift", () => {
  const nats = useNatsWithClient();

  const driftAlerts = async (replica: string, against: string): Promise<AlertMessage[]> =>
    (await streamJson<AlertMessage>(nats.js, "KLAXON_ALERTS")).filter((a) => a.labels.alertname === "KlaxonConfigDrift" && a.labels.replica === replica && a.labels.against === against);

  const writeRule = (config: Config, rule: Record<string, unknown>): Promise<void> => writeFile(join(config.rulesDir, "alerts", `${String(rule.id)}.json`), JSON.stringify(rule, null, 2));

  test("a loaded rule file edited on disk without a reload is drift (alert + audit); restoring the file clears it", async () => {
    const config = testConfig(nats.current.url, await rulesDir([cpuHotRule]), { cluster: { instanceId: "drift-a" }, ...fastOps });
    const engine = await startedEngine(config);

    await writeRule(config, { ...cpuHotRule, version: 2, when: { all: [{ fact: "value", operator: "greaterThan", value: 50 }] } });
    const [firing] = await eventually("a drift alert", async () => {
      const alerts = await driftAlerts("drift-a", "disk");
      return alerts.length > 0 ? alerts : undefined;
    });
    assert.equal(firing?.status, "firing");
    assert.deepEqual(firing?.labels, { alertname: "KlaxonConfigDrift", severity: "warning", replica: "drift-a", against: "disk", differs: "rules" });
    assert.match(firing?.annotations.summary ?? "", /replica drift-a runs rules that differ from its rules directory/);
    assert.match(firing?.annotations.description ?? "", /cpu-hot \(loaded v1, on disk v2; .*cpu-hot\.json\)/);
    assert.equal(sample(await engine.metrics.registry.metrics(), 'klaxon_config_drift{against="disk"}'), 1);

    const detected = await eventually("drift.detected audited", async () => (await auditRecords(nats.js, "drift.detected")).at(0));
    assert.deepEqual(detected.details.labels, firing?.labels);
    assert.equal(detected.details.replica, "drift-a");
    // The alert went through the ordinary pipeline: the alert stage took it in like any other.
    await eventually("the alert stage took the drift alert in", async () => (await auditRecords(nats.js, "alert.fired")).find((r) => r.subject === firing?.fingerprint));

    await writeRule(config, cpuHotRule);
    const resolved = await eventually("the drift alert resolved", async () => (await driftAlerts("drift-a", "disk")).find((a) => a.status === "resolved"));
    assert.equal(resolved.fingerprint, firing?.fingerprint);
    assert.equal(resolved.startsAt, firing?.startsAt);
    const cleared = await eventually("drift.cleared audited", async () => (await auditRecords(nats.js, "drift.cleared")).at(0));
    assert.deepEqual(cleared.details.labels, firing?.labels);
    assert.equal((await driftAlerts("drift-a", "disk")).length, 2, "fired once, resolved once");
    await engine.crash();
  });

  test("a reload of the edited file ends the drift too; an invalid file on disk is drift until fixed", async () => {
    const config = testConfig(nats.current.url, await rulesDir([cpuHotRule]), { cluster: { instanceId: "drift-b" }, ...fastOps });
    const engine = await startedEngine(config);
    await writeFile(join(config.rulesDir, "alerts", "cpu-hot.json"), "{ not json");
    const invalid = await eventually("drift for a file that does not load", async () => (await driftAlerts("drift-b", "disk")).at(0));
    assert.match(invalid.annotations.description ?? "", /the rule files on disk do not load: .*cpu-hot\.json.*invalid JSON/);

    await writeRule(config, { ...cpuHotRule, version: 2 });
    assert.deepEqual(await engine.reloadRules("test"), { ok: true, changes: 1 });
    await eventually("resolved after the reload", async () => (await driftAlerts("drift-b", "disk")).find((a) => a.status === "resolved"));
    await engine.crash();
  });

  test("a replica restarted after its files were restored resolves the drift it had announced before", async () => {
    const config = testConfig(nats.current.url, await rulesDir([cpuHotRule]), { cluster: { instanceId: "drift-c" }, ...fastOps });
    const first = await startedEngine(config);
    await writeRule(config, { ...cpuHotRule, version: 2 });
    const firing = await eventually("drift announced", async () => (await driftAlerts("drift-c", "disk")).at(0));
    // The announced drift is in the replica record before the crash.
    const records = await new Kvm(nats.nc).open("klaxon-replicas");
    await eventually("the drift in the replica record", async () => {
      const entry = await records.get("replica.drift-c");
      return entry && entry.string().includes(firing.fingerprint) ? true : undefined;
    });
    await first.crash();

    await writeRule(config, cpuHotRule);
    const second = await startedEngine(config);
    const resolved = await eventually("resolved by the restarted replica", async () => (await driftAlerts("drift-c", "disk")).find((a) => a.status === "resolved"));
    assert.equal(resolved.fingerprint, firing.fingerprint);
    assert.equal(resolved.startsAt, firing.startsAt);
    await second.crash();
  });

  test("replicas that run different rules report each other; the difference ends when the odd one goes away", async () => {
    const a = await startedEngine(testConfig(nats.current.url, await rulesDir([cpuHotRule]), { cluster: { instanceId: "same-rules" }, ...fastOps }));
    const b: Engine = newEngine(testConfig(nats.current.url, await rulesDir([cpuHotRule, diskRule]), { cluster: { instanceId: "more-rules" }, ...fastOps }));
    await b.start();

    const seenByA = await eventually("drift against replicas on same-rules", async () => (await driftAlerts("same-rules", "replicas")).at(0));
    assert.equal(seenByA.status, "firing");
    assert.equal(seenByA.labels.differs, "rules");
    assert.match(seenByA.annotations.description ?? "", /here [0-9a-f]{12} \(1\), more-rules [0-9a-f]{12} \(2\)/);
    await eventually("drift against replicas on more-rules", async () => (await driftAlerts("more-rules", "replicas")).at(0));
    assert.equal((await driftAlerts("same-rules", "disk")).length, 0, "each replica matches its own directory");

    await b.crash();
    // Its record stops changing; after three heartbeat intervals it is not compared any more.
    const resolved = await eventually("resolved once the odd replica is gone", async () => (await driftAlerts("same-rules", "replicas")).find((x) => x.status === "resolved"));
    assert.equal(resolved.fingerprint, seenByA.fingerprint);
    await a.crash();
  });
});
