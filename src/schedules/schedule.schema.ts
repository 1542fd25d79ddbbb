import { z } from "zod";
import { timeZoneSchema } from "../alerts/time-intervals.schema.js";
import { clockSchema, formatMsOfDay, instantSchema, msOfDay, parseLocalDateTime, slugSchema, weekdaysSchema } from "./fields.js";
import { MINUTE_MS } from "./local-time.js";

/**
 * How long each shift of a rotation lasts. Days and weeks are calendar days in the schedule's time zone (a "1d"
 * shift that spans a DST change lasts 23 or 25 hours); hours are real elapsed hours. Weeks are kept as 7 days.
 */
export interface ShiftLength {
  readonly text: string;
  readonly unit: "hours" | "days";
  readonly count: number;
}

export interface Rotation {
  /** User ids in order; shift n belongs to `participants[n % participants.length]`. Repeats are allowed. */
  readonly participants: readonly string[];
  /** The local date-time the first shift starts, as written. */
  readonly start: string;
  /** `start` as a wall time (see local-time.ts). */
  readonly startWallMs: number;
  readonly shift: ShiftLength;
  /** Local time of day of every handoff after the first, in ms after midnight (daily and weekly shifts only). */
  readonly handoffMsOfDay: number;
  /** `handoffMsOfDay` as "HH:MM". */
  readonly handoff: string;
}

/** Local window in which a layer is active: from `startMinute` on each of `weekdays` until `endMinute`. */
export interface Restriction {
  /** ISO weekdays (1 = Monday … 7 = Sunday) on which a window starts, sorted and distinct. */
  readonly weekdays: readonly number[];
  readonly startMinute: number;
  /** Up to 1440 ("24:00"); at or before `startMinute` the window ends on the next day. */
  readonly endMinute: number;
}

export interface Layer {
  readonly name: string;
  readonly rotation: Rotation;
  /** Absent: active all the time. */
  readonly restrictions?: readonly Restriction[];
}

export interface Override {
  readonly user: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly reason?: string;
}

export interface Schedule {
  readonly id: string;
  readonly version: number;
  readonly name: string;
  readonly description?: string;
  readonly timeZone: string;
  /** Lowest first: a later layer wins where it has someone on call. */
  readonly layers: readonly Layer[];
  /** A later override wins where overrides overlap. */
  readonly overrides: readonly Override[];
}

const SHIFT = /^([1-9]\d{0,4})(h|d|w)$/;

const shiftLengthSchema = z.string().transform((text, ctx): ShiftLength => {
  const match = SHIFT.exec(text);
  if (!match) {
    ctx.addIssue({ code: "custom", message: `shift "${text}" must be a whole number of hours, days or weeks, such as "12h", "1d" or "1w"` });
    return z.NEVER;
  }
  const count = Number(match[1]);
  if (match[2] === "h") return { text, unit: "hours", count };
  return { text, unit: "days", count: match[2] === "w" ? count * 7 : count };
});

const localDateTimeSchema = z.string().transform((text, ctx): number => {
  const parsed = parseLocalDateTime(text);
  if (typeof parsed === "number") return parsed;
  ctx.addIssue({ code: "custom", message: parsed.error });
  return z.NEVER;
});

const rotationSchema = z
  .strictObject({
    participants: z.array(slugSchema).min(1, "a rotation needs at least one participant"),
    start: localDateTimeSchema,
    shift: shiftLengthSchema,
    /** Defaults to the time of day of `start`. */
    handoff: clockSchema(false).optional(),
  })
  .transform((rotation, ctx): Rotation => {
    if (rotation.handoff !== undefined && rotation.shift.unit === "hours") {
      ctx.addIssue({
        code: "custom",
        path: ["handoff"],
        message: `"handoff" applies to daily and weekly shifts: "${rotation.shift.text}" shifts hand off every ${rotation.shift.count} real hours from "start"`,
      });
      return z.NEVER;
    }
    const handoffMsOfDay = rotation.handoff === undefined ? msOfDay(rotation.start) : rotation.handoff * MINUTE_MS;
    return {
      participants: rotation.participants,
      start: new Date(rotation.start).toISOString().slice(0, 19),
      startWallMs: rotation.start,
      shift: rotation.shift,
      handoffMsOfDay,
      handoff: formatMsOfDay(handoffMsOfDay),
    };
  });

const restrictionSchema = z
  .strictObject({
    /** Days on which a window starts; absent: every day. */
    weekdays: z.array(weekdaysSchema).min(1, 'weekdays must list at least one day: leave "weekdays" out for every day').optional(),
    start: clockSchema(false),
    end: clockSchema(true),
  })
  .transform(
    (restriction): Restriction => ({
      weekdays: restriction.weekdays ? [...new Set(restriction.weekdays.flat())].sort((a, b) => a - b) : [1, 2, 3, 4, 5, 6, 7],
      startMinute: restriction.start,
      endMinute: restriction.end,
    }),
  );

const layerSchema = z
  .strictObject({
    name: z.string().trim().min(1, "layer names must not be empty").max(128),
    rotation: rotationSchema,
    restrictions: z.array(restrictionSchema).min(1, 'restrictions must list at least one window: leave "restrictions" out for a layer active all the time').optional(),
  })
  .transform((layer): Layer => ({ name: layer.name, rotation: layer.rotation, ...(layer.restrictions && { restrictions: layer.restrictions }) }));

const overrideSchema = z
  .strictObject({
    user: slugSchema,
    start: instantSchema,
    end: instantSchema,
    reason: z.string().max(2_000).optional(),
  })
  .transform((override, ctx): Override => {
    if (override.end <= override.start) {
      ctx.addIssue({ code: "custom", path: ["end"], message: "an override must end after it starts" });
      return z.NEVER;
    }
    return { user: override.user, startMs: override.start, endMs: override.end, ...(override.reason !== undefined && { reason: override.reason }) };
  });

/** `rules/schedules/<id>.json`. `version` is the revision of the schedule, bumped on every change. */
export const scheduleSchema = z
  .strictObject({
    id: slugSchema,
    version: z.number().int().positive(),
    name: z.string().trim().min(1, "name must not be empty").max(200),
    description: z.string().max(2_000).optional(),
    /** Where rotation starts, handoffs and restrictions are read. */
    timeZone: timeZoneSchema,
    layers: z.array(layerSchema).min(1, "a schedule needs at least one layer"),
    overrides: z.array(overrideSchema).default([]),
  })
  .superRefine((schedule, ctx) => {
    const first = new Map<string, number>();
    schedule.layers.forEach((layer, i) => {
      const earlier = first.get(layer.name);
      if (earlier === undefined) first.set(layer.name, i);
      else ctx.addIssue({ code: "custom", path: ["layers", i, "name"], message: `duplicate layer name "${layer.name}" (also layers[${earlier}])` });
    });
  })
  .transform(
    (schedule): Schedule => ({
      id: schedule.id,
      version: schedule.version,
      name: schedule.name,
      ...(schedule.description !== undefined && { description: schedule.description }),
      timeZone: schedule.timeZone,
      layers: schedule.layers,
      overrides: schedule.overrides,
    }),
  );

/** A schedule as written in JSON. */
export type ScheduleConfig = z.input<typeof scheduleSchema>;

