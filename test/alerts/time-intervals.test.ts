import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { AppError, jsonPath } from "../../src/core/errors.js";
import {
  compileTimeIntervals,
  InvalidTimeIntervalError,
  UnknownTimeIntervalError,
  type TimeIntervals,
} from "../../src/alerts/time-intervals.js";
import {
  timeIntervalSchema,
  timeIntervalsSchema,
  type TimeIntervalConfig,
  type TimeIntervalDef,
} from "../../src/alerts/time-intervals.schema.js";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Instants are written with an explicit offset (usually Z), so the test reads the same in any TZ. */
const ms = (instant: string): number => {
  const parsed = Date.parse(instant);
  assert.ok(Number.isFinite(parsed), `bad instant in test: ${instant}`);
  return parsed;
};
const iso = (epochMs: number): string => new Date(epochMs).toISOString().replace(".000Z", "Z");

const parse = (config: TimeIntervalConfig): TimeIntervalDef => timeIntervalSchema.parse(config);

/** One interval named "x" from its time ranges. */
function interval(intervals: TimeIntervalConfig["intervals"], timeZone?: string): TimeIntervals {
  return compileTimeIntervals([parse({ name: "x", intervals, ...(timeZone !== undefined && { timeZone }) })]);
}

function activeAt(intervals: TimeIntervals, instant: string): boolean {
  return intervals.isActive("x", ms(instant));
}

/** The stretches in [from, to) during which "x" is active, as [start, end] UTC instants found with nextChangeMs. */
function activeSpans(intervals: TimeIntervals, from: string, to: string): [string, string][] {
  const endMs = ms(to);
  const spans: [string, string][] = [];
  let atMs = ms(from);
  let active = intervals.isActive("x", atMs);
  let spanStartMs = atMs;
  for (;;) {
    const changeMs = intervals.nextChangeMs("x", atMs, Math.max(0, endMs - atMs));
    if (changeMs === undefined || changeMs >= endMs) break;
    if (active) spans.push([iso(spanStartMs), iso(changeMs)]);
    else spanStartMs = changeMs;
    active = !active;
    atMs = changeMs;
  }
  if (active) spans.push([iso(spanStartMs), iso(endMs)]);
  return spans;
}

/** The same spans found the slow way, asking isActive at every minute: a check on nextChangeMs. */
function activeSpansByMinute(intervals: TimeIntervals, from: string, to: string): [string, string][] {
  const spans: [string, string][] = [];
  let spanStartMs: number | undefined;
  for (let atMs = ms(from); atMs < ms(to); atMs += MINUTE) {
    const active = intervals.isActive("x", atMs);
    if (active && spanStartMs === undefined) spanStartMs = atMs;
    if (!active && spanStartMs !== undefined) {
      spans.push([iso(spanStartMs), iso(atMs)]);
      spanStartMs = undefined;
    }
  }
  if (spanStartMs !== undefined) spans.push([iso(spanStartMs), iso(ms(to))]);
  return spans;
}

/** "path: message" for each issue of a time interval that fails to parse. */
function issuesOf(config: unknown): string[] {
  const result = timeIntervalSchema.safeParse(config);
  assert.equal(result.success, false, "expected the time interval to be rejected");
  return (result.error?.issues ?? []).map((issue) => `${jsonPath(issue.path) || "(root)"}: ${issue.message}`);
}

/** The issues of a single time range, checking each names its field. */
function rangeIssues(range: unknown, timeZone?: string): string[] {
  return issuesOf({ name: "x", intervals: [range], ...(timeZone !== undefined && { timeZone }) });
}

const WEEKDAY_NIGHTS = [
  { weekdays: ["monday:friday"], times: [{ start: "22:00", end: "24:00" }] },
  { weekdays: ["monday:friday"], times: [{ start: "00:00", end: "06:00" }] },
];
const EVERY_NIGHT = [{ times: [{ start: "22:00", end: "24:00" }] }, { times: [{ start: "00:00", end: "06:00" }] }];

describe("timeIntervalSchema", () => {
  test("parses names, numbers and ranges into sorted values; the zone defaults to UTC", () => {
    const def = parse({
      name: "quiet",
      intervals: [
        {
          times: [{ start: "09:00", end: "17:30" }, { start: "22:00", end: "24:00" }],
          weekdays: ["Friday", "monday:wednesday", "MONDAY"],
          daysOfMonth: ["1:5", "-1", "-7:-2", "15:-1"],
          months: ["March", "1:2", "october:december"],
          years: ["2026", "2027:2028"],
        },
      ],
    });
    assert.equal(def.timeZone, "UTC");
    assert.deepEqual(def.intervals, [
      {
        kind: "recurring",
        times: [{ startMinute: 540, endMinute: 1050 }, { startMinute: 1320, endMinute: 1440 }],
        weekdays: [1, 2, 3, 5],
        daysOfMonth: [{ start: 1, end: 5 }, { start: -1, end: -1 }, { start: -7, end: -2 }, { start: 15, end: -1 }],
        months: [1, 2, 3, 10, 11, 12],
        years: [{ start: 2026, end: 2026 }, { start: 2027, end: 2028 }],
      },
    ]);
  });

  test("a week may run from Sunday (Alertmanager) or to Sunday (ISO)", () => {
    const def = parse({ name: "x", intervals: [{ weekdays: ["sunday:saturday"] }, { weekdays: ["saturday:sunday"] }, { weekdays: ["sunday:tuesday"] }] });
    assert.deepEqual(def.intervals, [
      { kind: "recurring", weekdays: [1, 2, 3, 4, 5, 6, 7] },
      { kind: "recurring", weekdays: [6, 7] },
      { kind: "recurring", weekdays: [1, 2, 7] },
    ]);
  });

  test("a one-off window becomes two absolute instants; an empty range stays empty", () => {
    const def = parse({
      name: "release",
      timeZone: "Asia/Tokyo",
      intervals: [{ start: "2026-03-29T01:30:00+01:00", end: "2026-03-29T04:00:00.500Z" }, {}],
    });
    assert.equal(def.timeZone, "Asia/Tokyo");
    assert.deepEqual(def.intervals, [
      { kind: "window", startMs: ms("2026-03-29T00:30:00Z"), endMs: ms("2026-03-29T04:00:00.500Z") },
      { kind: "recurring" },
    ]);
  });

  test("an unknown time zone is an error naming it", () => {
    assert.deepEqual(issuesOf({ name: "x", timeZone: "Mars/Olympus_Mons", intervals: [{}] }), [
      'timeZone: unknown time zone "Mars/Olympus_Mons": use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC"',
    ]);
  });

  test("weekdays: unknown names, wrap-arounds and bad shapes point at the entry", () => {
    assert.deepEqual(rangeIssues({ weekdays: ["monday", "funday"] }), [
      'intervals[0].weekdays[1]: unknown weekday "funday": use monday, tuesday, wednesday, thursday, friday, saturday, sunday',
    ]);
    assert.deepEqual(rangeIssues({ weekdays: ["mon:fri"] }), [
      'intervals[0].weekdays[0]: unknown weekday "mon": use monday, tuesday, wednesday, thursday, friday, saturday, sunday',
    ]);
    assert.deepEqual(rangeIssues({ weekdays: ["friday:monday"] }), [
      'intervals[0].weekdays[0]: weekday range "friday:monday" runs past the end of the week: list "friday:sunday" and "monday"',
    ]);
    assert.deepEqual(rangeIssues({ weekdays: ["monday:tuesday:friday"] }), [
      'intervals[0].weekdays[0]: weekday "monday:tuesday:friday" must be a day name or a range such as "monday:friday"',
    ]);
    assert.deepEqual(rangeIssues({ weekdays: [] }), [
      'intervals[0].weekdays: weekdays must list at least one value: leave "weekdays" out to match every day of the week',
    ]);
  });

  test("times: HH:MM, 24:00 only as an end, start before end", () => {
    assert.deepEqual(rangeIssues({ times: [{ start: "09:00", end: "25:00" }] }), [
      'intervals[0].times[0].end: end time "25:00" must be HH:MM from 00:01 to 24:00',
    ]);
    assert.deepEqual(rangeIssues({ times: [{ start: "24:00", end: "24:00" }] }), [
      'intervals[0].times[0].start: start time "24:00" must be HH:MM from 00:00 to 23:59',
    ]);
    assert.deepEqual(rangeIssues({ times: [{ start: "9:00", end: "17:60" }] }), [
      'intervals[0].times[0].start: start time "9:00" must be HH:MM from 00:00 to 23:59',
      'intervals[0].times[0].end: end time "17:60" must be HH:MM from 00:01 to 24:00',
    ]);
    assert.deepEqual(rangeIssues({ times: [{ start: "09:00", end: "17:00" }, { start: "22:00", end: "06:00" }] }), [
      'intervals[0].times[1].end: end time "06:00" must be after start time "22:00": a range cannot cross midnight, so write 22:00–24:00 and 00:00–06:00 as two time ranges',
    ]);
    assert.equal(rangeIssues({ times: [{ start: "10:00", end: "10:00" }] })[0]?.startsWith("intervals[0].times[0].end: end time \"10:00\" must be after"), true);
    assert.deepEqual(rangeIssues({ times: [{ start: "10:00" }] }), ["intervals[0].times[0].end: Invalid input: expected string, received undefined"]);
  });

  test("daysOfMonth: within -31..31, never 0, ranges in order", () => {
    const dayError = (path: string, day: string) =>
      `${path}: day of month "${day}" must be a whole number from 1 to 31, or -1 (the last day) to -31; 0 is not a day`;
    assert.deepEqual(rangeIssues({ daysOfMonth: ["0"] }), [dayError("intervals[0].daysOfMonth[0]", "0")]);
    assert.deepEqual(rangeIssues({ daysOfMonth: ["1", "32"] }), [dayError("intervals[0].daysOfMonth[1]", "32")]);
    assert.deepEqual(rangeIssues({ daysOfMonth: ["-32:-1"] }), [dayError("intervals[0].daysOfMonth[0]", "-32")]);
    assert.deepEqual(rangeIssues({ daysOfMonth: ["1.5"] }), [dayError("intervals[0].daysOfMonth[0]", "1.5")]);
    assert.deepEqual(rangeIssues({ daysOfMonth: ["5:1"] }), ['intervals[0].daysOfMonth[0]: day-of-month range "5:1" must not end before it starts']);
    assert.deepEqual(rangeIssues({ daysOfMonth: ["-1:-7"] }), ['intervals[0].daysOfMonth[0]: day-of-month range "-1:-7" must not end before it starts']);
    assert.match(rangeIssues({ daysOfMonth: ["-3:5"] })[0] ?? "", /^intervals\[0\]\.daysOfMonth\[0\]: day-of-month range "-3:5" starts from the month's end/);
  });

  test("months and years: names or numbers, ranges in order", () => {
    assert.deepEqual(rangeIssues({ months: ["13"] }), ['intervals[0].months[0]: unknown month "13": use january … december or 1 … 12']);
    assert.deepEqual(rangeIssues({ months: ["janvier"] }), ['intervals[0].months[0]: unknown month "janvier": use january … december or 1 … 12']);
    assert.deepEqual(rangeIssues({ months: ["november:february"] }), [
      'intervals[0].months[0]: month range "november:february" must not end before it starts: list "november:december" and "january:february"',
    ]);
    assert.deepEqual(rangeIssues({ months: ["december:1"] }), [
      'intervals[0].months[0]: month range "december:1" must not end before it starts: list "december" and "january"',
    ]);
    assert.deepEqual(rangeIssues({ years: ["26"] }), ['intervals[0].years[0]: year "26" must be a four-digit year such as "2026"']);
    assert.deepEqual(rangeIssues({ years: ["2027:2026"] }), ['intervals[0].years[0]: year range "2027:2026" must not end before it starts']);
  });

  test("one-off windows: an offset on both ends, start before end, nothing else alongside", () => {
    assert.deepEqual(rangeIssues({ start: "2026-03-01T10:00:00", end: "2026-03-01T12:00:00Z" }), [
      'intervals[0].start: start "2026-03-01T10:00:00" needs a UTC offset such as "+01:00" or "Z": a one-off window is an absolute instant',
    ]);
    assert.deepEqual(rangeIssues({ start: "yesterday", end: "2026-03-01T12:00:00Z" }), [
      'intervals[0].start: start "yesterday" is not an ISO-8601 date-time (e.g. "2026-03-01T22:00:00+01:00")',
    ]);
    assert.deepEqual(rangeIssues({ start: "2026-03-01T12:00:00+01:00", end: "2026-03-01T11:00:00Z" }), [
      "intervals[0].end: a one-off window must end after it starts",
    ]);
    assert.deepEqual(rangeIssues({ start: "2026-03-01T12:00:00Z" }), ['intervals[0].end: a one-off window needs both "start" and "end"; "end" is missing']);
    assert.deepEqual(rangeIssues({ start: "2026-03-01T10:00:00Z", end: "2026-03-01T12:00:00Z", weekdays: ["monday"] }), [
      'intervals[0].weekdays: "weekdays" cannot be combined with a one-off window: put the window ({ start, end }) in a time range of its own',
    ]);
  });

  test("unknown keys, empty intervals and duplicate names are rejected", () => {
    assert.deepEqual(rangeIssues({ weekday: ["monday"], days_of_month: ["1"] }), [
      'intervals[0]: unknown fields "weekday", "days_of_month": a time range has times, weekdays, daysOfMonth, months, years, start, end',
    ]);
    assert.deepEqual(issuesOf({ name: "x", intervals: [] }), ["intervals: intervals must list at least one time range ([{}] is always active)"]);
    assert.deepEqual(issuesOf({ name: "", intervals: [{}] }), ["name: time interval names must not be empty"]);
    assert.deepEqual(issuesOf({ name: "x", intervals: [{}], location: "UTC" }), ['(root): unknown field "location": a time interval has name, timeZone, intervals']);
    assert.deepEqual(rangeIssues({ times: [{ start: "10:00", end: "11:00", tz: "UTC" }] }), [
      'intervals[0].times[0]: unknown field "tz": a time of day has start, end',
    ]);
    const duplicate = timeIntervalsSchema.safeParse([{ name: "a", intervals: [{}] }, { name: "b", intervals: [{}] }, { name: "a", intervals: [{}] }]);
    assert.deepEqual(duplicate.error?.issues.map((issue) => `${jsonPath(issue.path)}: ${issue.message}`), ['[2].name: duplicate time interval name "a"']);
  });
});

describe("isActive: fields and how they combine", () => {
  test("an empty time range is always active", () => {
    const always = interval([{}]);
    assert.equal(activeAt(always, "2026-01-01T00:00:00Z"), true);
    assert.equal(activeAt(always, "1999-12-31T23:59:59.999Z"), true);
  });

  test("weekdays: lists and ranges", () => {
    const weekend = interval([{ weekdays: ["saturday", "sunday"] }]);
    const midweek = interval([{ weekdays: ["tuesday:thursday"] }]);
    // 2026-01-05 is a Monday.
    const days = ["05", "06", "07", "08", "09", "10", "11"].map((d) => `2026-01-${d}T12:00:00Z`);
    assert.deepEqual(days.map((d) => activeAt(weekend, d)), [false, false, false, false, false, true, true]);
    assert.deepEqual(days.map((d) => activeAt(midweek, d)), [false, true, true, true, false, false, false]);
  });

  test("times: half-open [start, end), with 24:00 reaching midnight", () => {
    const office = interval([{ times: [{ start: "09:00", end: "17:00" }] }]);
    assert.equal(activeAt(office, "2026-01-05T08:59:59.999Z"), false);
    assert.equal(activeAt(office, "2026-01-05T09:00:00Z"), true);
    assert.equal(activeAt(office, "2026-01-05T16:59:59.999Z"), true);
    assert.equal(activeAt(office, "2026-01-05T17:00:00Z"), false);
    const late = interval([{ times: [{ start: "23:00", end: "24:00" }] }]);
    assert.equal(activeAt(late, "2026-01-05T23:59:59.999Z"), true);
    assert.equal(activeAt(late, "2026-01-06T00:00:00Z"), false);
    const twoShifts = interval([{ times: [{ start: "06:00", end: "08:00" }, { start: "18:00", end: "20:00" }] }]);
    assert.deepEqual(["05:00", "07:00", "12:00", "19:00", "21:00"].map((t) => activeAt(twoShifts, `2026-01-05T${t}:00Z`)), [false, true, false, true, false]);
  });

  test("daysOfMonth: positive days, -1 as the last day whatever the month's length, ranges from the end", () => {
    const lastDay = interval([{ daysOfMonth: ["-1"] }]);
    assert.equal(activeAt(lastDay, "2026-02-28T12:00:00Z"), true);
    assert.equal(activeAt(lastDay, "2028-02-28T12:00:00Z"), false);
    assert.equal(activeAt(lastDay, "2028-02-29T12:00:00Z"), true);
    assert.equal(activeAt(lastDay, "2026-04-30T12:00:00Z"), true);
    assert.equal(activeAt(lastDay, "2026-05-30T12:00:00Z"), false);
    const lastWeek = interval([{ daysOfMonth: ["-7:-1"] }]);
    assert.equal(activeAt(lastWeek, "2026-02-21T12:00:00Z"), false);
    assert.equal(activeAt(lastWeek, "2026-02-22T00:00:00Z"), true);
    assert.equal(activeAt(lastWeek, "2026-03-24T23:59:00Z"), false);
    assert.equal(activeAt(lastWeek, "2026-03-25T00:00:00Z"), true);
    const firstAndSecondHalf = interval([{ daysOfMonth: ["1:3", "15:-1"] }]);
    assert.deepEqual(["01", "03", "04", "14", "15", "31"].map((d) => activeAt(firstAndSecondHalf, `2026-01-${d}T12:00:00Z`)), [true, true, false, false, true, true]);
    const the31st = interval([{ daysOfMonth: ["31"] }]);
    assert.equal(activeAt(the31st, "2026-03-31T12:00:00Z"), true);
    assert.equal(activeAt(the31st, "2026-04-30T12:00:00Z"), false, "April has no 31st: it does not spill into May");
    assert.equal(activeAt(the31st, "2026-05-01T12:00:00Z"), false);
  });

  test("months and years: names, numbers, ranges", () => {
    const winter = interval([{ months: ["december", "1:2"] }]);
    assert.deepEqual(["01", "02", "03", "11", "12"].map((m) => activeAt(winter, `2026-${m}-10T12:00:00Z`)), [true, true, false, false, true]);
    const q1 = interval([{ months: ["January:March"] }]);
    assert.equal(activeAt(q1, "2026-03-31T23:59:00Z"), true);
    assert.equal(activeAt(q1, "2026-04-01T00:00:00Z"), false);
    const years = interval([{ years: ["2026:2027", "2030"] }]);
    assert.deepEqual(["2025", "2026", "2027", "2028", "2030"].map((y) => activeAt(years, `${y}-06-01T00:00:00Z`)), [false, true, true, false, true]);
  });

  test("every field in one time range must match (AND)", () => {
    const mondayMornings = interval([{ weekdays: ["monday"], times: [{ start: "09:00", end: "12:00" }], months: ["january"] }]);
    assert.equal(activeAt(mondayMornings, "2026-01-05T10:00:00Z"), true);
    assert.equal(activeAt(mondayMornings, "2026-01-06T10:00:00Z"), false, "Tuesday");
    assert.equal(activeAt(mondayMornings, "2026-01-05T13:00:00Z"), false, "afternoon");
    assert.equal(activeAt(mondayMornings, "2026-02-02T10:00:00Z"), false, "February");
  });

  test("any time range in the list may match (OR)", () => {
    const either = interval([{ weekdays: ["saturday:sunday"] }, { daysOfMonth: ["1"], times: [{ start: "00:00", end: "01:00" }] }]);
    assert.equal(activeAt(either, "2026-01-10T15:00:00Z"), true, "a Saturday");
    assert.equal(activeAt(either, "2026-01-01T00:30:00Z"), true, "first of the month, first hour");
    assert.equal(activeAt(either, "2026-01-01T01:30:00Z"), false);
    assert.equal(activeAt(either, "2026-01-07T00:30:00Z"), false);
  });

  test("one-off windows: absolute, half-open, whatever the interval's zone, ORed with recurring ranges", () => {
    const maintenance = interval(
      [{ start: "2026-03-10T22:00:00+01:00", end: "2026-03-11T01:30:00+01:00" }, { weekdays: ["sunday"], times: [{ start: "03:00", end: "04:00" }] }],
      "Pacific/Auckland",
    );
    assert.equal(activeAt(maintenance, "2026-03-10T20:59:59.999Z"), false);
    assert.equal(activeAt(maintenance, "2026-03-10T21:00:00Z"), true);
    assert.equal(activeAt(maintenance, "2026-03-11T00:29:59Z"), true);
    assert.equal(activeAt(maintenance, "2026-03-11T00:30:00Z"), false);
    // Sunday 03:00 in Auckland (UTC+13 in March) is Saturday 14:00Z.
    assert.equal(activeAt(maintenance, "2026-03-14T14:30:00Z"), true);
    assert.equal(activeAt(maintenance, "2026-03-15T03:30:00Z"), false, "03:30Z on Sunday is Sunday afternoon in Auckland");
  });

  test("an unknown name throws a typed error; names() and has() list the definitions", () => {
    const intervals = compileTimeIntervals([parse({ name: "weekends", intervals: [{ weekdays: ["saturday:sunday"] }] }), parse({ name: "nights", intervals: EVERY_NIGHT })]);
    assert.deepEqual(intervals.names(), ["weekends", "nights"]);
    assert.equal(intervals.has("nights"), true);
    assert.equal(intervals.has("holidays"), false);
    assert.throws(
      () => intervals.isActive("holidays", ms("2026-01-01T00:00:00Z")),
      (error: unknown) =>
        error instanceof UnknownTimeIntervalError &&
        error instanceof AppError &&
        !error.retryable &&
        error.intervalName === "holidays" &&
        error.message === 'unknown time interval "holidays" (known: weekends, nights)',
    );
    assert.throws(() => intervals.nextChangeMs("holidays", 0), UnknownTimeIntervalError);
    assert.throws(() => intervals.isActive("nights", Number.NaN), RangeError);
  });

  test("compiling rejects what the schema would have: duplicate names, unknown zones", () => {
    const def = parse({ name: "a", intervals: [{}] });
    assert.throws(() => compileTimeIntervals([def, def]), (error: unknown) => error instanceof InvalidTimeIntervalError && /"a": defined twice/.test(error.message));
    assert.throws(() => compileTimeIntervals([{ ...def, timeZone: "Nowhere/Else" }]), InvalidTimeIntervalError);
    assert.deepEqual(compileTimeIntervals([]).names(), []);
  });
});

describe("isActive: time zones", () => {
  test("wall-clock fields are read in the interval's zone", () => {
    const office = [{ times: [{ start: "09:00", end: "17:00" }] }];
    const berlin = interval(office, "Europe/Berlin");
    const utc = interval(office);
    assert.equal(activeAt(berlin, "2026-01-15T08:30:00Z"), true, "09:30 in Berlin");
    assert.equal(activeAt(utc, "2026-01-15T08:30:00Z"), false);
    assert.equal(activeAt(berlin, "2026-01-15T16:30:00Z"), false, "17:30 in Berlin");
    assert.equal(activeAt(utc, "2026-01-15T16:30:00Z"), true);
  });

  test("the local date decides weekday and day of month", () => {
    const weekend = interval([{ weekdays: ["saturday:sunday"] }], "Europe/Berlin");
    assert.equal(activeAt(weekend, "2026-01-16T22:59:59Z"), false, "Friday 23:59:59 in Berlin");
    assert.equal(activeAt(weekend, "2026-01-16T23:00:00Z"), true, "Saturday 00:00 in Berlin, still Friday in UTC");
    const lastDay = interval([{ daysOfMonth: ["-1"] }], "Asia/Kolkata");
    assert.equal(activeAt(lastDay, "2026-01-31T18:29:00Z"), true, "23:59 on 31 January in Kolkata");
    assert.equal(activeAt(lastDay, "2026-01-31T18:30:00Z"), false, "already 1 February in Kolkata");
  });

  test("Asia/Kolkata (UTC+05:30, no DST): 09:00–17:00 is 03:30Z–11:30Z in winter and summer alike", () => {
    const office = interval([{ weekdays: ["monday:friday"], times: [{ start: "09:00", end: "17:00" }] }], "Asia/Kolkata");
    assert.deepEqual(activeSpans(office, "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z"), [
      ["2026-01-09T03:30:00Z", "2026-01-09T11:30:00Z"],
      ["2026-01-12T03:30:00Z", "2026-01-12T11:30:00Z"],
    ]);
    assert.deepEqual(activeSpans(office, "2026-07-10T00:00:00Z", "2026-07-14T00:00:00Z"), [
      ["2026-07-10T03:30:00Z", "2026-07-10T11:30:00Z"],
      ["2026-07-13T03:30:00Z", "2026-07-13T11:30:00Z"],
    ]);
  });
});

describe("isActive across DST changes (2026)", () => {
  test("Europe/Berlin business hours stay 09:00–17:00 local: 08:00Z in winter, 07:00Z in summer", () => {
    const office = interval([{ weekdays: ["monday:friday"], times: [{ start: "09:00", end: "17:00" }] }], "Europe/Berlin");
    assert.deepEqual(activeSpans(office, "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z"), [
      ["2026-03-27T08:00:00Z", "2026-03-27T16:00:00Z"],
      ["2026-03-30T07:00:00Z", "2026-03-30T15:00:00Z"],
    ]);
    assert.deepEqual(activeSpans(office, "2026-10-23T00:00:00Z", "2026-10-27T00:00:00Z"), [
      ["2026-10-23T07:00:00Z", "2026-10-23T15:00:00Z"],
      ["2026-10-26T08:00:00Z", "2026-10-26T16:00:00Z"],
    ]);
  });

  test("Europe/Berlin weekday nights (22:00–24:00 + 00:00–06:00, monday:friday) around 29 March and 25 October", () => {
    const nights = interval(WEEKDAY_NIGHTS, "Europe/Berlin");
    // Friday 22:00 CET is 21:00Z; the mute stops at Saturday 00:00 (not a weekday) and resumes Monday 00:00 CEST.
    assert.deepEqual(activeSpans(nights, "2026-03-27T12:00:00Z", "2026-03-30T12:00:00Z"), [
      ["2026-03-27T21:00:00Z", "2026-03-27T23:00:00Z"],
      ["2026-03-29T22:00:00Z", "2026-03-30T04:00:00Z"],
    ]);
    assert.deepEqual(activeSpans(nights, "2026-10-23T12:00:00Z", "2026-10-26T12:00:00Z"), [
      ["2026-10-23T20:00:00Z", "2026-10-23T22:00:00Z"],
      ["2026-10-25T23:00:00Z", "2026-10-26T05:00:00Z"],
    ]);
  });

  test("Europe/Berlin every night 22:00–06:00: 7 real hours on the spring-forward night, 9 on the fall-back night", () => {
    const nights = interval(EVERY_NIGHT, "Europe/Berlin");
    assert.deepEqual(activeSpans(nights, "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"), [["2026-03-28T21:00:00Z", "2026-03-29T04:00:00Z"]]);
    assert.deepEqual(activeSpans(nights, "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z"), [["2026-10-24T20:00:00Z", "2026-10-25T05:00:00Z"]]);
  });

  test("Europe/Berlin daily 02:00–03:00: skipped on 29 March, active twice (2 real hours) on 25 October", () => {
    const twoAm = interval([{ times: [{ start: "02:00", end: "03:00" }] }], "Europe/Berlin");
    assert.deepEqual(activeSpans(twoAm, "2026-03-27T12:00:00Z", "2026-03-31T00:00:00Z"), [
      ["2026-03-28T01:00:00Z", "2026-03-28T02:00:00Z"],
      ["2026-03-30T00:00:00Z", "2026-03-30T01:00:00Z"],
    ]);
    assert.equal(activeAt(twoAm, "2026-03-29T00:59:59.999Z"), false, "01:59:59.999 CET");
    assert.equal(activeAt(twoAm, "2026-03-29T01:00:00Z"), false, "the next instant is 03:00 CEST");
    assert.deepEqual(activeSpans(twoAm, "2026-10-23T12:00:00Z", "2026-10-27T00:00:00Z"), [
      ["2026-10-24T00:00:00Z", "2026-10-24T01:00:00Z"],
      ["2026-10-25T00:00:00Z", "2026-10-25T02:00:00Z"],
      ["2026-10-26T01:00:00Z", "2026-10-26T02:00:00Z"],
    ]);
  });

  test("America/New_York weekday nights around 8 March and 1 November", () => {
    const nights = interval(WEEKDAY_NIGHTS, "America/New_York");
    assert.deepEqual(activeSpans(nights, "2026-03-06T12:00:00Z", "2026-03-09T16:00:00Z"), [
      ["2026-03-07T03:00:00Z", "2026-03-07T05:00:00Z"],
      ["2026-03-09T04:00:00Z", "2026-03-09T10:00:00Z"],
    ]);
    assert.deepEqual(activeSpans(nights, "2026-10-30T16:00:00Z", "2026-11-02T16:00:00Z"), [
      ["2026-10-31T02:00:00Z", "2026-10-31T04:00:00Z"],
      ["2026-11-02T05:00:00Z", "2026-11-02T11:00:00Z"],
    ]);
  });

  test("America/New_York every night 22:00–06:00: 7 real hours on 7→8 March, 9 on 31 October→1 November", () => {
    const nights = interval(EVERY_NIGHT, "America/New_York");
    assert.deepEqual(activeSpans(nights, "2026-03-07T12:00:00Z", "2026-03-08T16:00:00Z"), [["2026-03-08T03:00:00Z", "2026-03-08T10:00:00Z"]]);
    assert.deepEqual(activeSpans(nights, "2026-10-31T12:00:00Z", "2026-11-01T16:00:00Z"), [["2026-11-01T02:00:00Z", "2026-11-01T11:00:00Z"]]);
  });

  test("America/New_York daily 02:00–03:00 is skipped on 8 March; on 1 November 01:00–02:00 repeats instead", () => {
    const twoAm = interval([{ times: [{ start: "02:00", end: "03:00" }] }], "America/New_York");
    assert.deepEqual(activeSpans(twoAm, "2026-03-06T12:00:00Z", "2026-03-10T00:00:00Z"), [
      ["2026-03-07T07:00:00Z", "2026-03-07T08:00:00Z"],
      ["2026-03-09T06:00:00Z", "2026-03-09T07:00:00Z"],
    ]);
    // 02:00 EST happens once (07:00Z): only 01:00–02:00 is repeated in New York.
    assert.deepEqual(activeSpans(twoAm, "2026-10-30T12:00:00Z", "2026-11-03T00:00:00Z"), [
      ["2026-10-31T06:00:00Z", "2026-10-31T07:00:00Z"],
      ["2026-11-01T07:00:00Z", "2026-11-01T08:00:00Z"],
      ["2026-11-02T07:00:00Z", "2026-11-02T08:00:00Z"],
    ]);
    const oneAm = interval([{ times: [{ start: "01:00", end: "02:00" }] }], "America/New_York");
    assert.deepEqual(activeSpans(oneAm, "2026-11-01T00:00:00Z", "2026-11-01T12:00:00Z"), [["2026-11-01T05:00:00Z", "2026-11-01T07:00:00Z"]]);
    assert.deepEqual(activeSpans(oneAm, "2026-03-08T00:00:00Z", "2026-03-08T12:00:00Z"), [["2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z"]]);
  });
});

describe("nextChangeMs", () => {
  test("finds the end of a fall-back mute after the repeated hour, not at its first 03:00", () => {
    const twoAm = interval([{ times: [{ start: "02:00", end: "03:00" }] }], "Europe/Berlin");
    assert.equal(iso(twoAm.nextChangeMs("x", ms("2026-10-25T00:30:00Z")) as number), "2026-10-25T02:00:00Z");
    assert.equal(iso(twoAm.nextChangeMs("x", ms("2026-10-25T01:00:00Z")) as number), "2026-10-25T02:00:00Z");
  });

  test("steps over the spring-forward day that has no 02:00", () => {
    const twoAm = interval([{ times: [{ start: "02:00", end: "03:00" }] }], "Europe/Berlin");
    assert.equal(iso(twoAm.nextChangeMs("x", ms("2026-03-28T02:00:00Z")) as number), "2026-03-30T00:00:00Z");
  });

  test("from Friday evening to Monday 09:00 across the spring change", () => {
    const office = interval([{ weekdays: ["monday:friday"], times: [{ start: "09:00", end: "17:00" }] }], "Europe/Berlin");
    assert.equal(iso(office.nextChangeMs("x", ms("2026-03-27T16:00:00Z")) as number), "2026-03-30T07:00:00Z");
    assert.equal(iso(office.nextChangeMs("x", ms("2026-03-30T07:00:00Z")) as number), "2026-03-30T15:00:00Z");
    assert.equal(office.isActive("x", ms("2026-03-30T07:00:00Z")), true, "the change instant already has the new answer");
  });

  test("ends a one-off window at its exact instant, even mid-minute", () => {
    const release = interval([{ start: "2026-03-10T12:00:00Z", end: "2026-03-10T12:45:30.250Z" }], "America/New_York");
    assert.equal(release.nextChangeMs("x", ms("2026-03-10T11:00:00Z")), ms("2026-03-10T12:00:00Z"));
    assert.equal(release.nextChangeMs("x", ms("2026-03-10T12:00:00Z")), ms("2026-03-10T12:45:30.250Z"));
    assert.equal(release.nextChangeMs("x", ms("2026-03-10T12:45:30.250Z")), undefined);
  });

  test("an overlapping window and recurring range change together only when both are over", () => {
    const mute = interval([{ start: "2026-03-10T15:00:00Z", end: "2026-03-10T18:00:00Z" }, { times: [{ start: "16:00", end: "20:00" }] }]);
    assert.deepEqual(activeSpans(mute, "2026-03-10T12:00:00Z", "2026-03-11T00:00:00Z"), [["2026-03-10T15:00:00Z", "2026-03-10T20:00:00Z"]]);
  });

  test("undefined when nothing changes within the horizon; 8 days by default, up to 366", () => {
    assert.equal(interval([{}]).nextChangeMs("x", ms("2026-01-01T00:00:00Z")), undefined);
    assert.equal(interval([{ years: ["2020"] }]).nextChangeMs("x", ms("2026-01-01T00:00:00Z")), undefined);
    const december = interval([{ months: ["december"] }], "Europe/Berlin");
    const from = ms("2026-11-20T00:00:00Z");
    assert.equal(december.nextChangeMs("x", from), undefined, "11 days away, past the 8-day default");
    assert.equal(iso(december.nextChangeMs("x", from, 15 * DAY) as number), "2026-11-30T23:00:00Z");
    assert.equal(december.nextChangeMs("x", from, 10 * DAY + 23 * HOUR - 1), undefined);
    assert.equal(december.nextChangeMs("x", from, 10 * DAY + 23 * HOUR), ms("2026-11-30T23:00:00Z"), "the horizon's end is included");
    assert.equal(iso(interval([{ years: ["2027"] }]).nextChangeMs("x", ms("2026-01-01T00:00:00Z"), 366 * DAY) as number), "2027-01-01T00:00:00Z");
    assert.equal(december.nextChangeMs("x", from, 0), undefined);
    assert.throws(() => december.nextChangeMs("x", from, 367 * DAY), RangeError);
    assert.throws(() => december.nextChangeMs("x", from, -1), RangeError);
  });

  test("agrees with a minute-by-minute scan in zones with DST, half-hour DST and midnight changes", () => {
    const shapes: TimeIntervalConfig["intervals"][] = [
      WEEKDAY_NIGHTS,
      [{ times: [{ start: "00:00", end: "00:30" }, { start: "01:30", end: "02:15" }, { start: "23:45", end: "24:00" }] }],
      [{ weekdays: ["sunday"] }, { daysOfMonth: ["-1"], times: [{ start: "12:00", end: "13:00" }] }],
    ];
    const cases = [
      { timeZone: "Europe/Berlin", from: "2026-03-27T00:00:00Z", to: "2026-03-31T00:00:00Z" },
      { timeZone: "America/New_York", from: "2026-10-30T00:00:00Z", to: "2026-11-03T00:00:00Z" },
      // Lord Howe moves its clocks by 30 minutes; Havana changes at midnight.
      { timeZone: "Australia/Lord_Howe", from: "2026-04-02T00:00:00Z", to: "2026-04-06T00:00:00Z" },
      { timeZone: "America/Havana", from: "2026-03-06T00:00:00Z", to: "2026-03-10T00:00:00Z" },
      { timeZone: "Asia/Kolkata", from: "2026-02-27T00:00:00Z", to: "2026-03-03T00:00:00Z" },
    ];
    for (const { timeZone, from, to } of cases) {
      for (const shape of shapes) {
        const intervals = interval(shape, timeZone);
        const spans = activeSpans(intervals, from, to);
        assert.ok(spans.length > 0, `${timeZone}: expected some activity`);
        assert.deepEqual(spans, activeSpansByMinute(intervals, from, to), `${timeZone} ${JSON.stringify(shape)}`);
      }
    }
  });
});
