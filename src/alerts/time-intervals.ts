import { DateTime, IANAZone } from "luxon";
import { AppError } from "../core/errors.js";
import type { AbsoluteWindow, RecurringTimeRange, TimeIntervalDef } from "./time-intervals.schema.js";

/*
 * Wall-clock fields (times, weekdays, days of the month, months, years) are read in the interval's time zone at
 * the instant asked about: `DateTime.fromMillis(nowMs, { zone })`. So "09:00–17:00 Europe/Berlin" is 09:00–17:00
 * on Berlin clocks all year (08:00Z–16:00Z in winter, 07:00Z–15:00Z in summer). Around DST changes this means:
 * - Spring forward: local times in the gap do not exist, so they are never "now". "02:00–03:00" in Berlin on the
 *   day clocks jump from 02:00 to 03:00 is not active at all; "22:00–24:00" + "00:00–06:00" lasts 7 real hours.
 * - Fall back: the repeated local hour happens twice and a range covering it is active both times. "02:00–03:00"
 *   in Berlin on that day is active for 2 real hours; "22:00–24:00" + "00:00–06:00" lasts 9.
 * One-off windows are absolute instants and ignore the zone. Ranges are half-open: active at start, not at end.
 */

export const DEFAULT_HORIZON_MS = 8 * 86_400_000;
/** `nextChangeMs` looks at most this far ahead; a caller wanting more asks again at the horizon. */
export const MAX_HORIZON_MS = 366 * 86_400_000;

const MINUTE_MS = 60_000;
const MINUTES_PER_DAY = 1_440;

/** Asked about a time interval no definition has: a wiring bug, as routes are checked against the names first. */
export class UnknownTimeIntervalError extends AppError {
  constructor(readonly intervalName: string, known: readonly string[]) {
    super(`unknown time interval "${intervalName}" (known: ${known.length === 0 ? "none" : known.join(", ")})`);
  }
}

/** Definitions that did not come through the schema and break its rules (duplicate name, unknown zone). */
export class InvalidTimeIntervalError extends AppError {
  constructor(readonly intervalName: string, reason: string) {
    super(`time interval "${intervalName}": ${reason}`);
  }
}

export interface TimeIntervals {
  /** Whether the named interval is active at `nowMs`; throws `UnknownTimeIntervalError` for a name not defined. */
  isActive(name: string, nowMs: number): boolean;
  /**
   * The first instant after `nowMs`, at most `horizonMs` later (default 8 days, at most 366), at which `isActive`
   * gives the other answer; undefined when it does not change within the horizon.
   */
  nextChangeMs(name: string, nowMs: number, horizonMs?: number): number | undefined;
  has(name: string): boolean;
  /** The defined names, in definition order. */
  names(): string[];
}

/** What the recurring fields look at, for one instant in one zone. */
interface LocalTime {
  year: number;
  month: number;
  day: number;
  daysInMonth: number;
  weekday: number;
  minuteOfDay: number;
  /** Milliseconds since local midnight, seconds included: how far the next minute boundary is. */
  msOfDay: number;
  /** Minutes east of UTC. */
  offset: number;
}

function localTime(nowMs: number, zone: string): LocalTime {
  const local = DateTime.fromMillis(nowMs, { zone });
  const minuteOfDay = local.hour * 60 + local.minute;
  return {
    year: local.year,
    month: local.month,
    day: local.day,
    daysInMonth: local.daysInMonth as number,
    weekday: local.weekday,
    minuteOfDay,
    msOfDay: minuteOfDay * MINUTE_MS + local.second * 1_000 + local.millisecond,
    offset: local.offset,
  };
}

/** A negative day counts from the month's end (-1 = last day); "31" simply never matches in a 30-day month. */
function resolveDay(day: number, daysInMonth: number): number {
  return day > 0 ? day : daysInMonth + day + 1;
}

function matchesRecurring(range: RecurringTimeRange, local: LocalTime): boolean {
  if (range.times && !range.times.some((t) => t.startMinute <= local.minuteOfDay && local.minuteOfDay < t.endMinute)) return false;
  if (range.weekdays && !range.weekdays.includes(local.weekday)) return false;
  if (
    range.daysOfMonth &&
    !range.daysOfMonth.some((d) => resolveDay(d.start, local.daysInMonth) <= local.day && local.day <= resolveDay(d.end, local.daysInMonth))
  ) {
    return false;
  }
  if (range.months && !range.months.includes(local.month)) return false;
  if (range.years && !range.years.some((y) => y.start <= local.year && local.year <= y.end)) return false;
  return true;
}

class CompiledInterval {
  private readonly recurring: RecurringTimeRange[];
  private readonly windows: AbsoluteWindow[];
  private readonly zone: IANAZone;
  /**
   * Minutes of the local day at which a recurring range can start or stop matching: every `times` edge, and
   * midnight (0 and 1440), where the date fields change. Between two of them, at a constant UTC offset, nothing can.
   */
  private readonly edges: number[];

  constructor(readonly def: TimeIntervalDef) {
    this.recurring = def.intervals.filter((range): range is RecurringTimeRange => range.kind === "recurring");
    this.windows = def.intervals.filter((range): range is AbsoluteWindow => range.kind === "window");
    this.zone = IANAZone.create(def.timeZone);
    const edges = new Set([0, MINUTES_PER_DAY]);
    for (const range of this.recurring) {
      for (const time of range.times ?? []) edges.add(time.startMinute).add(time.endMinute);
    }
    this.edges = [...edges].sort((a, b) => a - b);
  }

  isActive(nowMs: number): boolean {
    if (this.windows.some((w) => w.startMs <= nowMs && nowMs < w.endMs)) return true;
    if (this.recurring.length === 0) return false;
    const local = localTime(nowMs, this.def.timeZone);
    return this.recurring.some((range) => matchesRecurring(range, local));
  }

  /**
   * Steps from one instant at which the answer could change to the next (a window edge, a local `times` edge or
   * midnight, a UTC offset change) instead of minute by minute: a handful of steps per day of horizon.
   */
  nextChangeMs(nowMs: number, horizonMs: number): number | undefined {
    const initial = this.isActive(nowMs);
    const limitMs = nowMs + horizonMs;
    let atMs = nowMs;
    for (;;) {
      const candidateMs = this.nextCandidateMs(atMs);
      if (candidateMs > limitMs) return undefined;
      if (this.isActive(candidateMs) !== initial) return candidateMs;
      atMs = candidateMs;
    }
  }

  private nextCandidateMs(afterMs: number): number {
    let candidateMs = Infinity;
    for (const w of this.windows) {
      if (w.startMs > afterMs) candidateMs = Math.min(candidateMs, w.startMs);
      if (w.endMs > afterMs) candidateMs = Math.min(candidateMs, w.endMs);
    }
    if (this.recurring.length > 0) candidateMs = Math.min(candidateMs, this.nextLocalEdgeMs(afterMs));
    return candidateMs;
  }

  /** The next local edge, assuming the UTC offset holds until then; if it does not, the instant it changes. */
  private nextLocalEdgeMs(afterMs: number): number {
    const local = localTime(afterMs, this.def.timeZone);
    // Edges include 1440, and msOfDay is below 1440 minutes, so there is always a next one.
    const edge = this.edges.find((minute) => minute * MINUTE_MS > local.msOfDay) as number;
    const edgeMs = afterMs + edge * MINUTE_MS - local.msOfDay;
    if (this.zone.offset(edgeMs) === local.offset) return edgeMs;
    // The clocks jump before the edge: find the first instant on the new offset (offsets change at most once a day).
    let lowMs = afterMs;
    let highMs = edgeMs;
    while (highMs - lowMs > 1) {
      const midMs = Math.floor((lowMs + highMs) / 2);
      if (this.zone.offset(midMs) === local.offset) lowMs = midMs;
      else highMs = midMs;
    }
    return highMs;
  }
}

/** Compiles parsed definitions (see `timeIntervalsSchema`) into lookups by name. */
export function compileTimeIntervals(defs: readonly TimeIntervalDef[]): TimeIntervals {
  const byName = new Map<string, CompiledInterval>();
  for (const def of defs) {
    if (byName.has(def.name)) throw new InvalidTimeIntervalError(def.name, "defined twice");
    if (!IANAZone.isValidZone(def.timeZone)) throw new InvalidTimeIntervalError(def.name, `unknown time zone "${def.timeZone}"`);
    byName.set(def.name, new CompiledInterval(def));
  }

  const lookup = (name: string): CompiledInterval => {
    const interval = byName.get(name);
    if (!interval) throw new UnknownTimeIntervalError(name, [...byName.keys()]);
    return interval;
  };
  const checkInstant = (nowMs: number): void => {
    if (!Number.isFinite(nowMs)) throw new RangeError(`time must be a finite number of epoch milliseconds, got ${nowMs}`);
  };

  return {
    isActive(name, nowMs) {
      const interval = lookup(name);
      checkInstant(nowMs);
      return interval.isActive(nowMs);
    },
    nextChangeMs(name, nowMs, horizonMs = DEFAULT_HORIZON_MS) {
      const interval = lookup(name);
      checkInstant(nowMs);
      if (!(horizonMs >= 0 && horizonMs <= MAX_HORIZON_MS)) {
        throw new RangeError(`horizonMs must be from 0 to ${MAX_HORIZON_MS} (366 days), got ${horizonMs}`);
      }
      return interval.nextChangeMs(nowMs, horizonMs);
    },
    has: (name) => byName.has(name),
    names: () => [...byName.keys()],
  };
}
