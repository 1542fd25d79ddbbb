import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { decodeEvent, type Decoded, type DecodeLimits } from "../../src/ingest/decode.js";
import { MINUTE, T0 } from "../support/events.js";

const LIMITS: DecodeLimits = { maxEventBytes: 4096, maxFutureSkewMs: 5 * MINUTE };
const encode = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));

/** Decode as the engine does, with the subject the event's own envelope calls for unless told otherwise. */
function decode(value: unknown, subject?: string, nowMs = T0): Decoded {
  const v = value as { type?: unknown; source?: unknown };
  return decodeEvent(encode(value), subject ?? `events.${String(v.type)}.${String(v.source)}`, "events", LIMITS, nowMs);
}

function rejected(result: Decoded): { reason: string; detail: string } {
  assert.equal(result.ok, false, "expected the event to be rejected");
  return result as { ok: false; reason: string; detail: string };
}

const cpu = { type: "metric", source: "host-1", name: "cpu", value: 93.5, time: T0 };
const errorLog = { type: "log", source: "api-7", service: "api", level: "error", message: "upstream timeout", labels: { region: "eu" }, time: T0 - 1000 };

describe("decodeEvent", () => {
  test("a valid metric event", () => {
    assert.deepEqual(decode(cpu), { ok: true, event: { type: "metric", source: "host-1", name: "cpu", value: 93.5, labels: {}, timeMs: T0 } });
  });

  test("a valid log event", () => {
    assert.deepEqual(decode(errorLog), {
      ok: true,
      event: { type: "log", source: "api-7", service: "api", level: "error", message: "upstream timeout", labels: { region: "eu" }, timeMs: T0 - 1000 },
    });
  });

  test("times: ISO-8601 with Z or an offset, and epoch milliseconds, all mean the same instant", () => {
    for (const time of [T0, "2026-11-25T10:00:00Z", "2026-11-25T10:00:00.000Z", "2026-11-25T11:30:00+01:30", "2026-11-25T05:00:00-0500"]) {
      const result = decode({ ...cpu, time });
      assert.equal(result.ok && result.event.timeMs, T0, `time ${String(time)}`);
    }
  });

  test("times without a zone, or not times at all, are schema errors on `time`", () => {
    for (const time of ["2026-11-25T10:00:00", "yesterday", -1, 1.5]) {
      const { reason, detail } = rejected(decode({ ...cpu, time }));
      assert.equal(reason, "schema", `time ${String(time)}`);
      assert.match(detail, /^time: /);
    }
  });

  test("an event larger than the limit is rejected before parsing", () => {
    const big = { ...errorLog, message: "x".repeat(LIMITS.maxEventBytes) };
    const { reason, detail } = rejected(decode(big));
    assert.equal(reason, "oversized");
    assert.match(detail, /the limit is 4096/);
    // Exactly at the limit is fine.
    const text = JSON.stringify({ ...errorLog, message: "" });
    const exact = { ...errorLog, message: "x".repeat(LIMITS.maxEventBytes - text.length) };
    assert.equal(encode(exact).byteLength, LIMITS.maxEventBytes);
    assert.equal(decode(exact).ok, true);
  });

  test("invalid JSON", () => {
    const { reason } = rejected(decodeEvent(encode("{\"type\": \"metric\","), "events.metric.host-1", "events", LIMITS, T0));
    assert.equal(reason, "invalid_json");
  });

  test("invalid UTF-8 is invalid JSON, not silently replaced", () => {
    const bytes = new Uint8Array([...encode('{"type":"log","source":"h","level":"info","time":0,"message":"'), 0xff, 0xfe, ...encode('"}')]);
    const { reason } = rejected(decodeEvent(bytes, "events.log.h", "events", LIMITS, T0));
    assert.equal(reason, "invalid_json");
  });

  test("an unknown event type", () => {
    const { reason, detail } = rejected(decode({ ...cpu, type: "trace" }));
    assert.equal(reason, "unknown_type");
    assert.match(detail, /"trace"/);
    assert.match(detail, /metric, log/);
  });

  test("schema errors name the field path", () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ ...cpu, value: "high" }, /^value: /],
      [{ ...cpu, name: undefined }, /^name: /],
      [{ ...cpu, source: "has space" }, /^source: only letters/],
      [{ ...cpu, labels: { region: 5 } }, /^labels\.region: /],
      [{ ...cpu, labels: { "bad-name": "x" } }, /^labels\.bad-name: /],
      [{ ...cpu, extra: true }, /extra/],
      [{ ...errorLog, level: "loud" }, /^level: /],
      [{ ...errorLog, message: 42 }, /^message: /],
      [[cpu], /^\(root\): /],
      [{ source: "host-1", name: "cpu", value: 1, time: T0 }, /^type: /],
    ];
    for (const [value, detail] of cases) {
      const result = rejected(decodeEvent(encode(value), "events.metric.host-1", "events", LIMITS, T0));
      assert.equal(result.reason, "schema", JSON.stringify(value));
      assert.match(result.detail, detail, JSON.stringify(value));
    }
  });

  test("the subject must be events.<type>.<source> of the envelope", () => {
    for (const subject of ["events.log.host-1", "events.metric.host-2", "other.metric.host-1", "events.metric"]) {
      const { reason, detail } = rejected(decode(cpu, subject));
      assert.equal(reason, "subject_mismatch", subject);
      assert.match(detail, /events\.metric\.host-1/);
    }
  });

  test("an event too far in the future is rejected; within the allowed skew it is accepted", () => {
    const now = T0 - 10 * MINUTE;
    const { reason } = rejected(decode(cpu, undefined, now));
    assert.equal(reason, "time_out_of_range");
    assert.equal(decode(cpu, undefined, T0 - LIMITS.maxFutureSkewMs).ok, true);
    assert.equal(decode(cpu, undefined, T0 - LIMITS.maxFutureSkewMs - 1).ok, false);
    // Old events are fine: replay and late delivery are normal.
    assert.equal(decode(cpu, undefined, T0 + 24 * 60 * MINUTE).ok, true);
  });
});
