import { IANAZone } from "luxon";

/*
 * Wall-clock arithmetic for schedules. A "wall" time is what the clocks of a time zone show, written as epoch
 * milliseconds as if that reading were UTC: 2026-03-29 09:00 in Berlin is wall `Date.UTC(2026, 2, 29, 9)`. Calendar
 * steps ("the next day at 09:00") are plain additions on wall times, since walls have no DST; only the step from a
 * wall time back to an instant needs the zone, and that step is `instantOfWall`.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/** Offsets never exceed ±14 h, so every instant whose clocks show a given wall time lies within this of it. */
const OFFSET_REACH_MS = 15 * HOUR_MS;

export function zoneOf(timeZone: string): IANAZone {
  return IANAZone.create(timeZone);
}

function offsetMs(zone: IANAZone, instantMs: number): number {
  return zone.offset(instantMs) * MINUTE_MS;
}

/** What the clocks of `zone` show at `instantMs`, as a wall time. */
export function wallOf(zone: IANAZone, instantMs: number): number {
  return instantMs + offsetMs(zone, instantMs);
}

/**
 * The first instant at which the clocks of `zone` show `wallMs` or a later time. For an ordinary local time that
 * is the one instant showing it. For a time shown twice (the repeated hour when clocks fall back) it is the first
 * occurrence, on the earlier offset. For a time never shown (skipped when clocks spring forward) it is the instant
 * of the jump, the first valid instant after: 02:30 on the day New York jumps from 02:00 to 03:00 gives 03:00 EDT.
 * (luxon's `DateTime.fromObject` would give 03:30 for the gap, moving by the gap's length, and the second occurrence
 * for a repeated time, so it is not used for this.)
 */
export function instantOfWall(zone: IANAZone, wallMs: number): number {
  const offsets = new Set([offsetMs(zone, wallMs - OFFSET_REACH_MS), offsetMs(zone, wallMs), offsetMs(zone, wallMs + OFFSET_REACH_MS)]);
  let first = Infinity;
  for (const offset of offsets) {
    const candidateMs = wallMs - offset;
    if (offsetMs(zone, candidateMs) === offset) first = Math.min(first, candidateMs);
  }
  if (first !== Infinity) return first;
  // In a gap: on the earlier (smaller) offset the wall time falls after the jump, on the later one before it.
  let lowMs = wallMs - Math.max(...offsets);
  let highMs = wallMs - Math.min(...offsets);
  const before = offsetMs(zone, lowMs);
  while (highMs - lowMs > 1) {
    const midMs = Math.floor((lowMs + highMs) / 2);
    if (offsetMs(zone, midMs) === before) lowMs = midMs;
    else highMs = midMs;
  }
  return highMs;
}

/** Whether the clocks of `zone` ever show `wallMs` (false inside a spring-forward gap). */
export function wallExists(zone: IANAZone, wallMs: number): boolean {
  return wallOf(zone, instantOfWall(zone, wallMs)) === wallMs;
}

/** Midnight at the start of the wall day containing `wallMs`. */
export function wallDayStart(wallMs: number): number {
  return Math.floor(wallMs / DAY_MS) * DAY_MS;
}

/** ISO weekday of a wall time: 1 = Monday … 7 = Sunday. */
export function wallWeekday(wallMs: number): number {
  // Day 0, 1970-01-01, was a Thursday (4).
  return ((((Math.floor(wallMs / DAY_MS) + 3) % 7) + 7) % 7) + 1;
}

/**
 * The first instant after `afterMs` at which the wall time of `zone` reaches one of `edgesMs` (milliseconds after
 * local midnight, sorted, containing 0 and one day) or the UTC offset changes, whichever comes first: between two
 * such instants, anything that depends on the local weekday and time of day cannot change.
 */
export function nextWallEdgeMs(zone: IANAZone, afterMs: number, edgesMs: readonly number[]): number {
  const offset = offsetMs(zone, afterMs);
  const msOfDay = afterMs + offset - wallDayStart(afterMs + offset);
  const edge = edgesMs.find((edgeMs) => edgeMs > msOfDay) ?? DAY_MS;
  const edgeInstantMs = afterMs + edge - msOfDay;
  if (offsetMs(zone, edgeInstantMs) === offset) return edgeInstantMs;
  // The offset changes before the edge (at most once in a day): the first instant on the new offset.
  let lowMs = afterMs;
  let highMs = edgeInstantMs;
  while (highMs - lowMs > 1) {
    const midMs = Math.floor((lowMs + highMs) / 2);
    if (offsetMs(zone, midMs) === offset) lowMs = midMs;
    else highMs = midMs;
  }
  return highMs;
}
