import { basename } from "node:path";
import type { ValidationIssue } from "../core/errors.js";
import { parseJsonText, zodIssues } from "../rules/loader.js";
import { formatClock, formatMsOfDay, msOfDay } from "./fields.js";
import { instantOfWall, wallExists, wallOf, zoneOf } from "./local-time.js";
import { scheduleSchema, type Schedule } from "./schedule.schema.js";
import { usersFileSchema, type UsersFile } from "./users.schema.js";

/** Where the files live inside the rules directory. */
export const USERS_FILE = "users/users.json";
export const SCHEDULES_DIR = "schedules";

export interface LoadedUsers extends UsersFile {
  readonly file: string;
}

export interface LoadedSchedule {
  readonly file: string;
  readonly schedule: Schedule;
}

/** Validate the users file's text. Pure: no I/O. */
export function parseUsersFile(file: string, text: string): { users?: LoadedUsers; issues: ValidationIssue[] } {
  const json = parseJsonText(file, text);
  if ("issue" in json) return { issues: [json.issue] };
  const parsed = usersFileSchema.safeParse(json.value);
  if (!parsed.success) return { issues: zodIssues(file, parsed.error) };
  return { users: { file, ...parsed.data }, issues: [] };
}

/** Validate one schedule file's text; its name must be `<id>.json`. Pure: no I/O. */
export function parseScheduleFile(file: string, text: string): { schedule?: LoadedSchedule; issues: ValidationIssue[] } {
  const json = parseJsonText(file, text);
  if ("issue" in json) return { issues: [json.issue] };
  const parsed = scheduleSchema.safeParse(json.value);
  if (!parsed.success) return { issues: zodIssues(file, parsed.error) };
  const schedule = parsed.data;
  if (basename(file) !== `${schedule.id}.json`) {
    return { issues: [{ file, path: "id", message: `schedule "${schedule.id}" must be in a file named ${schedule.id}.json, so that it can be found by its id` }] };
  }
  return { schedule: { file, schedule }, issues: [] };
}

/**
 * Checks that need more than one file, or the time zone: user ids unique, schedule ids unique, every rotation
 * participant and override user a known user, rotation starts that exist on the local clock, restriction windows
 * that are not empty.
 */
export function crossCheckSchedules(users: LoadedUsers | undefined, schedules: readonly LoadedSchedule[]): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const known = new Set<string>();
  users?.users.forEach((user, i) => {
    if (known.has(user.id)) issues.push({ file: users.file, path: `users[${i}].id`, message: `duplicate user id "${user.id}"` });
    known.add(user.id);
  });
  const knownText = known.size === 0 ? `no users are defined in ${USERS_FILE}` : `known users: ${[...known].join(", ")}`;
  const checkUser = (file: string, path: string, id: string): void => {
    if (!known.has(id)) issues.push({ file, path, message: `unknown user "${id}" (${knownText})` });
  };

  const firstFile = new Map<string, string>();
  for (const { file, schedule } of schedules) {
    const first = firstFile.get(schedule.id);
    if (first !== undefined) issues.push({ file, path: "id", message: `duplicate schedule id "${schedule.id}" (also defined in ${first})` });
    else firstFile.set(schedule.id, file);

    const zone = zoneOf(schedule.timeZone);
    schedule.layers.forEach((layer, i) => {
      const { rotation } = layer;
      rotation.participants.forEach((id, j) => checkUser(file, `layers[${i}].rotation.participants[${j}]`, id));
      if (!wallExists(zone, rotation.startWallMs)) {
        const jumpMs = instantOfWall(zone, rotation.startWallMs);
        const fromText = formatMsOfDay(msOfDay(wallOf(zone, jumpMs - 1) + 1));
        const toText = formatMsOfDay(msOfDay(wallOf(zone, jumpMs)));
        issues.push({
          file,
          path: `layers[${i}].rotation.start`,
          message: `start "${rotation.start}" does not exist in ${schedule.timeZone}: the clocks jump from ${fromText} to ${toText} that day; pick a time outside the gap`,
        });
      }
      layer.restrictions?.forEach((restriction, j) => {
        if (restriction.startMinute === restriction.endMinute) {
          issues.push({
            file,
            path: `layers[${i}].restrictions[${j}].end`,
            message: `the window from ${formatClock(restriction.startMinute)} to ${formatClock(restriction.endMinute)} is empty: for a whole day write "00:00" to "24:00", or leave "restrictions" out`,
          });
        }
      });
    });
    schedule.overrides.forEach((override, i) => checkUser(file, `overrides[${i}].user`, override.user));
  }
  return issues;
}
