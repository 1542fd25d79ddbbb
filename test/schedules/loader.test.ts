import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  crossCheckSchedules,
  loadSchedules,
  parseScheduleFile,
  parseUsersFile,
  type LoadedSchedule,
  type LoadedUsers,
} from "../../src/schedules/index.js";

const USERS = "rules/users/users.json";

const user = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  name: `${id} Example`,
  timeZone: "Europe/Berlin",
  contacts: { slack: "U012ABCDEF", email: `${id}@example.com`, phone: "+4915112345678" },
  notificationRules: [{ channel: "slack", after: "0m" }],
  ...extra,
});

const scheduleJson = (extra: Record<string, unknown> = {}) => ({
  id: "ops",
  version: 1,
  name: "Ops",
  timeZone: "Europe/Berlin",
  layers: [{ name: "weekly", rotation: { participants: ["alice", "bob"], start: "2026-01-05T09:00:00", shift: "1w" } }],
  ...extra,
});

/** The issues of a users file as "path: message" lines. */
function usersIssues(value: unknown): string[] {
  const { users, issues } = parseUsersFile(USERS, typeof value === "string" ? value : JSON.stringify(value));
  for (const issue of issues) assert.equal(issue.file, USERS);
  assert.equal(users === undefined, issues.length > 0);
  return issues.map((i) => `${i.path}: ${i.message}`);
}

/** The issues of a schedule file (named after its id) as "path: message" lines. */
function scheduleIssues(value: unknown, file = "rules/schedules/ops.json"): string[] {
  const { schedule, issues } = parseScheduleFile(file, typeof value === "string" ? value : JSON.stringify(value));
  for (const issue of issues) assert.equal(issue.file, file);
  assert.equal(schedule === undefined, issues.length > 0);
  return issues.map((i) => `${i.path}: ${i.message}`);
}

/** Cross-check issues for users alice and bob (unless given) and these schedules, as "file path: message". */
function crossIssues(schedules: unknown[], userIds = ["alice", "bob"]): string[] {
  const users = parseUsersFile(USERS, JSON.stringify({ version: 1, users: userIds.map((id) => user(id)) })).users as LoadedUsers;
  const loaded = schedules.map((value, i) => {
    const id = (value as { id: string }).id;
    const file = i === 0 ? `rules/schedules/${id}.json` : `rules/schedules/team-${i}/${id}.json`;
    const parsed = parseScheduleFile(file, JSON.stringify(value));
    assert.deepEqual(parsed.issues, []);
    return parsed.schedule as LoadedSchedule;
  });
  return crossCheckSchedules(users, loaded).map((i) => `${i.file} ${i.path}: ${i.message}`);
}

describe("parseUsersFile", () => {
  test("the shipped users file: ids, contacts and notification rules sorted by delay, in ms", async () => {
    const { users, issues } = parseUsersFile(USERS, await readFile(USERS, "utf8"));
    assert.deepEqual(issues, []);
    assert.deepEqual(users?.users.map((u) => u.id), ["alice", "bob", "carol", "dave"]);
    assert.deepEqual(users?.users[0]?.notificationRules, [
      { channel: "slack", afterMs: 0 },
      { channel: "email", afterMs: 0 },
      { channel: "sms", afterMs: 120_000 },
    ]);
    assert.equal(users?.users[0]?.contacts.phone, "+4915112345678");
  });

  test("each field's error names its JSON path", () => {
    assert.deepEqual(usersIssues({ version: 1, users: [user("Alice")] }), [
      'users[0].id: ids are slugs: lowercase letters and digits, words joined by single hyphens (e.g. "ops-primary")',
    ]);
    assert.deepEqual(usersIssues({ version: 1, users: [user("alice", { contacts: { email: "alice.example.com" }, notificationRules: [{ channel: "email", after: "0m" }] })] }), [
      'users[0].contacts.email: email "alice.example.com" is not a valid e-mail address',
    ]);
    assert.deepEqual(usersIssues({ version: 1, users: [user("alice", { contacts: { phone: "0151 1234567" }, notificationRules: [{ channel: "sms", after: "0m" }] })] }), [
      'users[0].contacts.phone: phone must be in E.164 form: "+", country code and number, no spaces (e.g. "+4915112345678")',
    ]);
    assert.deepEqual(usersIssues({ version: 1, users: [user("alice", { contacts: { slack: "@alice" } })] }), [
      'users[0].contacts.slack: slack must be a Slack member id such as "U012ABCDEF" (not a display name)',
    ]);
    assert.deepEqual(usersIssues({ version: 1, users: [user("alice", { timeZone: "Berlin" })] }), [
      'users[0].timeZone: unknown time zone "Berlin": use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC"',
    ]);
    assert.deepEqual(usersIssues({ version: 1, users: [user("alice", { notificationRules: [{ channel: "pager", after: "0m" }, { channel: "sms", after: "soon" }] })] }), [
      "users[0].notificationRules[0].channel: channel must be one of slack, email, sms",
      'users[0].notificationRules[1].after: invalid duration "soon": use numbers with units ms, s, m, h, d, w (e.g. "5m", "1h30m")',
    ]);
    assert.deepEqual(usersIssues({ version: 1, users: [user("alice", { notificationRules: [] })] }), [
      "users[0].notificationRules: a user needs at least one notification rule, or they can never be paged",
    ]);
  });

  test("a notification rule's channel needs the matching contact", () => {
    const issues = usersIssues({
      version: 1,
      users: [user("alice", { contacts: { email: "alice@example.com" }, notificationRules: [{ channel: "email", after: "0m" }, { channel: "sms", after: "2m" }, { channel: "slack", after: "5m" }] })],
    });
    assert.deepEqual(issues, [
      'users[0].notificationRules[1].channel: channel "sms" needs contacts.phone, which this user does not have',
      'users[0].notificationRules[2].channel: channel "slack" needs contacts.slack, which this user does not have',
    ]);
  });

  test("unknown keys, a missing version and invalid JSON", () => {
    assert.deepEqual(usersIssues({ version: 1, users: [user("alice", { pager: "x" })] }), ['users[0]: Unrecognized key: "pager"']);
    assert.deepEqual(usersIssues({ users: [] }), ["version: Invalid input: expected number, received undefined"]);
    assert.match(usersIssues('{ "version": 1, ')[0] ?? "", /^: invalid JSON \(line 1, column \d+\)/);
  });
});

describe("parseScheduleFile", () => {
  test("the shipped schedules parse", async () => {
    for (const id of ["ops-primary", "api-oncall"]) {
      const file = `rules/schedules/${id}.json`;
      const { schedule, issues } = parseScheduleFile(file, await readFile(file, "utf8"));
      assert.deepEqual(issues, []);
      assert.equal(schedule?.schedule.id, id);
    }
  });

  test("a parsed rotation: wall-clock start, shift length in calendar units, handoff defaulting to start's time", () => {
    const { schedule } = parseScheduleFile("rules/schedules/ops.json", JSON.stringify(scheduleJson()));
    assert.deepEqual(schedule?.schedule.layers[0]?.rotation, {
      participants: ["alice", "bob"],
      start: "2026-01-05T09:00:00",
      startWallMs: Date.UTC(2026, 0, 5, 9),
      shift: { text: "1w", unit: "days", count: 7 },
      handoffMsOfDay: 9 * 3_600_000,
      handoff: "09:00",
    });
    assert.deepEqual(schedule?.schedule.overrides, []);
  });

  test("rotation errors name their path", () => {
    const rotation = (r: Record<string, unknown>) => scheduleJson({ layers: [{ name: "weekly", rotation: { participants: ["alice"], start: "2026-01-05T09:00:00", shift: "1w", ...r } }] });
    assert.deepEqual(scheduleIssues(rotation({ start: "2026-01-05T09:00:00+01:00" })), [
      `layers[0].rotation.start: "2026-01-05T09:00:00+01:00" has a UTC offset, but this is a local date-time in the schedule's timeZone: write it without one (e.g. "2026-01-05T09:00:00")`,
    ]);
    assert.deepEqual(scheduleIssues(rotation({ start: "2026-02-30T09:00:00" })), ['layers[0].rotation.start: "2026-02-30T09:00:00" is not a date and time that exists on the calendar']);
    assert.deepEqual(scheduleIssues(rotation({ start: "next monday" })), ['layers[0].rotation.start: "next monday" must be a local date-time YYYY-MM-DDTHH:MM[:SS] (e.g. "2026-01-05T09:00:00")']);
    for (const shift of ["90m", "1.5d", "0d", "1d12h", "week"]) {
      assert.deepEqual(scheduleIssues(rotation({ shift })), [`layers[0].rotation.shift: shift "${shift}" must be a whole number of hours, days or weeks, such as "12h", "1d" or "1w"`]);
    }
    assert.deepEqual(scheduleIssues(rotation({ handoff: "25:00" })), ['layers[0].rotation.handoff: "25:00" must be a time HH:MM from 00:00 to 23:59']);
    assert.deepEqual(scheduleIssues(rotation({ shift: "12h", handoff: "09:00" })), [
      'layers[0].rotation.handoff: "handoff" applies to daily and weekly shifts: "12h" shifts hand off every 12 real hours from "start"',
    ]);
    assert.deepEqual(scheduleIssues(rotation({ participants: [] })), ["layers[0].rotation.participants: a rotation needs at least one participant"]);
    assert.deepEqual(scheduleIssues(rotation({ participants: ["alice", "Bob Smith"] })), [
      'layers[0].rotation.participants[1]: ids are slugs: lowercase letters and digits, words joined by single hyphens (e.g. "ops-primary")',
    ]);
  });

  test("restriction, layer and schedule errors name their path", () => {
    const restricted = (r: Record<string, unknown>) =>
      scheduleJson({ layers: [{ name: "office", rotation: { participants: ["alice"], start: "2026-01-05T09:00:00", shift: "1w" }, restrictions: [{ start: "09:00", end: "17:00", ...r }] }] });
    assert.deepEqual(scheduleIssues(restricted({ weekdays: ["monday:funday"] })), [
      "layers[0].restrictions[0].weekdays[0]: unknown weekday \"funday\": use monday, tuesday, wednesday, thursday, friday, saturday, sunday",
    ]);
    assert.deepEqual(scheduleIssues(restricted({ weekdays: [] })), ['layers[0].restrictions[0].weekdays: weekdays must list at least one day: leave "weekdays" out for every day']);
    assert.deepEqual(scheduleIssues(restricted({ start: "9:00" })), ['layers[0].restrictions[0].start: "9:00" must be a time HH:MM from 00:00 to 23:59']);
    assert.deepEqual(scheduleIssues(restricted({ end: "24:30" })), ['layers[0].restrictions[0].end: "24:30" must be a time HH:MM from 00:00 to 24:00']);
    assert.deepEqual(scheduleIssues(restricted({ days: ["monday"] })), ['layers[0].restrictions[0]: Unrecognized key: "days"']);
    const twoLayers = scheduleJson({
      layers: [
        { name: "weekly", rotation: { participants: ["alice"], start: "2026-01-05T09:00:00", shift: "1w" } },
        { name: "weekly", rotation: { participants: ["bob"], start: "2026-01-05T09:00:00", shift: "1w" } },
      ],
    });
    assert.deepEqual(scheduleIssues(twoLayers), ['layers[1].name: duplicate layer name "weekly" (also layers[0])']);
    assert.deepEqual(scheduleIssues(scheduleJson({ layers: [] })), ["layers: a schedule needs at least one layer"]);
    assert.deepEqual(scheduleIssues(scheduleJson({ timeZone: "CET-ish" })), ['timeZone: unknown time zone "CET-ish": use an IANA name such as "Europe/Berlin", "America/New_York" or "UTC"']);
  });

  test("override errors name their path", () => {
    const override = (o: Record<string, unknown>) => scheduleJson({ overrides: [{ user: "bob", start: "2026-03-28T18:00:00+01:00", end: "2026-03-30T09:00:00+02:00", ...o }] });
    assert.deepEqual(scheduleIssues(override({ start: "2026-03-28T18:00:00" })), ['overrides[0].start: "2026-03-28T18:00:00" needs a UTC offset such as "+01:00" or "Z": overrides are absolute instants']);
    assert.deepEqual(scheduleIssues(override({ end: "someday" })), ['overrides[0].end: "someday" is not an ISO-8601 date-time (e.g. "2026-03-28T18:00:00+01:00")']);
    assert.deepEqual(scheduleIssues(override({ end: "2026-03-28T17:00:00Z" })), ["overrides[0].end: an override must end after it starts"]);
  });

  test("the file must be named after the schedule's id", () => {
    assert.deepEqual(scheduleIssues(scheduleJson(), "rules/schedules/operations.json"), ['id: schedule "ops" must be in a file named ops.json, so that it can be found by its id']);
  });
});

describe("crossCheckSchedules", () => {
  test("the shipped files pass", async () => {
    const set = await loadSchedules("rules");
    assert.deepEqual(set.issues, []);
    assert.deepEqual(set.schedules.map((s) => s.id), ["api-oncall", "ops-primary"]);
    assert.equal(set.users.length, 4);
  });

  test("unknown users in rotations and overrides", () => {
    const issues = crossIssues([
      scheduleJson({
        layers: [{ name: "weekly", rotation: { participants: ["alice", "zed"], start: "2026-01-05T09:00:00", shift: "1w" } }],
        overrides: [{ user: "yan", start: "2026-01-06T00:00:00Z", end: "2026-01-07T00:00:00Z" }],
      }),
    ]);
    assert.deepEqual(issues, [
      'rules/schedules/ops.json layers[0].rotation.participants[1]: unknown user "zed" (known users: alice, bob)',
      'rules/schedules/ops.json overrides[0].user: unknown user "yan" (known users: alice, bob)',
    ]);
  });

  test("duplicate user ids and duplicate schedule ids", () => {
    assert.deepEqual(crossIssues([scheduleJson()], ["alice", "bob", "alice"]), [`${USERS} users[2].id: duplicate user id "alice"`]);
    assert.deepEqual(crossIssues([scheduleJson(), scheduleJson()]), ['rules/schedules/team-1/ops.json id: duplicate schedule id "ops" (also defined in rules/schedules/ops.json)']);
  });

  test("a rotation start the clocks skip is an error; a repeated one is not", () => {
    const starting = (start: string, timeZone = "Europe/Berlin") =>
      crossIssues([scheduleJson({ timeZone, layers: [{ name: "daily", rotation: { participants: ["alice"], start, shift: "1d" } }] })]);
    assert.deepEqual(starting("2026-03-29T02:30:00"), [
      'rules/schedules/ops.json layers[0].rotation.start: start "2026-03-29T02:30:00" does not exist in Europe/Berlin: the clocks jump from 02:00 to 03:00 that day; pick a time outside the gap',
    ]);
    assert.deepEqual(starting("2026-03-08T02:00:00", "America/New_York"), [
      'rules/schedules/ops.json layers[0].rotation.start: start "2026-03-08T02:00:00" does not exist in America/New_York: the clocks jump from 02:00 to 03:00 that day; pick a time outside the gap',
    ]);
    assert.deepEqual(starting("2026-10-25T02:30:00"), []);
  });

  test("a restriction window of zero length", () => {
    const issues = crossIssues([
      scheduleJson({ layers: [{ name: "office", rotation: { participants: ["alice"], start: "2026-01-05T09:00:00", shift: "1w" }, restrictions: [{ start: "00:00", end: "24:00" }, { start: "09:00", end: "09:00" }] }] }),
    ]);
    assert.deepEqual(issues, [
      'rules/schedules/ops.json layers[0].restrictions[1].end: the window from 09:00 to 09:00 is empty: for a whole day write "00:00" to "24:00", or leave "restrictions" out',
    ]);
  });

  test("without a users file every user is unknown", () => {
    const parsed = parseScheduleFile("rules/schedules/ops.json", JSON.stringify(scheduleJson())).schedule as LoadedSchedule;
    assert.deepEqual(crossCheckSchedules(undefined, [parsed]).map((i) => i.message), [
      'unknown user "alice" (no users are defined in users/users.json)',
      'unknown user "bob" (no users are defined in users/users.json)',
    ]);
  });
});

describe("loadSchedules", () => {
  async function dirWith(files: Record<string, unknown>): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), "klaxon-schedules-"));
    for (const [path, value] of Object.entries(files)) {
      await mkdir(join(dir, path, ".."), { recursive: true });
      await writeFile(join(dir, path), typeof value === "string" ? value : JSON.stringify(value));
    }
    return dir;
  }

  test("an empty rules directory has no users, no schedules and no issues", async () => {
    const dir = await dirWith({});
    assert.deepEqual(await loadSchedules(dir), { users: [], schedules: [], issues: [] });
  });

  test("a broken file is reported with its path and contributes nothing; the others still load", async () => {
    const dir = await dirWith({
      "users/users.json": { version: 1, users: [user("alice"), user("bob")] },
      "users/more.json": { version: 1, users: [] },
      "schedules/ops.json": scheduleJson(),
      "schedules/broken.json": "{ nope",
      "schedules/web.json": scheduleJson({ id: "web", layers: [{ name: "daily", rotation: { participants: ["carol"], start: "2026-01-05T09:00:00", shift: "1d" } }] }),
    });
    const { users, schedules, issues } = await loadSchedules(dir);
    assert.deepEqual(users.map((u) => u.id), ["alice", "bob"]);
    assert.deepEqual(schedules.map((s) => s.id), ["ops", "web"]);
    assert.deepEqual(
      issues.map((i) => `${i.file.slice(dir.length + 1)} ${i.path}: ${i.message.replace(/ \(line.*/, "")}`),
      [
        "users/more.json : users live in users/users.json alone; merge this file into it",
        "schedules/broken.json : invalid JSON",
        'schedules/web.json layers[0].rotation.participants[0]: unknown user "carol" (known users: alice, bob)',
      ],
    );
  });
});
