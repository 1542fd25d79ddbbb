import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { decodeEvent, type Decoded, type DecodeLimits } from "../../src/ingest/decode.js";
import { EVENT_TYPES, eventSchema, NO_LABELS, normalizeEvent } from "../../src/ingest/event.schema.js";
import { fastEvent } from "../../src/ingest/fast-event.js";
import { jsonPath } from "../../src/core/errors.js";
import { MINUTE, T0 } from "../support/events.js";
import { prng } from "../support/random.js";

const LIMITS: DecodeLimits = { maxEventBytes: 4096, maxFutureSkewMs: 5 * MINUTE };
const encode = (value: unknown): Uint8Array => new TextEncoder().encode(typeof value === "string" ? value : JSON.stringify(value));

/** Decode as the engine does, with the subject the event's own envelope calls for unless told otherwise. */
function decode(value: unknown, subject?: string, nowMs = T0): Decoded {
  const v = value as { type?: unknown; source?: unknown };
  return decodeEvent(encode(value), subject ?? `events.${String(v.type)}.${String(v.source)}`, "events", LIMITS, nowMs);
}

function decodeOk(value: unknown): Extract<Decoded, { ok: true }>["event"] {
  const result = decode(value);
  assert.equal(result.ok, true, `expected ${JSON.stringify(value)} to decode`);
  return (result as Extract<Decoded, { ok: true }>).event;
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

  test("events without labels share one frozen empty labels object, on the fast path and through the schema", () => {
    const fast = fastEvent(JSON.parse(JSON.stringify(cpu)) as Record<string, unknown>);
    const slow = normalizeEvent(eventSchema.parse({ ...cpu, time: "2026-11-25T10:00:00+00:00" }));
    for (const event of [fast, slow, decodeOk(cpu), decodeOk({ ...cpu, source: "host-2" })]) {
      assert.equal(event?.labels, NO_LABELS, "the shared object");
    }
    assert.ok(Object.isFrozen(NO_LABELS), "frozen: nobody can add a label to every event at once");
    assert.equal(Object.keys(NO_LABELS).length, 0);
    assert.notEqual(decodeOk({ ...cpu, labels: { region: "eu" } }).labels, NO_LABELS, "events with labels keep their own");
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

// ---------------------------------------------------------------------------------------------------------------
// The hand-written fast path against the schema

/** The decoder as it was before the fast path: zod for every event. The fast path must not change any verdict. */
function decodeWithZodOnly(data: Uint8Array, subject: string, nowMs: number): Decoded {
  if (data.byteLength > LIMITS.maxEventBytes) return { ok: false, reason: "oversized", detail: `event is ${data.byteLength} bytes; the limit is ${LIMITS.maxEventBytes}` };
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data));
  } catch (error) {
    return { ok: false, reason: "invalid_json", detail: (error as Error).message };
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const type = (value as { type?: unknown }).type;
    if (typeof type === "string" && !(EVENT_TYPES as readonly string[]).includes(type)) {
      return { ok: false, reason: "unknown_type", detail: `unknown event type "${type.slice(0, 64)}"; expected one of ${EVENT_TYPES.join(", ")}` };
    }
  }
  const parsed = eventSchema.safeParse(value);
  if (!parsed.success) {
    const detail = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${jsonPath(i.path) || "(root)"}: ${i.message}`)
      .join("; ");
    return { ok: false, reason: "schema", detail };
  }
  const event = normalizeEvent(parsed.data);
  const expected = `events.${event.type}.${event.source}`;
  if (subject !== expected) return { ok: false, reason: "subject_mismatch", detail: `published on "${subject}" but the envelope says "${expected}"` };
  if (event.timeMs > nowMs + LIMITS.maxFutureSkewMs) {
    return { ok: false, reason: "time_out_of_range", detail: `time ${new Date(event.timeMs).toISOString()} is more than ${LIMITS.maxFutureSkewMs} ms in the future` };
  }
  return { ok: true, event };
}

/**
 * JSON texts of events: well-formed metric and log events as producers send them, and the same with one or more
 * things wrong or unusual (a field missing, extra, of the wrong type, out of range; odd times, odd labels). Texts,
 * not objects, so that values JSON.parse alone can produce (1e999 → Infinity, "__proto__" keys) are covered.
 */
function eventTexts(seed: number) {
  const rand = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
  const day = (): string => new Date(T0 - Math.floor(rand() * 400 * 24 * 60) * MINUTE - Math.floor(rand() * 60_000)).toISOString();
  const GOOD_TIMES = [() => day(), () => day().replace(/\.\d{3}Z$/, "Z"), () => day().replace(/(\.\d)\d\dZ$/, "$1Z"), () => day().replace(/(\.\d\d)\dZ$/, "$1Z"), () => T0 - Math.floor(rand() * 1e9)];
  const ODD_TIMES: unknown[] = [
    "2026-11-25T10:00:00+01:00", "2026-11-25T10:00:00-0500", "2026-11-25T10:00:00z", "2026-11-25T10:00:00", "2026-11-25 10:00:00Z",
    "2026-02-29T10:00:00Z", "2028-02-29T10:00:00Z", "2026-02-30T10:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
    "2026-11-25T24:00:00Z", "2026-11-25T24:30:00Z", "2026-11-25T23:59:60Z", "2026-11-25T10:60:00Z", "2026-11-25T10:00:00.1234Z", "2026-11-25T10:00:00.Z",
    "1969-12-31T23:59:59Z", "0001-01-01T00:00:00Z", "+002026-11-25T10:00:00Z", "2026-1a-25T10:00:00Z", "2026-11-25T1-:00:00Z",
    "yesterday", "", "Z", -1, 1.5, 2 ** 53, 0, null, true, [T0], {},
  ];
  const TOKENS = ["host-1", "api_7", "db.eu:5432", "a/b", "x".repeat(256)];
  const BAD_TOKENS: unknown[] = ["", "has space", "x".repeat(257), "é", 5, null, ["host-1"], "line\n"];
  const LABEL_NAMES = ["region", "env", "_x", "a1", "n".repeat(128)];
  const BAD_LABEL_NAMES = ["1a", "bad-name", "", "n".repeat(129), "__proto__", "constructor", "toString"];
  const LABEL_VALUES: unknown[] = ["eu", "", "v".repeat(1024)];
  const BAD_LABEL_VALUES: unknown[] = ["v".repeat(1025), 5, null, true, ["eu"], { a: "b" }];
  const VALUES = ["93.5", "0", "-1", "1e308", "12345678901234567890", "0.1"];
  const BAD_VALUES = ["1e999", "-1e999", "\"93\"", "null", "true", "[1]", "{}"];
  const LEVELS = ["trace", "debug", "info", "warn", "error", "fatal"];
  const BAD_LEVELS: unknown[] = ["loud", "INFO", "", 3, null];

  const json = (v: unknown): string => JSON.stringify(v);
  const labels = (odd: boolean): string => {
    const entries: string[] = [];
    const n = Math.floor(rand() * 4);
    for (let i = 0; i < n; i++) {
      const name = odd && rand() < 0.3 ? pick(BAD_LABEL_NAMES) : pick(LABEL_NAMES);
      const value = odd && rand() < 0.3 ? pick(BAD_LABEL_VALUES) : pick(LABEL_VALUES);
      entries.push(`${json(name)}:${json(value)}`);
    }
    if (odd && rand() < 0.1) return pick(["null", "[]", '"eu"', "5"]);
    return `{${entries.join(",")}}`;
  };

  return (odd: boolean): { text: string; subject: string } => {
    const type = odd && rand() < 0.08 ? pick(["trace", "state", "", "Metric", "change"]) : rand() < 0.7 ? "metric" : "log";
    const source = odd && rand() < 0.15 ? pick(BAD_TOKENS) : pick(TOKENS);
    const fields: Array<[string, string]> = [["type", json(type)], ["source", json(source)]];
    if (rand() < 0.6) fields.push(["service", json(odd && rand() < 0.15 ? pick(BAD_TOKENS) : pick(TOKENS))]);
    if (rand() < 0.7) fields.push(["labels", labels(odd)]);
    fields.push(["time", json(odd && rand() < 0.3 ? pick(ODD_TIMES) : pick(GOOD_TIMES)())]);
    if (type === "log" || (odd && rand() < 0.05)) {
      fields.push(["level", json(odd && rand() < 0.15 ? pick(BAD_LEVELS) : pick(LEVELS))]);
      fields.push(["message", json(odd && rand() < 0.1 ? pick([42, null, "m".repeat(32_769)]) : pick(["upstream timeout", "", "m".repeat(32_768), "ünïcödé ✓"]))]);
    }
    if (type !== "log" || (odd && rand() < 0.05)) {
      fields.push(["name", json(odd && rand() < 0.15 ? pick(BAD_TOKENS) : pick(TOKENS))]);
      fields.push(["value", odd && rand() < 0.2 ? pick(BAD_VALUES) : pick(VALUES)]);
    }
    if (odd) {
      if (rand() < 0.1) fields.splice(Math.floor(rand() * fields.length), 1);
      if (rand() < 0.08) fields.push([pick(["extra", "__proto__", "constructor", "facts", "labels"]), pick(['"x"', "{}", "null", "1"])]);
      if (rand() < 0.05) return { text: pick(["[1]", "null", "5", '"metric"']), subject: "events.metric.host-1" };
    }
    // Producers write fields in any order.
    for (let i = fields.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [fields[i], fields[j]] = [fields[j] as [string, string], fields[i] as [string, string]];
    }
    const subject = odd && rand() < 0.05 ? "events.metric.other" : `events.${String(type)}.${typeof source === "string" ? source : "x"}`;
    return { text: `{${fields.map(([k, v]) => `${json(k)}:${v}`).join(",")}}`, subject };
  };
}

describe("decodeEvent fast path", () => {
  const NOW = T0 + 60 * MINUTE;

  test("well-formed metric and log events all take the fast path, and it builds what zod builds", () => {
    const next = eventTexts(20261125);
    for (let i = 0; i < 5_000; i++) {
      const { text } = next(false);
      const value: unknown = JSON.parse(text);
      const fast = fastEvent(value);
      assert.ok(fast, `the fast path declined a well-formed event: ${text.slice(0, 300)}`);
      const parsed = eventSchema.safeParse(value);
      assert.ok(parsed.success, `zod rejects ${text.slice(0, 300)}`);
      const slow = normalizeEvent(parsed.data);
      assert.deepEqual(fast, slow, text.slice(0, 300));
      // Same key order too: events from either path share hidden classes, so the evaluator's reads stay fast.
      assert.deepEqual(Object.keys(fast), Object.keys(slow));
    }
  });

  test("on 30,000 random (often malformed) events the fast path never accepts what zod rejects, and never differs", () => {
    const next = eventTexts(42);
    let fastAccepted = 0;
    let zodAccepted = 0;
    for (let i = 0; i < 30_000; i++) {
      const { text } = next(true);
      const value: unknown = JSON.parse(text);
      const parsed = eventSchema.safeParse(value);
      if (parsed.success) zodAccepted++;
      const fast = fastEvent(value);
      if (fast === undefined) continue;
      fastAccepted++;
      assert.ok(parsed.success, `fast path accepted what zod rejects: ${text.slice(0, 300)}`);
      assert.deepEqual(fast, normalizeEvent(parsed.data), text.slice(0, 300));
    }
    // Both kinds of case occur, or the test proves nothing.
    assert.ok(fastAccepted > 3_000 && zodAccepted < 25_000, `accepted: fast ${fastAccepted}, zod ${zodAccepted}`);
  });

  test("decodeEvent's verdict (event, or reason and detail) is the zod-only decoder's on every random event", () => {
    const next = eventTexts(7);
    const reasons = new Set<string>();
    for (let i = 0; i < 20_000; i++) {
      const { text, subject } = next(i % 4 !== 0);
      const data = new TextEncoder().encode(text);
      const expected = decodeWithZodOnly(data, subject, NOW);
      assert.deepEqual(decodeEvent(data, subject, "events", LIMITS, NOW), expected, `${subject} ${text.slice(0, 300)}`);
      reasons.add(expected.ok ? "ok" : expected.reason);
    }
    assert.deepEqual([...reasons].sort(), ["ok", "oversized", "schema", "subject_mismatch", "time_out_of_range", "unknown_type"]);
  });
});
