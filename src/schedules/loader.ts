import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { ValidationIssue } from "../core/errors.js";
import { listJsonFiles } from "../rules/loader.js";
import { crossCheckSchedules, parseScheduleFile, parseUsersFile, SCHEDULES_DIR, USERS_FILE, type LoadedSchedule, type LoadedUsers } from "./loader-pure.js";
import type { Schedule } from "./schedule.schema.js";
import type { User } from "./users.schema.js";

export interface ScheduleSet {
  users: User[];
  schedules: Schedule[];
  issues: ValidationIssue[];
}

async function readIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Read `<rulesDir>/users/users.json` and every `<rulesDir>/schedules/*.json`, validate them and check them against
 * each other. Without a users file there are no users (and any schedule naming one is an error). A file with
 * errors contributes nothing; the schedules are sorted by id.
 */
export async function loadSchedules(rulesDir: string): Promise<ScheduleSet> {
  const issues: ValidationIssue[] = [];
  const usersFile = join(rulesDir, USERS_FILE);
  let users: LoadedUsers | undefined;
  const usersText = await readIfExists(usersFile);
  if (usersText !== undefined) {
    const parsed = parseUsersFile(usersFile, usersText);
    users = parsed.users;
    issues.push(...parsed.issues);
  }
  for (const file of await listJsonFiles(dirname(usersFile))) {
    if (file !== usersFile) issues.push({ file, path: "", message: `users live in ${USERS_FILE} alone; merge this file into it` });
  }

  const loaded: LoadedSchedule[] = [];
  for (const file of await listJsonFiles(join(rulesDir, SCHEDULES_DIR))) {
    const parsed = parseScheduleFile(file, await readFile(file, "utf8"));
    if (parsed.schedule) loaded.push(parsed.schedule);
    issues.push(...parsed.issues);
  }
  issues.push(...crossCheckSchedules(users, loaded));
  const schedules = loaded.map((l) => l.schedule).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { users: [...(users?.users ?? [])], schedules, issues };
}
