import { DateTime, IANAZone } from "luxon";
import { formatDuration } from "../../core/duration.js";
import { formatIssue } from "../../core/errors.js";
import { instantOfWall, loadSchedules, onCallAt, parseLocalDateTime, shifts, type Schedule, type User } from "../../schedules/index.js";
import type { Output } from "../output.js";

/** `--from/--to` spans at most this much, so that a typo in a year does not list a century of hourly shifts. */
const MAX_RANGE_MS = 366 * 86_400_000;

const HAS_OFFSET = /T.*(?:Z|[+-]\d{2}(?::?\d{2})?)$/i;

/**
 * An instant from the command line: ISO with an offset ("2026-03-29T12:00:00Z") is exact; a local date or
 * date-time without one ("2026-03-29", "2026-03-29T14:00") is read on the clocks of `zone`, as rotation starts are.
 */
function parseInstant(text: string, zone: string): number | undefined {
  if (HAS_OFFSET.test(text)) {
    const parsed = DateTime.fromISO(text, { setZone: true });
    return parsed.isValid ? parsed.toMillis() : undefined;
  }
  const wallMs = parseLocalDateTime(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00` : text);
  return typeof wallMs === "number" ? instantOfWall(IANAZone.create(zone), wallMs) : undefined;
}

const utc = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");
const local = (ms: number, zone: string): string => DateTime.fromMillis(ms, { zone }).setLocale("en-US").toFormat("ccc yyyy-MM-dd HH:mm ZZ");
const both = (ms: number, zone: string): string => `${utc(ms)} = ${local(ms, zone)} ${zone}`;

function who(id: string, users: ReadonlyMap<string, User>): string {
  const user = users.get(id);
  return user ? `${user.name} (${id})` : id;
}

/**
 * `klaxon oncall <schedule> [--at ISO]`: who is on call and until when. `--from ISO --to ISO` lists the shifts in
 * that range instead. Times are printed as exact UTC instants and on the local clock of `--zone` (default: the
 * schedule's time zone); times given without an offset are read in that zone too.
 */
export async function oncallCommand(
  scheduleId: string,
  options: { rules: string; at?: string; from?: string; to?: string; zone?: string },
  out: Output,
): Promise<number> {
  if (options.zone !== undefined && !IANAZone.isValidZone(options.zone)) {
    out.err(`error: unknown time zone "${options.zone}": use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC"`);
    return 1;
  }
  const ranged = options.from !== undefined || options.to !== undefined;
  if (ranged && options.at !== undefined) {
    out.err("error: use either --at or --from/--to, not both");
    return 1;
  }
  if (ranged && (options.from === undefined || options.to === undefined)) {
    out.err("error: --from and --to go together: give both to list shifts");
    return 1;
  }

  const { users, schedules, issues } = await loadSchedules(options.rules);
  if (issues.length > 0) {
    for (const issue of issues) out.err(`error: ${formatIssue(issue)}`);
    return 1;
  }
  const schedule = schedules.find((s) => s.id === scheduleId);
  if (!schedule) {
    const known = schedules.map((s) => s.id);
    out.err(`error: unknown schedule "${scheduleId}" (${known.length === 0 ? `no schedules in ${options.rules}/schedules` : `known: ${known.join(", ")}`})`);
    return 1;
  }
  const zone = options.zone ?? schedule.timeZone;
  const usersById = new Map(users.map((user) => [user.id, user]));

  const instant = (flag: string, text: string): number | undefined => {
    const ms = parseInstant(text, zone);
    if (ms === undefined) out.err(`error: ${flag} "${text}" is not a date-time: use ISO 8601 with an offset ("2026-03-29T12:00:00Z") or a local time in ${zone} ("2026-03-29T14:00")`);
    return ms;
  };

  if (ranged) {
    const fromMs = instant("--from", options.from as string);
    const toMs = instant("--to", options.to as string);
    if (fromMs === undefined || toMs === undefined) return 1;
    if (toMs <= fromMs || toMs - fromMs > MAX_RANGE_MS) {
      out.err(`error: --to must be after --from, by at most 366 days (got ${utc(fromMs)} to ${utc(toMs)})`);
      return 1;
    }
    printShifts(schedule, fromMs, toMs, zone, usersById, out);
    return 0;
  }

  // The edge of the program: without --at, "now" is the wall clock.
  const atMs = options.at === undefined ? Date.now() : instant("--at", options.at);
  if (atMs === undefined) return 1;
  printOnCall(schedule, atMs, zone, usersById, out);
  return 0;
}

function printOnCall(schedule: Schedule, atMs: number, zone: string, users: ReadonlyMap<string, User>, out: Output): void {
  const onCall = onCallAt(schedule, atMs);
  out.log(`${schedule.id} (${schedule.name}) at ${both(atMs, zone)}`);
  const [user] = onCall.users;
  if (user === undefined || onCall.shiftStartMs === undefined || onCall.shiftEndMs === undefined) {
    out.log("on call: nobody");
    return;
  }
  let source = `layer "${onCall.layer}"`;
  if (onCall.overrideIndex !== undefined) {
    const reason = schedule.overrides[onCall.overrideIndex]?.reason;
    source = `override #${onCall.overrideIndex}${reason === undefined ? "" : ` (${reason})`}`;
  }
  out.log(`on call: ${who(user, users)}, ${source}`);
  out.log(`  from  ${both(onCall.shiftStartMs, zone)}`);
  out.log(`  until ${both(onCall.shiftEndMs, zone)}  (${formatDuration(onCall.shiftEndMs - onCall.shiftStartMs)})`);
}

function printShifts(schedule: Schedule, fromMs: number, toMs: number, zone: string, users: ReadonlyMap<string, User>, out: Output): void {
  const list = shifts(schedule, fromMs, toMs);
  out.log(`${schedule.id} (${schedule.name}): shifts from ${utc(fromMs)} until ${utc(toMs)}, local times in ${zone}`);
  if (list.length === 0) out.log("nobody is on call in this range");
  for (const shift of list) {
    out.log(
      `${utc(shift.startMs)} – ${utc(shift.endMs)}  ${local(shift.startMs, zone)} – ${local(shift.endMs, zone)}  ` +
        `${formatDuration(shift.endMs - shift.startMs).padEnd(6)}  ${who(shift.user, users)}, ${shift.override ? "override" : `layer "${shift.layer}"`}`,
    );
  }
}
