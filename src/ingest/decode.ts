import type { z } from "zod";
import { describeIssues } from "../core/errors.js";
import { EVENT_TYPES, eventSchema, normalizeEvent, type KlaxonEvent } from "./event.schema.js";
import { fastEvent } from "./fast-event.js";

export type DeadLetterReason =
  | "oversized"
  | "invalid_json"
  | "unknown_type"
  | "schema"
  | "subject_mismatch"
  | "time_out_of_range"
  | "max_deliveries"
  | "processing_error"
  | "invalid_alert";

export type Decoded = { ok: true; event: KlaxonEvent } | { ok: false; reason: DeadLetterReason; detail: string };

export interface DecodeLimits {
  maxEventBytes: number;
  /** Events stamped further than this in the future would hold windows open: reject them. */
  maxFutureSkewMs: number;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

function schemaDetail(error: z.ZodError): string {
  return describeIssues(error.issues);
}

/**
 * Bytes from the wire → a validated event, or the reason it cannot be one. Pure: the caller supplies `nowMs`.
 * `subject` is checked against the envelope (events.<type>.<source>) because routing and partitioning trust it.
 * Well-formed metric and log events take a hand-written check (`fastEvent`); everything else, and every reject,
 * goes through the zod schema, so dead-letter reasons are the schema's own.
 */
export function decodeEvent(data: Uint8Array, subject: string, subjectPrefix: string, limits: DecodeLimits, nowMs: number): Decoded {
  if (data.byteLength > limits.maxEventBytes) {
    return { ok: false, reason: "oversized", detail: `event is ${data.byteLength} bytes; the limit is ${limits.maxEventBytes}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(data));
  } catch (error) {
    return { ok: false, reason: "invalid_json", detail: (error as Error).message };
  }
  let event = fastEvent(value);
  if (event === undefined) {
    const checked = validated(value);
    if (!checked.ok) return checked;
    event = checked.event;
  }
  if (!subjectMatches(subject, subjectPrefix, event)) {
    const expected = `${subjectPrefix}.${event.type}.${event.source}`;
    return { ok: false, reason: "subject_mismatch", detail: `published on "${subject}" but the envelope says "${expected}"` };
  }
  if (event.timeMs > nowMs + limits.maxFutureSkewMs) {
    return { ok: false, reason: "time_out_of_range", detail: `time ${new Date(event.timeMs).toISOString()} is more than ${limits.maxFutureSkewMs} ms in the future` };
  }
  return { ok: true, event };
}

/** The schema's verdict: the event, or the reason and the paths at fault for the dead letter. */
function validated(value: unknown): Decoded {
  if (value !== null && typeof value === "object" && !Array.isArray(value)) {
    const type = (value as { type?: unknown }).type;
    if (typeof type === "string" && !(EVENT_TYPES as readonly string[]).includes(type)) {
      return { ok: false, reason: "unknown_type", detail: `unknown event type "${type.slice(0, 64)}"; expected one of ${EVENT_TYPES.join(", ")}` };
    }
  }
  const parsed = eventSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: "schema", detail: schemaDetail(parsed.error) };
  return { ok: true, event: normalizeEvent(parsed.data) };
}

/** subject === `${prefix}.${event.type}.${event.source}`, without building that string for every event. */
function subjectMatches(subject: string, prefix: string, event: KlaxonEvent): boolean {
  const { type, source } = event;
  const typeAt = prefix.length + 1;
  const sourceAt = typeAt + type.length + 1;
  return (
    subject.length === sourceAt + source.length &&
    subject.startsWith(prefix) &&
    subject.charCodeAt(typeAt - 1) === 46 &&
    subject.startsWith(type, typeAt) &&
    subject.charCodeAt(sourceAt - 1) === 46 &&
    subject.endsWith(source)
  );
}
