import { z } from "zod";
import { DateTime, IANAZone } from "luxon";

/** ISO order, as luxon numbers them: `WEEKDAY_NAMES[weekday - 1]` with 1 = Monday … 7 = Sunday. */
export const WEEKDAY_NAMES = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"] as const;
export const MONTH_NAMES = [
  "january", "february", "march", "april", "may", "june",
  "july", "august", "september", "october", "november", "december",
] as const;

/** Integers from `start` to `end`, both included: days of the month (negative = from the month's end), years. */
export interface InclusiveRange {
  readonly start: number;
  readonly end: number;
}

/** Minutes after local midnight, half-open: `[startMinute, endMinute)`; `endMinute` may be 1440 ("24:00"). */
export interface MinuteRange {
  readonly startMinute: number;
  readonly endMinute: number;
}

/**
 * Wall-clock conditions, read in the interval's time zone. Every field present must match (AND); within a field
 * any entry may match (OR); a missing field matches everything, so `{}` matches always.
 */
export interface RecurringTimeRange {
  readonly kind: "recurring";
  readonly times?: readonly MinuteRange[];
  /** ISO weekday numbers, 1 = Monday … 7 = Sunday, sorted and distinct. */
  readonly weekdays?: readonly number[];
  readonly daysOfMonth?: readonly InclusiveRange[];
  /** 1 = January … 12 = December, sorted and distinct. */
  readonly months?: readonly number[];
  readonly years?: readonly InclusiveRange[];
}

/** A one-off window between two absolute instants, half-open `[startMs, endMs)`: the time zone does not apply. */
export interface AbsoluteWindow {
  readonly kind: "window";
  readonly startMs: number;
  readonly endMs: number;
}

export type TimeRange = RecurringTimeRange | AbsoluteWindow;

type Parsed<T> = T | { error: string };

/** The `error` option of a strict object: an unknown key (often a typo, or Alertmanager's snake_case) names the right ones. */
function unknownKeys(what: string, fields: readonly string[]) {
  return {
    error: (issue: { code?: string; keys?: readonly string[] }) =>
      issue.code === "unrecognized_keys" && issue.keys
        ? `unknown field${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((key) => `"${key}"`).join(", ")}: ${what} has ${fields.join(", ")}`
        : undefined,
  };
}

/** A list field: each entry a string parsed on its own (so an error points at its index); empty lists are rejected. */
function listOf<T>(field: string, everything: string, parse: (text: string) => Parsed<T>) {
  const entry = z.string().transform((text, ctx): T => {
    const parsed = parse(text.trim());
    if (typeof parsed === "object" && parsed !== null && "error" in parsed) {
      ctx.addIssue({ code: "custom", message: parsed.error });
      return z.NEVER;
    }
    return parsed;
  });
  // An empty list reads both as "never" and as "always"; Alertmanager takes it as "always". Make the author say which.
  return z.array(entry).min(1, `${field} must list at least one value: leave "${field}" out to match ${everything}`);
}

/** "a" or "a:b" → the two ends, or undefined when there are more colons or an empty side. */
function splitRange(text: string): [string, string] | undefined {
  const parts = text.split(":").map((part) => part.trim());
  if (parts.length === 1 && parts[0] !== "") return [parts[0] as string, parts[0] as string];
  if (parts.length === 2 && parts[0] !== "" && parts[1] !== "") return [parts[0] as string, parts[1] as string];
  return undefined;
}

const INTEGER = /^-?\d+$/;

/** For a range that wraps around (1-based `start` > `end`): the two ranges to write instead, e.g. "friday:sunday" and "monday". */
function splitAdvice(names: readonly string[], start: number, end: number): string {
  const range = (from: number, to: number) => `"${from === to ? names[from - 1] : `${names[from - 1]}:${names[to - 1]}`}"`;
  return `${range(start, names.length)} and ${range(1, end)}`;
}

function parseWeekday(text: string): number | undefined {
  const index = (WEEKDAY_NAMES as readonly string[]).indexOf(text.toLowerCase());
  return index < 0 ? undefined : index + 1;
}

/**
 * "monday", "monday:friday". A range runs forward through one week and may treat Sunday as its first day
 * (Alertmanager's "sunday:saturday") or as its last ("saturday:sunday"); any other wrap-around is rejected.
 */
function parseWeekdays(text: string): Parsed<number[]> {
  const ends = splitRange(text);
  if (!ends) return { error: `weekday "${text}" must be a day name or a range such as "monday:friday"` };
  const [start, end] = ends.map(parseWeekday) as [number | undefined, number | undefined];
  const unknown = start === undefined ? ends[0] : end === undefined ? ends[1] : undefined;
  if (start === undefined || end === undefined) {
    return { error: `unknown weekday "${unknown}": use ${WEEKDAY_NAMES.join(", ")}` };
  }
  if (start <= end) return span(start, end);
  if (start === 7) return [7, ...span(1, end)];
  return {
    error: `weekday range "${text}" runs past the end of the week: list ${splitAdvice(WEEKDAY_NAMES, start, end)}`,
  };
}

function parseMonth(text: string): number | undefined {
  if (INTEGER.test(text)) {
    const month = Number(text);
    return month >= 1 && month <= 12 ? month : undefined;
  }
  const index = (MONTH_NAMES as readonly string[]).indexOf(text.toLowerCase());
  return index < 0 ? undefined : index + 1;
}

/** "march", "3", "january:march", "1:3". */
function parseMonths(text: string): Parsed<number[]> {
  const ends = splitRange(text);
  if (!ends) return { error: `month "${text}" must be a month name or number, or a range such as "january:march"` };
  const [start, end] = ends.map(parseMonth) as [number | undefined, number | undefined];
  const unknown = start === undefined ? ends[0] : end === undefined ? ends[1] : undefined;
  if (start === undefined || end === undefined) {
    return { error: `unknown month "${unknown}": use january … december or 1 … 12` };
  }
  if (start > end) {
    return { error: `month range "${text}" must not end before it starts: list ${splitAdvice(MONTH_NAMES, start, end)}` };
  }
  return span(start, end);
}

function parseDayOfMonth(text: string): number | undefined {
  if (!INTEGER.test(text)) return undefined;
  const day = Number(text);
  return day !== 0 && day >= -31 && day <= 31 ? day : undefined;
}

/**
 * "1", "1:5", "-1" (the last day), "-7:-1" (the last seven), "15:-1" (the 15th to the end). A negative start with
 * a positive end is rejected: whether "-3:5" covers any day would depend on the month's length.
 */
function parseDaysOfMonth(text: string): Parsed<InclusiveRange> {
  const ends = splitRange(text);
  if (!ends) return { error: `day of month "${text}" must be a day or a range such as "1:5" or "-7:-1"` };
  const [start, end] = ends.map(parseDayOfMonth) as [number | undefined, number | undefined];
  const bad = start === undefined ? ends[0] : end === undefined ? ends[1] : undefined;
  if (start === undefined || end === undefined) {
    return { error: `day of month "${bad}" must be a whole number from 1 to 31, or -1 (the last day) to -31; 0 is not a day` };
  }
  if (start < 0 && end > 0) {
    return { error: `day-of-month range "${text}" starts from the month's end but ends at a fixed day: use either "-N:-M" or "N:M" (or "N:-M")` };
  }
  if (Math.sign(start) === Math.sign(end) && start > end) {
    return { error: `day-of-month range "${text}" must not end before it starts` };
  }
  return { start, end };
}

/** "2026", "2026:2027". */
function parseYears(text: string): Parsed<InclusiveRange> {
  const ends = splitRange(text);
  if (!ends) return { error: `year "${text}" must be a year or a range such as "2026:2027"` };
  const [start, end] = ends.map((side) => (/^\d{4}$/.test(side) ? Number(side) : undefined)) as [number | undefined, number | undefined];
  const bad = start === undefined ? ends[0] : end === undefined ? ends[1] : undefined;
  if (start === undefined || end === undefined) return { error: `year "${bad}" must be a four-digit year such as "2026"` };
  if (start > end) return { error: `year range "${text}" must not end before it starts` };
  return { start, end };
}

function span(start: number, end: number): number[] {
  return Array.from({ length: end - start + 1 }, (_, i) => start + i);
}

const sortedDistinct = (lists: readonly number[][]): number[] => [...new Set(lists.flat())].sort((a, b) => a - b);

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;

function minuteOfDay(text: string, allowMidnightEnd: boolean): number | undefined {
  if (allowMidnightEnd && text === "24:00") return 1_440;
  const match = CLOCK.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

/** `{ start: "09:00", end: "17:00" }`, half-open within one day: a window across midnight is two entries. */
const timeOfDaySchema = z
  .strictObject(
    {
      start: z.string().refine((text) => minuteOfDay(text, false) !== undefined, {
        error: (issue) => `start time ${JSON.stringify(issue.input)} must be HH:MM from 00:00 to 23:59`,
      }),
      end: z.string().refine((text) => minuteOfDay(text, true) !== undefined, {
        error: (issue) => `end time ${JSON.stringify(issue.input)} must be HH:MM from 00:01 to 24:00`,
      }),
    },
    unknownKeys("a time of day", ["start", "end"]),
  )
  .transform((time, ctx): MinuteRange => {
    const startMinute = minuteOfDay(time.start, false) as number;
    const endMinute = minuteOfDay(time.end, true) as number;
    if (startMinute >= endMinute) {
      ctx.addIssue({
        code: "custom",
        path: ["end"],
        message:
          `end time "${time.end}" must be after start time "${time.start}": a range cannot cross midnight, ` +
          `so write ${time.start}–24:00 and 00:00–${time.end} as two time ranges`,
      });
      return z.NEVER;
    }
    return { startMinute, endMinute };
  });

const OFFSET_AT_END = /T.*(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/** An ISO-8601 instant that names its offset, so that it means the same instant wherever it is read. */
const instantSchema = (field: "start" | "end") =>
  z.string().transform((text, ctx): number => {
    const parsed = DateTime.fromISO(text, { setZone: true });
    if (!parsed.isValid) {
      ctx.addIssue({ code: "custom", message: `${field} "${text}" is not an ISO-8601 date-time (e.g. "2026-03-01T22:00:00+01:00")` });
      return z.NEVER;
    }
    if (!OFFSET_AT_END.test(text)) {
      ctx.addIssue({ code: "custom", message: `${field} "${text}" needs a UTC offset such as "+01:00" or "Z": a one-off window is an absolute instant` });
      return z.NEVER;
    }
    return parsed.toMillis();
  });

const RECURRING_FIELDS = ["times", "weekdays", "daysOfMonth", "months", "years"] as const;

/**
 * One time range: recurring wall-clock fields, or a one-off window `{ start, end }` (never both). One strict object
 * rather than a union, so that an error points at the field that is wrong instead of at "no option matched".
 */
export const timeRangeSchema = z
  .strictObject(
    {
      times: z.array(timeOfDaySchema).min(1, 'times must list at least one { start, end }: leave "times" out to match the whole day').optional(),
      weekdays: listOf("weekdays", "every day of the week", parseWeekdays).optional(),
      daysOfMonth: listOf("daysOfMonth", "every day of the month", parseDaysOfMonth).optional(),
      months: listOf("months", "every month", parseMonths).optional(),
      years: listOf("years", "every year", parseYears).optional(),
      start: instantSchema("start").optional(),
      end: instantSchema("end").optional(),
    },
    unknownKeys("a time range", [...RECURRING_FIELDS, "start", "end"]),
  )
  .transform((range, ctx): TimeRange => {
    if (range.start !== undefined || range.end !== undefined) {
      for (const field of RECURRING_FIELDS) {
        if (range[field] !== undefined) {
          ctx.addIssue({ code: "custom", path: [field], message: `"${field}" cannot be combined with a one-off window: put the window ({ start, end }) in a time range of its own` });
        }
      }
      if (range.start === undefined || range.end === undefined) {
        const missing = range.start === undefined ? "start" : "end";
        ctx.addIssue({ code: "custom", path: [missing], message: `a one-off window needs both "start" and "end"; "${missing}" is missing` });
        return z.NEVER;
      }
      if (range.start >= range.end) {
        ctx.addIssue({ code: "custom", path: ["end"], message: "a one-off window must end after it starts" });
        return z.NEVER;
      }
      return { kind: "window", startMs: range.start, endMs: range.end };
    }
    return {
      kind: "recurring",
      ...(range.times && { times: range.times }),
      ...(range.weekdays && { weekdays: sortedDistinct(range.weekdays) }),
      ...(range.daysOfMonth && { daysOfMonth: range.daysOfMonth }),
      ...(range.months && { months: sortedDistinct(range.months) }),
      ...(range.years && { years: range.years }),
    };
  });

/** An IANA zone name that luxon (and so the platform's Intl data) knows, e.g. "Europe/Berlin" or "UTC". */
export const timeZoneSchema = z.string().superRefine((zone, ctx) => {
  if (!IANAZone.isValidZone(zone)) {
    ctx.addIssue({ code: "custom", message: `unknown time zone "${zone}": use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC"` });
  }
});

/**
 * A named time interval (Alertmanager's `time_intervals` entry): active while any of its time ranges matches.
 * Routes name it in `muteTimeIntervals` or `activeTimeIntervals`.
 */
export const timeIntervalSchema = z.strictObject(
  {
    name: z.string().min(1, "time interval names must not be empty").max(128),
    /** Where the wall-clock fields are read; one-off windows carry their own offset. */
    timeZone: timeZoneSchema.default("UTC"),
    intervals: z.array(timeRangeSchema).min(1, "intervals must list at least one time range ([{}] is always active)"),
  },
  unknownKeys("a time interval", ["name", "timeZone", "intervals"]),
);

/** The list of a routing file's `timeIntervals`: names are unique, as routes refer to them by name. */
export const timeIntervalsSchema = z.array(timeIntervalSchema).superRefine((defs, ctx) => {
  const seen = new Set<string>();
  defs.forEach((def, i) => {
    if (seen.has(def.name)) ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate time interval name "${def.name}"` });
    seen.add(def.name);
  });
});

/** A time interval as written in JSON. */
export type TimeIntervalConfig = z.input<typeof timeIntervalSchema>;
/** A time interval after parsing: ranges resolved to numbers and instants. */
export type TimeIntervalDef = z.output<typeof timeIntervalSchema>;
