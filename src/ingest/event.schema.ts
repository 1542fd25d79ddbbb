import { z } from "zod";

/** Event names, sources, services and label keys travel in NATS subjects and alert labels: keep them tame. */
const token = z.string().min(1).max(256).regex(/^[A-Za-z0-9_.:\-/]+$/, "only letters, digits and _ . : - / are allowed");
const labels = z.record(z.string().min(1).max(128).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "label names look like Prometheus label names"), z.string().max(1024));

/** ISO-8601 with an offset ("2026-11-25T10:00:00Z") or epoch milliseconds. */
const TIME_FORMAT = "expected an ISO-8601 string with a zone offset (\"2026-11-25T10:00:00Z\") or epoch milliseconds";
const time = z.union([z.number().int().nonnegative(), z.string().refine((s) => /(?:Z|[+-]\d\d:?\d\d)$/i.test(s) && !Number.isNaN(Date.parse(s)), TIME_FORMAT)], {
  error: (issue) => (issue.input === undefined ? `required: ${TIME_FORMAT.replace("expected ", "")}` : TIME_FORMAT),
});

const common = {
  source: token,
  service: token.optional(),
  labels: labels.optional(),
  time,
};

export const metricEventSchema = z.strictObject({
  type: z.literal("metric"),
  ...common,
  name: token,
  value: z.number().refine(Number.isFinite, "value must be a finite number"),
});

export const logEventSchema = z.strictObject({
  type: z.literal("log"),
  ...common,
  level: z.enum(["trace", "debug", "info", "warn", "error", "fatal"]),
  message: z.string().max(32_768),
});

export const eventSchema = z.discriminatedUnion("type", [metricEventSchema, logEventSchema]);

export type EventInput = z.input<typeof eventSchema>;
type Parsed = z.output<typeof eventSchema>;

/** An event after validation: time normalised to epoch milliseconds, labels always present. */
export type KlaxonEvent = DistributiveNormalize<Parsed>;
type DistributiveNormalize<T> = T extends unknown ? Omit<T, "time" | "labels"> & { timeMs: number; labels: Record<string, string> } : never;
export type MetricEvent = Extract<KlaxonEvent, { type: "metric" }>;
export type LogEvent = Extract<KlaxonEvent, { type: "log" }>;
export type EventType = KlaxonEvent["type"];
export const EVENT_TYPES: readonly EventType[] = ["metric", "log"];

export function normalizeEvent(parsed: Parsed): KlaxonEvent {
  const { time: t, labels: l, ...rest } = parsed;
  return { ...rest, labels: l ?? {}, timeMs: typeof t === "number" ? t : Date.parse(t) } as KlaxonEvent;
}
