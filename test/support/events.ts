// Events for tests, built the way the decoder builds them (schema-validated, then normalised).
import { eventSchema, normalizeEvent, type KlaxonEvent, type LogEvent, type MetricEvent } from "../../src/ingest/event.schema.js";

/** 2026-11-25T10:00:00Z: every test's time zero, so failures print readable instants. */
export const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);
export const SECOND = 1_000;
export const MINUTE = 60_000;

/** T0 plus some seconds. */
export const at = (seconds: number): number => T0 + seconds * SECOND;

interface Common {
  source?: string;
  service?: string;
  labels?: Record<string, string>;
}

export function metric(name: string, value: number, timeMs: number, extra: Common = {}): MetricEvent {
  return normalizeEvent(eventSchema.parse({ type: "metric", source: "host-1", ...extra, name, value, time: timeMs })) as MetricEvent;
}

export function log(level: LogEvent["level"], message: string, timeMs: number, extra: Common = {}): LogEvent {
  return normalizeEvent(eventSchema.parse({ type: "log", source: "host-1", ...extra, level, message, time: timeMs })) as LogEvent;
}

export type { KlaxonEvent };
