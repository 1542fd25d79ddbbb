import { z } from "zod";
import { DateTime } from "luxon";
import { WEEKDAY_NAMES } from "../alerts/time-intervals.schema.js";
import { DAY_MS, MINUTE_MS } from "./local-time.js";

/** Field shapes shared by the users file and schedule files. */

const SLUG = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** User and schedule ids: they appear in file names, CLI arguments and references between files. */
export const slugSchema = z
  .string()
  .max(64, "ids are at most 64 characters")
  .regex(SLUG, 'ids are slugs: lowercase letters and digits, words joined by single hyphens (e.g. "ops-primary")');

const CLOCK = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Minutes after local midnight of "HH:MM"; "24:00" (the end of the day) only where `allowEndOfDay`. */
export function parseClock(text: string, allowEndOfDay: boolean): number | undefined {
  if (allowEndOfDay && text === "24:00") return 1_440;
  const match = CLOCK.exec(text);
  return match ? Number(match[1]) * 60 + Number(match[2]) : undefined;
}

export const clockSchema = (allowEndOfDay: boolean) =>
  z.string().transform((text, ctx) => {
    const minute = parseClock(text, allowEndOfDay);
    if (minute === undefined) {
      ctx.addIssue({ code: "custom", message: `"${text}" must be a time HH:MM from 00:00 to ${allowEndOfDay ? "24:00" : "23:59"}` });
      return z.NEVER;
    }
    return minute;
  });

const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/;
const HAS_OFFSET = /T.*(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * "2026-01-05T09:00" or "2026-01-05T09:00:00" as a wall time (see local-time.ts), or an error message. No offset:
 * the time zone is the schedule's, so that the same wall-clock time recurs across DST.
 */
export function parseLocalDateTime(text: string): number | { error: string } {
  if (HAS_OFFSET.test(text)) {
    return { error: `"${text}" has a UTC offset, but this is a local date-time in the schedule's timeZone: write it without one (e.g. "2026-01-05T09:00:00")` };
  }
  const match = LOCAL_DATE_TIME.exec(text);
  if (!match) return { error: `"${text}" must be a local date-time YYYY-MM-DDTHH:MM[:SS] (e.g. "2026-01-05T09:00:00")` };
  const [year, month, day, hour, minute, second] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number, number, number];
  const wallMs = Date.UTC(year, month - 1, day, hour, minute, second);
  const check = new Date(wallMs);
  const valid =
    check.getUTCFullYear() === year && check.getUTCMonth() === month - 1 && check.getUTCDate() === day &&
    hour < 24 && check.getUTCHours() === hour && check.getUTCMinutes() === minute && check.getUTCSeconds() === second;
  return valid ? wallMs : { error: `"${text}" is not a date and time that exists on the calendar` };
}

/** Milliseconds after midnight of a wall time. */
export const msOfDay = (wallMs: number): number => wallMs - Math.floor(wallMs / DAY_MS) * DAY_MS;

/** "HH:MM" of a number of minutes after midnight, "24:00" included. */
export function formatClock(minute: number): string {
  return `${String(Math.floor(minute / 60)).padStart(2, "0")}:${String(minute % 60).padStart(2, "0")}`;
}

/** "HH:MM" or "HH:MM:SS" of milliseconds after midnight. */
export function formatMsOfDay(ms: number): string {
  const seconds = Math.floor(ms / 1_000) % 60;
  return formatClock(Math.floor(ms / MINUTE_MS)) + (seconds === 0 ? "" : `:${String(seconds).padStart(2, "0")}`);
}

/** An ISO-8601 instant with an offset ("Z" or "+01:00"), so that it means the same instant wherever it is read. */
export const instantSchema = z.string().transform((text, ctx): number => {
  const parsed = DateTime.fromISO(text, { setZone: true });
  if (!parsed.isValid) {
    ctx.addIssue({ code: "custom", message: `"${text}" is not an ISO-8601 date-time (e.g. "2026-03-28T18:00:00+01:00")` });
    return z.NEVER;
  }
  if (!HAS_OFFSET.test(text)) {
    ctx.addIssue({ code: "custom", message: `"${text}" needs a UTC offset such as "+01:00" or "Z": overrides are absolute instants` });
    return z.NEVER;
  }
  return parsed.toMillis();
});

function weekdayNumber(name: string): number | undefined {
  const index = (WEEKDAY_NAMES as readonly string[]).indexOf(name.trim().toLowerCase());
  return index < 0 ? undefined : index + 1;
}

/**
 * "monday" or "monday:friday" as ISO weekday numbers (1 = Monday … 7 = Sunday). A range runs forward through the
 * week and may wrap around it: "friday:monday" is Friday, Saturday, Sunday and Monday.
 */
export const weekdaysSchema = z.string().transform((text, ctx): number[] => {
  const ends = text.split(":");
  const numbers = ends.map(weekdayNumber);
  const unknown = ends.find((_, i) => numbers[i] === undefined);
  if (ends.length > 2 || unknown !== undefined) {
    ctx.addIssue({
      code: "custom",
      message: ends.length > 2 ? `"${text}" must be a weekday or a range such as "monday:friday"` : `unknown weekday "${unknown}": use ${WEEKDAY_NAMES.join(", ")}`,
    });
    return z.NEVER;
  }
  const start = numbers[0] as number;
  const end = numbers.at(-1) as number;
  const days: number[] = [];
  for (let day = start; ; day = (day % 7) + 1) {
    days.push(day);
    if (day === end) return days;
  }
});
