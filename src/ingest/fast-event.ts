import { LABEL_NAME_PATTERN, LOG_LEVELS, NO_LABELS, TIME_ZONE_SUFFIX, TOKEN_PATTERN, type KlaxonEvent } from "./event.schema.js";
import { sharedToken } from "./shared-tokens.js";

/**
 * The common case, checked by hand: a well-formed metric or log event, as `JSON.parse` gave it. Returns the event
 * exactly as `normalizeEvent(eventSchema.parse(value))` would (same fields, same key order, hence the same hidden
 * class downstream), or undefined for anything else, and then zod decides and explains.
 *
 * It must never accept what the schema rejects; it may decline what the schema accepts (rare shapes, a `__proto__`
 * label, times in unusual forms), which only costs the slow path. test/ingest/decode.test.ts holds the two to that on
 * many random events.
 */
export function fastEvent(value: unknown): KlaxonEvent | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const fields = value as Record<string, unknown>;
  const type = fields.type;
  if (type === "metric") return metricEvent(fields);
  if (type === "log") return logEvent(fields);
  return undefined;
}

const LEVELS: ReadonlySet<unknown> = new Set(LOG_LEVELS);

function metricEvent(fields: Record<string, unknown>): KlaxonEvent | undefined {
  const { source, service, labels, time, name, value } = fields;
  if (!isToken(source) || !isToken(name)) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) return undefined;
  const timeMs = timeOf(time);
  if (timeMs === undefined) return undefined;
  if (service !== undefined && !isToken(service)) return undefined;
  const eventLabels = labelsIfNoOtherKeys(fields, service, labels);
  if (eventLabels === undefined) return undefined;
  // One literal per shape, in the key order normalizeEvent produces from zod's output.
  return service === undefined
    ? { type: "metric", source: sharedToken(source), name: sharedToken(name), value, labels: eventLabels, timeMs }
    : { type: "metric", source: sharedToken(source), service: sharedToken(service), name: sharedToken(name), value, labels: eventLabels, timeMs };
}

function logEvent(fields: Record<string, unknown>): KlaxonEvent | undefined {
  const { source, service, labels, time, level, message } = fields;
  if (!isToken(source) || !LEVELS.has(level)) return undefined;
  if (typeof message !== "string" || message.length > 32_768) return undefined;
  const timeMs = timeOf(time);
  if (timeMs === undefined) return undefined;
  if (service !== undefined && !isToken(service)) return undefined;
  const eventLabels = labelsIfNoOtherKeys(fields, service, labels);
  if (eventLabels === undefined) return undefined;
  const logLevel = level as (typeof LOG_LEVELS)[number];
  return service === undefined
    ? { type: "log", source: sharedToken(source), level: logLevel, message, labels: eventLabels, timeMs }
    : { type: "log", source: sharedToken(source), service: sharedToken(service), level: logLevel, message, labels: eventLabels, timeMs };
}

/**
 * The labels copy, when they are valid and the event has no key beyond the optional service and labels and its
 * kind's five required ones (type, source, time and two of its own); else undefined, to decline. Small enough for
 * V8 to inline, so the per-event path pays no extra call and allocates nothing more.
 */
function labelsIfNoOtherKeys(fields: Record<string, unknown>, service: string | undefined, labels: unknown): Record<string, string> | undefined {
  const eventLabels = labelsOf(labels);
  if (eventLabels === undefined) return undefined;
  const known = 5 + (service === undefined ? 0 : 1) + (labels === undefined ? 0 : 1);
  return hasExactly(fields, known) ? eventLabels : undefined;
}

function isToken(value: unknown): value is string {
  return typeof value === "string" && value.length <= 256 && TOKEN_PATTERN.test(value);
}

/**
 * The object has exactly `count` own keys. Every known key was found above, so a different count means keys the
 * strict schema rejects; for...in also sees inherited enumerable keys, which makes it decline rather than accept.
 */
function hasExactly(fields: Record<string, unknown>, count: number): boolean {
  let n = 0;
  for (const key in fields) {
    if (!Object.hasOwn(fields, key)) return false;
    n++;
  }
  return n === count;
}

/** Labels as the schema's record gives them (a copy, or NO_LABELS for none); undefined when they are not plainly valid. */
function labelsOf(labels: unknown): Record<string, string> | undefined {
  if (labels === undefined) return NO_LABELS;
  if (typeof labels !== "object" || labels === null || Array.isArray(labels)) return undefined;
  if (Object.getPrototypeOf(labels) !== Object.prototype) return undefined;
  const out: Record<string, string> = {};
  for (const name in labels) {
    // `__proto__` would not survive the copy (zod's record drops it the same way): leave it to the slow path.
    if (name.length > 128 || name === "__proto__" || !Object.hasOwn(labels, name) || !LABEL_NAME_PATTERN.test(name)) return undefined;
    const value = (labels as Record<string, unknown>)[name];
    if (typeof value !== "string" || value.length > 1024) return undefined;
    out[name] = value;
  }
  return out;
}

/**
 * Epoch milliseconds of a valid time, or undefined. Numbers: non-negative safe integers (zod's `.int()`). Strings:
 * the common "2026-11-25T10:00:00Z" / "...:00.123Z" form is read directly; any other string is judged as the schema
 * judges it (zone suffix + Date.parse).
 */
function timeOf(time: unknown): number | undefined {
  if (typeof time === "number") return Number.isSafeInteger(time) && time >= 0 ? time : undefined;
  if (typeof time !== "string") return undefined;
  const direct = utcIsoMs(time);
  if (direct !== undefined) return direct;
  if (!TIME_ZONE_SUFFIX.test(time)) return undefined;
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : ms;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/**
 * "YYYY-MM-DDTHH:MM:SSZ" or with ".s", ".ss" or ".sss", every field in range, year 1970-9999: the value Date.parse
 * gives for it, computed without the general date parser. Anything else: undefined (the caller falls back).
 */
function utcIsoMs(s: string): number | undefined {
  const n = s.length;
  if (n !== 20 && (n < 22 || n > 24)) return undefined;
  if (s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45 || s.charCodeAt(10) !== 84 || s.charCodeAt(13) !== 58 || s.charCodeAt(16) !== 58) return undefined;
  if (s.charCodeAt(n - 1) !== 90) return undefined; // "Z"
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  let millis = 0;
  if (n > 20) {
    if (s.charCodeAt(19) !== 46) return undefined; // "."
    const fraction = n - 21;
    const value = digits(s, 20, fraction);
    millis = fraction === 1 ? value * 100 : fraction === 2 ? value * 10 : value;
  }
  if (year < 1970 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || millis < 0) {
    return undefined;
  }
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  const monthDays = month === 2 && leap ? 29 : (DAYS_IN_MONTH[month - 1] as number);
  if (day > monthDays) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis);
}

/** The decimal number in s[start, start + count), or -1 when a character is not a digit. */
function digits(s: string, start: number, count: number): number {
  let value = 0;
  for (let i = start; i < start + count; i++) {
    const d = s.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}
