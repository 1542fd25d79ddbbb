import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { matchesFilter, NewestRecords, parseAuditQuery, parseTimeBound } from "../../src/audit/filter.js";
import { ValidationError } from "../../src/core/errors.js";
import { MIN, T0, Trail } from "./fixtures.js";

describe("audit filters", () => {
  test("--since and --until take an instant or a duration back from now, and name the option when neither", () => {
    assert.equal(parseTimeBound("1h", T0, "since"), T0 - 60 * MIN);
    assert.equal(parseTimeBound("2026-11-25T09:00:00+01:00", T0, "since"), T0 - 120 * MIN);
    assert.throws(() => parseTimeBound("yesterday", T0, "until", "klaxon audit"), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.deepEqual(error.issues.map((i) => [i.file, i.path]), [["klaxon audit", "until"]]);
      assert.match(error.message, /"yesterday" is neither an instant/);
      return true;
    });
  });

  test("a query rejects unknown parameters and bad limits by name", () => {
    assert.throws(() => parseAuditQuery({ limit: "0", colour: "red" }, T0, "query"), (error: unknown) => {
      assert.ok(error instanceof ValidationError);
      assert.deepEqual(error.issues.map((i) => i.path).sort(), ["", "limit"]);
      assert.match(error.message, /colour/);
      return true;
    });
    assert.deepEqual(parseAuditQuery({ since: "30m", action: "incident", limit: "5" }, T0, "query"), { filter: { sinceMs: T0 - 30 * MIN, action: "incident" }, limit: 5 });
  });

  test("time, actor, action prefix and alert (as subject or named in the details) all narrow the records", () => {
    const t = new Trail();
    const fired = t.fired(1, "fp1", "db-down");
    const notified = t.notified(2, "g", 1, "db", "root", { firing: ["fp1"] });
    const ack = t.add(3, "incident.acknowledged", "g-1", { via: "cli" }, "alice");
    const other = t.fired(4, "fp2", "db-down");
    const pick = (filter: Parameters<typeof matchesFilter>[1]) => t.records.filter((r) => matchesFilter(r, filter));
    assert.deepEqual(pick({ alert: "fp1" }), [fired, notified]);
    assert.deepEqual(pick({ actor: "alice" }), [ack]);
    assert.deepEqual(pick({ action: "alert" }), [fired, other]);
    assert.deepEqual(pick({ action: "incident.acknowledged" }), [ack]);
    assert.deepEqual(pick({ sinceMs: T0 + 2 * MIN, untilMs: T0 + 3 * MIN }), [notified, ack]);
  });

  test("--limit keeps the newest records, oldest first", () => {
    const t = new Trail();
    for (let i = 0; i < 7; i++) t.fired(i, `fp${i}`, "r");
    const newest = new NewestRecords(3);
    for (const record of t.records) newest.offer(record);
    assert.deepEqual(newest.records.map((r) => r.subject), ["fp4", "fp5", "fp6"]);
  });
});
