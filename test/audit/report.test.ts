import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildReport } from "../../src/audit/report.js";
import { formatReport } from "../../src/audit/format.js";
import { MIN, T0, Trail } from "./fixtures.js";

describe("buildReport", () => {
  test("MTTA and MTTR per receiver and route, from a known sequence of records", () => {
    const t = new Trail();
    // Before the window: neither its incident nor its alert counts.
    t.fired(-30, "old", "disk-full");
    t.notified(-30, "g0", 1, "db", "root.0", { firing: ["old"] });
    t.opened(-29, "g0", 1);
    t.add(-20, "incident.acknowledged", "g0-1", { via: "cli" });
    // db / root.0, incident 1: acked after 2m, resolved after 10m.
    t.fired(0, "a", "db-down");
    t.notified(0, "g1", 1, "db", "root.0", { firing: ["a"] });
    t.opened(1, "g1", 1);
    t.add(3, "incident.acknowledged", "g1-1", { via: "slack" }, "alice");
    t.add(11, "incident.resolved", "g1-1", { via: "http" }, "alice");
    // db / root.0, incident 2: acked after 4m (a second ack after an ack timeout does not count), resolved by its alerts after 30m.
    t.fired(59, "b", "db-down");
    t.fired(59, "c", "disk-full");
    t.notified(59.5, "g2", 1, "db", "root.0", { firing: ["b", "c"] });
    t.opened(60, "g2", 1);
    t.add(64, "incident.acknowledged", "g2-1", { via: "sms" }, "bob");
    t.add(80, "incident.ack_timeout", "g2-1", {});
    t.add(85, "incident.acknowledged", "g2-1", { via: "sms" }, "bob");
    t.add(90, "incident.resolved", "g2-1", { via: "system" }, "system");
    // web / root.1: one incident, never acknowledged, still open.
    t.fired(100, "d", "disk-full");
    t.notified(100, "g3", 1, "web", "root.1", { firing: ["d"] });
    t.opened(101, "g3", 1);
    // An alert of a producer without a generator counts under its alertname.
    t.add(102, "alert.fired", "e", { labels: { alertname: "external-check" } });
    // After the window.
    t.fired(500, "f", "db-down");

    const report = buildReport(t.records, { sinceMs: T0 - MIN, untilMs: T0 + 200 * MIN });
    assert.deepEqual(report.receivers, [
      { receiver: "db", route: "root.0", incidents: 2, acknowledged: 2, resolved: 2, mttaMs: 3 * MIN, mttrMs: 20 * MIN },
      { receiver: "web", route: "root.1", incidents: 1, acknowledged: 0, resolved: 0, mttaMs: undefined, mttrMs: undefined },
    ]);
    assert.deepEqual(report.noisiestRules, [
      { rule: "db-down", fired: 2 },
      { rule: "disk-full", fired: 2 },
      { rule: "external-check", fired: 1 },
    ]);
    assert.deepEqual(formatReport(report), [
      "Incidents opened 2026-11-25T09:59:00.000Z – 2026-11-25T13:20:00.000Z",
      "  receiver  route   incidents  acked  resolved  MTTA  MTTR",
      "  db        root.0  2          2      2         3m    20m",
      "  web       root.1  1          0      0         -     -",
      "Noisiest rules (alerts fired)",
      "       2  db-down",
      "       2  disk-full",
      "       1  external-check",
    ]);
  });

  test("an empty window says so", () => {
    assert.deepEqual(formatReport(buildReport([], { sinceMs: T0, untilMs: T0 + MIN })).slice(1), ["  no incidents", "Noisiest rules (alerts fired)", "  no alerts fired"]);
  });
});
