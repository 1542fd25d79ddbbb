import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock.js";
import type { Engine } from "../../src/app/engine.js";
import { eventually, metricEvent, publishEvent, rulesDir, testConfig, useNatsWithClient } from "../support/engine.js";
import { ACTOR, auditRecords, captureLog, DEBUG, http, startedEngine, TOKEN, tokensFile, type LogLine } from "./support.js";
import { cpuHotRule } from "../support/rules.js";

const ADMIN = "/api/v1/admin/log-level";

describe("runtime log levels over the HTTP admin API", () => {
  const nats = useNatsWithClient();
  let engine: Engine;
  let port: number;
  let lines: LogLine[];
  const clock = new FakeClock(Date.now());

  before(async () => {
    const captured = captureLog("info");
    lines = captured.lines;
    const config = testConfig(nats.current.url, await rulesDir([cpuHotRule]), {
      http: { port: 0, tokensFile: await tokensFile() },
      cluster: { instanceId: "replica-1" },
      heartbeat: { enabled: false },
      drift: { enabled: false },
    });
    engine = await startedEngine(config, { clock, logger: captured.logger });
    port = engine.httpPort as number;
  });

  /** Fire an alert for `source` and wait until the alert stage has taken it in (it audits alert.fired). */
  async function alertReachesAlertStage(source: string): Promise<void> {
    await publishEvent(nats.js, metricEvent(source, "cpu", 99, clock.now()));
    await eventually(`the alert stage took in ${source}'s alert`, async () =>
      (await auditRecords(nats.js, "alert.fired")).find((r) => (r.details.labels as Record<string, string>).source === source),
    );
  }

  const alertDebugLines = (): LogLine[] => lines.filter((l) => l.level === DEBUG && l.module === "alerts" && l.msg === "alert received");

  test("without a valid bearer token nothing can be read or changed (401)", async () => {
    assert.equal((await http(port, "GET", ADMIN)).status, 401);
    assert.equal((await http(port, "PUT", ADMIN, { body: { module: "alerts", level: "debug" } })).status, 401);
    assert.equal((await http(port, "PUT", ADMIN, { token: "not-the-token-at-all-xyz", body: { module: "alerts", level: "debug" } })).status, 401);
    const levels = await http(port, "GET", ADMIN, { token: TOKEN });
    assert.equal(levels.status, 200);
    const alerts = (levels.body.modules as Array<{ module: string; level: string }>).find((m) => m.module === "alerts");
    assert.equal(alerts?.level, "info", "the refused changes changed nothing");
  });

  test("bad requests are refused with what is wrong", async () => {
    const badLevel = await http(port, "PUT", ADMIN, { token: TOKEN, body: { module: "alerts", level: "loud" } });
    assert.equal(badLevel.status, 400);
    assert.match(JSON.stringify(badLevel.body.issues), /"path":"level".*trace, debug, info/);
    const unknown = await http(port, "PUT", ADMIN, { token: TOKEN, body: { module: "alertz", level: "debug" } });
    assert.equal(unknown.status, 400);
    assert.match(JSON.stringify(unknown.body.issues), /unknown module \\"alertz\\"; known modules: .*alerts.*evaluate/);
    const badExpiry = await http(port, "PUT", ADMIN, { token: TOKEN, body: { module: "alerts", level: "debug", expiresIn: "soon" } });
    assert.equal(badExpiry.status, 400);
    assert.match(JSON.stringify(badExpiry.body.issues), /expiresIn/);
  });

  test("debug for one module takes effect without a restart, is audited, and reverts when it expires", async () => {
    await alertReachesAlertStage("web-1");
    assert.equal(alertDebugLines().length, 0, "the alert stage logs at info to begin with");

    const changed = await http(port, "PUT", ADMIN, { token: TOKEN, body: { module: "alerts", level: "debug", expiresIn: "15m" } });
    assert.equal(changed.status, 200);
    assert.deepEqual(changed.body.changes, [{ module: "alerts", from: "info", to: "debug" }]);
    assert.equal(changed.body.audit, "stored");
    assert.equal(changed.body.expiresAt, new Date(clock.now() + 15 * 60_000).toISOString());

    await alertReachesAlertStage("web-2");
    await eventually("a debug line from the alert stage", () => alertDebugLines().at(0));
    assert.ok(
      lines.every((l) => l.level !== DEBUG || l.module === "alerts"),
      "only the alerts module logs at debug",
    );

    const [record] = await auditRecords(nats.js, "log.level_changed");
    assert.equal(record?.actor, ACTOR);
    assert.equal(record?.details.via, "http");
    assert.equal(record?.details.replica, "replica-1");
    assert.equal(record?.details.expiresIn, "15m");
    assert.deepEqual(record?.details.changes, [{ module: "alerts", from: "info", to: "debug" }]);

    clock.advance(15 * 60_000);
    const reverted = await eventually("the revert audited", async () => (await auditRecords(nats.js, "log.level_reverted")).at(0));
    assert.equal(reverted.actor, ACTOR);
    assert.equal(reverted.details.reason, "expired");
    assert.deepEqual(reverted.details.changes, [{ module: "alerts", from: "debug", to: "info" }]);
    const levels = await http(port, "GET", ADMIN, { token: TOKEN });
    assert.deepEqual(
      (levels.body.modules as Array<{ module: string; level: string; temporary: unknown[] }>).find((m) => m.module === "alerts"),
      { module: "alerts", level: "info", base: "info", temporary: [] },
    );

    const debugBefore = alertDebugLines().length;
    await alertReachesAlertStage("web-3");
    assert.equal(alertDebugLines().length, debugBefore, "after the expiry the alert stage is back at info");
  });

  test("without a module, a change applies to every module", async () => {
    const changed = await http(port, "PUT", ADMIN, { token: TOKEN, body: { level: "warn" } });
    assert.equal(changed.status, 200);
    const modules = (await http(port, "GET", ADMIN, { token: TOKEN })).body.modules as Array<{ module: string; level: string }>;
    assert.ok(modules.length >= 5, `every module is listed: ${modules.map((m) => m.module).join(", ")}`);
    assert.deepEqual(
      modules.filter((m) => m.level !== "warn"),
      [],
    );
    assert.ok(["engine", "evaluate", "alerts", "escalate", "http", "cluster"].every((name) => modules.some((m) => m.module === name)));
  });
});
