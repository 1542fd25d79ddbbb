import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { onCallOverview, type Roster } from "../../src/http/console/oncall-overview.js";
import { scheduleSchema, usersFileSchema } from "../../src/schedules/index.js";

const HOUR = 3_600_000;
const at = (instant: string): number => Date.parse(instant);
const iso = (ms: number): string => new Date(ms).toISOString().replace(".000Z", "Z");

const users = usersFileSchema.parse({
  version: 1,
  users: [
    { id: "alice", name: "Alice Example", timeZone: "Europe/Berlin", contacts: { phone: "+4915112345678" }, notificationRules: [{ channel: "sms", after: "0m" }] },
    { id: "bob", name: "Bob Example", timeZone: "Europe/Berlin", contacts: { email: "bob@example.com" }, notificationRules: [{ channel: "email", after: "0m" }] },
  ],
}).users;

// Daily 09:00 Berlin handoffs between alice and bob; carol (not in the users file) covers one evening by override.
// 2026-03-29 is the spring daylight-saving change in Berlin: that day's shift is 23 hours long.
const rota = scheduleSchema.parse({
  id: "db-primary",
  version: 1,
  name: "Database primary",
  timeZone: "Europe/Berlin",
  layers: [{ name: "daily", rotation: { participants: ["alice", "bob"], start: "2026-03-26T09:00:00", shift: "1d" } }],
  overrides: [{ user: "carol", start: "2026-03-28T18:00:00+01:00", end: "2026-03-28T22:00:00+01:00", reason: "swap" }],
});
const empty = scheduleSchema.parse({
  id: "weekend-only",
  version: 1,
  name: "Weekend",
  timeZone: "UTC",
  layers: [{ name: "weekend", rotation: { participants: ["bob"], start: "2026-03-01T00:00:00", shift: "1w" }, restrictions: [{ weekdays: ["saturday:sunday"], start: "00:00", end: "24:00" }] }],
});
const roster: Roster = { users, schedules: [rota, empty] };

describe("on-call overview for the console", () => {
  test("names who is on call now and who takes over next, with the shifts of the range clipped to it", () => {
    // Saturday 2026-03-28 12:00 Berlin (11:00Z): alice's day (Thursday alice, Friday bob, Saturday alice); carol's
    // override starts at 18:00.
    const view = onCallOverview(roster, at("2026-03-28T00:00:00Z"), at("2026-03-30T00:00:00Z"), at("2026-03-28T11:00:00Z"));
    const db = view.schedules[0];
    assert.ok(db);
    assert.deepEqual(
      { id: db.id, name: db.name, timeZone: db.timeZone },
      { id: "db-primary", name: "Database primary", timeZone: "Europe/Berlin" },
    );
    assert.deepEqual(db.now && [db.now.name, iso(db.now.startMs), iso(db.now.endMs), db.now.override], ["Alice Example", "2026-03-28T08:00:00Z", "2026-03-28T17:00:00Z", false]);
    assert.deepEqual(db.next && [db.next.user, db.next.name, iso(db.next.startMs), db.next.override], ["carol", "carol", "2026-03-28T17:00:00Z", true], "a user missing from the users file shows by id");
    assert.deepEqual(
      db.shifts.map((s) => `${iso(s.startMs)} – ${iso(s.endMs)} ${s.name}${s.override ? " (override)" : ` (${s.layer})`}`),
      [
        "2026-03-28T00:00:00Z – 2026-03-28T08:00:00Z Bob Example (daily)",
        "2026-03-28T08:00:00Z – 2026-03-28T17:00:00Z Alice Example (daily)",
        "2026-03-28T17:00:00Z – 2026-03-28T21:00:00Z carol (override)",
        // Saturday's shift ends at Sunday 09:00 Berlin, which after the clocks go forward is 07:00Z (23 hours).
        "2026-03-28T21:00:00Z – 2026-03-29T07:00:00Z Alice Example (daily)",
        "2026-03-29T07:00:00Z – 2026-03-30T00:00:00Z Bob Example (daily)",
      ],
    );
    assert.equal(view.nowMs, at("2026-03-28T11:00:00Z"));
  });

  test("says nobody when nobody is on call, and finds the next person beyond the range", () => {
    // Wednesday: the weekend-only schedule has nobody until Saturday 00:00 UTC.
    const view = onCallOverview(roster, at("2026-03-25T00:00:00Z"), at("2026-03-26T00:00:00Z"), at("2026-03-25T12:00:00Z"));
    const weekend = view.schedules[1];
    assert.ok(weekend);
    assert.equal(weekend.now, null);
    assert.deepEqual(weekend.next && [weekend.next.name, iso(weekend.next.startMs)], ["Bob Example", "2026-03-28T00:00:00Z"]);
    assert.deepEqual(weekend.shifts, []);
    const db = view.schedules[0];
    assert.equal(db?.now, null, "before the rotation starts nobody is on call");
    assert.deepEqual(db?.next && [db.next.name, iso(db.next.startMs)], ["Alice Example", "2026-03-26T08:00:00Z"]);
  });

  test("never carries contacts: the console shows who, not how to reach them", () => {
    const text = JSON.stringify(onCallOverview(roster, at("2026-03-28T00:00:00Z"), at("2026-03-28T00:00:00Z") + 24 * HOUR, at("2026-03-28T11:00:00Z")));
    assert.doesNotMatch(text, /\+4915112345678|bob@example\.com|contacts/);
  });

  test("'until' is when the person on call hands over to someone else, not where their current shift ends", () => {
    // A one-person weekly rotation turns over on Monday at 09:00 Berlin (alice to alice); bob covers from 09:10 by
    // override. At 07:10 alice is on call until 09:10, and bob is next from then.
    const solo = scheduleSchema.parse({
      id: "solo",
      version: 1,
      name: "Solo",
      timeZone: "Europe/Berlin",
      layers: [{ name: "weekly", rotation: { participants: ["alice"], start: "2026-01-05T09:00:00", shift: "1w" } }],
      overrides: [{ user: "bob", start: "2026-12-07T08:10:00Z", end: "2026-12-07T11:10:00Z", reason: "swap" }],
    });
    const nowMs = at("2026-12-07T06:10:00Z");
    const view = onCallOverview({ users, schedules: [solo] }, nowMs - HOUR, nowMs + 6 * HOUR, nowMs);
    const [schedule] = view.schedules;
    assert.ok(schedule);
    assert.deepEqual(schedule.now && [schedule.now.name, iso(schedule.now.startMs), iso(schedule.now.endMs)], ["Alice Example", "2026-11-30T08:00:00Z", "2026-12-07T08:10:00Z"]);
    assert.deepEqual(schedule.next && [schedule.next.name, iso(schedule.next.startMs), schedule.next.override], ["Bob Example", "2026-12-07T08:10:00Z", true]);
    // After the override alice is back, and stays on call for weeks: then 'until' is the end of her run.
    const later = onCallOverview({ users, schedules: [solo] }, nowMs, nowMs + HOUR, at("2026-12-07T12:00:00Z")).schedules[0];
    assert.deepEqual(later?.now && [iso(later.now.startMs), later.now.endMs > at("2026-12-28T00:00:00Z")], ["2026-12-07T11:10:00Z", true]);
    assert.equal(later?.next, null, "nobody else within the look-ahead");
  });
});
