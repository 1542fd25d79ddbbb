import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { FakeClock } from "../../src/core/clock.js";
import { LogControl } from "../../src/app/log-control.js";
import { captureLog, DEBUG } from "./support.js";

const MINUTE = 60_000;

function fixture(): { control: LogControl; clock: FakeClock; audits: Array<{ action: string; actor: string; details: Record<string, unknown> }>; lines: ReturnType<typeof captureLog>["lines"] } {
  const clock = new FakeClock(Date.UTC(2026, 10, 25, 10, 0, 0));
  const audits: Array<{ action: string; actor: string; details: Record<string, unknown> }> = [];
  const { logger, lines } = captureLog("info");
  const control = new LogControl(logger, {
    clock,
    audit: async (action, actor, details) => {
      audits.push({ action, actor, details });
    },
  });
  control.logger("alerts");
  control.logger("evaluate");
  return { control, clock, audits, lines };
}

const levelOf = (control: LogControl, module: string): string | undefined => control.levels().find((m) => m.module === module)?.level;

describe("log control", () => {
  test("temporary levels stack: each one ends on its own and gives back the level under it", async () => {
    const { control, clock, audits } = fixture();
    await control.request({ module: "alerts", level: "debug", expiresIn: "15m" }, { actor: "alice", via: "http" });
    await control.request({ module: "alerts", level: "trace", expiresIn: "5m" }, { actor: "bob", via: "nats" });
    assert.equal(levelOf(control, "alerts"), "trace");

    clock.advance(5 * MINUTE);
    await control.tick();
    assert.equal(levelOf(control, "alerts"), "debug", "bob's change ended, alice's is still on");
    assert.deepEqual(audits.at(-1), { action: "log.level_reverted", actor: "bob", details: { via: "nats", reason: "expired", level: "trace", changes: [{ module: "alerts", from: "trace", to: "debug" }] } });

    clock.advance(10 * MINUTE - 1);
    await control.tick();
    assert.equal(levelOf(control, "alerts"), "debug", "not a millisecond early");
    clock.advance(1);
    await control.tick();
    assert.equal(levelOf(control, "alerts"), "info");
    assert.equal(audits.filter((a) => a.action === "log.level_reverted").length, 2);
    assert.equal(levelOf(control, "evaluate"), "info", "other modules never moved");
  });

  test("a permanent change replaces the level and ends the temporary ones; module loggers follow at once", async () => {
    const { control, clock, audits, lines } = fixture();
    const alerts = control.logger("alerts");
    await control.request({ module: "alerts", level: "warn", expiresIn: "1h" }, { actor: "alice", via: "http" });
    await control.request({ module: "alerts", level: "debug" }, { actor: "alice", via: "http" });
    alerts.debug("visible");
    control.logger("evaluate").debug("hidden");
    clock.advance(2 * 60 * MINUTE);
    await control.tick();
    assert.equal(levelOf(control, "alerts"), "debug");
    assert.equal(audits.filter((a) => a.action === "log.level_reverted").length, 0, "nothing left to expire");
    assert.deepEqual(
      lines.filter((l) => l.level === DEBUG).map((l) => [l.module, l.msg]),
      [["alerts", "visible"]],
    );
  });
});
