import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Evaluator } from "../../src/evaluate/evaluator.js";
import { decodeEvent } from "../../src/ingest/decode.js";
import { T0 } from "../support/events.js";
import { compile, when } from "../support/rules.js";

const limits = { maxEventBytes: 64 * 1024, maxFutureSkewMs: 5 * 60_000 };
const decode = (subject: string, value: unknown) => decodeEvent(new TextEncoder().encode(JSON.stringify(value)), subject, "events", limits, T0);

describe("state and change events", () => {
  test("a state report decodes with its facts; time is normalised like any event", () => {
    const decoded = decode("events.state.web-1", { type: "state", source: "web-1", service: "checkout", facts: { version: "2.4.1", workers: 8, tls: true }, time: "2026-11-25T10:00:00Z" });
    assert.deepEqual(decoded, { ok: true, event: { type: "state", source: "web-1", service: "checkout", facts: { version: "2.4.1", workers: 8, tls: true }, labels: {}, timeMs: T0 } });
  });

  test("malformed ones get a dead-letter reason and a detail naming the field", () => {
    assert.deepEqual(decode("events.change.web-1", { type: "change", source: "web-1", who: "alice", what: "deploy", time: T0 }), { ok: false, reason: "schema", detail: "ticket: Invalid input: expected string, received undefined" });
    const nested = decode("events.state.web-1", { type: "state", source: "web-1", facts: { nested: { a: 1 } }, time: T0 });
    assert.match((nested as { detail: string }).detail, /^facts\.nested: /);
    const badName = decode("events.state.web-1", { type: "state", source: "web-1", facts: { "bad name": 1 }, time: T0 });
    assert.match((badName as { detail: string }).detail, /^facts\.bad name: fact names start with a letter/);
    assert.deepEqual(decode("events.change.web-1", { type: "state", source: "web-1", facts: {}, time: T0 }), {
      ok: false,
      reason: "subject_mismatch",
      detail: 'published on "events.change.web-1" but the envelope says "events.state.web-1"',
    });
    const unknown = decode("events.deploy.web-1", { type: "deploy", source: "web-1", time: T0 });
    assert.deepEqual(unknown, { ok: false, reason: "unknown_type", detail: 'unknown event type "deploy"; expected one of metric, log, state, change' });
  });

  test("rules never see them: even a rule every metric visits ignores a state report", () => {
    const everyMetric = compile({ id: "any-metric", version: 1, kind: "threshold", event: "metric", when: when("value", "greaterThan", -1), severity: "info" });
    const evaluator = new Evaluator([everyMetric], T0);
    const decoded = decode("events.state.web-1", { type: "state", source: "web-1", facts: { value: 5 }, time: T0 });
    assert.ok(decoded.ok);
    assert.deepEqual(evaluator.apply(decoded.event), []);
    assert.equal(evaluator.seriesCount(), 0);
  });
});
