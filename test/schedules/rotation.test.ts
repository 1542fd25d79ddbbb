import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { instantOfWall, onCallAt, shifts } from "../../src/schedules/index.js";
import { zoneOf } from "../../src/schedules/local-time.js";
import { DAY, HOUR, handoffs, iso, ms, rotation, spans } from "./fixtures.js";

const ABC = ["alice", "bob", "carol"];

describe("rotations", () => {
  test("daily: shift n belongs to participants[n mod length]; before start nobody is on call", () => {
    const s = rotation("UTC", { participants: ABC, start: "2026-01-01T09:00:00", shift: "1d" });
    assert.deepEqual(onCallAt(s, ms("2026-01-01T08:59:59Z")), { users: [], source: "none" });
    assert.deepEqual(onCallAt(s, ms("2026-01-01T09:00:00Z")), {
      users: ["alice"],
      source: "layer",
      layer: "rota",
      shiftStartMs: ms("2026-01-01T09:00:00Z"),
      shiftEndMs: ms("2026-01-02T09:00:00Z"),
    });
    assert.deepEqual(handoffs(s, "2025-12-30T00:00:00Z", "2026-01-05T00:00:00Z"), [
      "2026-01-01T09:00:00Z alice",
      "2026-01-02T09:00:00Z bob",
      "2026-01-03T09:00:00Z carol",
      "2026-01-04T09:00:00Z alice",
    ]);
    // 365 shifts after the start: 365 mod 3 = 2.
    assert.deepEqual(onCallAt(s, ms("2027-01-01T12:00:00Z")).users, ["carol"]);
  });

  test("weekly: hands off on start's weekday at the handoff time, every week", () => {
    const s = rotation("Europe/Berlin", { participants: ABC, start: "2026-01-05T09:00:00", shift: "1w", handoff: "09:00" });
    assert.deepEqual(handoffs(s, "2026-01-01T00:00:00Z", "2026-01-27T00:00:00Z"), [
      "2026-01-05T08:00:00Z alice",
      "2026-01-12T08:00:00Z bob",
      "2026-01-19T08:00:00Z carol",
      "2026-01-26T08:00:00Z alice",
    ]);
    const mid = onCallAt(s, ms("2026-01-15T03:00:00Z"));
    assert.deepEqual([mid.users, iso(mid.shiftStartMs ?? 0), iso(mid.shiftEndMs ?? 0)], [["bob"], "2026-01-12T08:00:00Z", "2026-01-19T08:00:00Z"]);
  });

  test("the first shift runs from start to the first handoff when the handoff time differs from start's", () => {
    // Start on a Wednesday evening; later handoffs are on Wednesdays (start's weekday) at 09:00.
    const s = rotation("Europe/Berlin", { participants: ["alice", "bob"], start: "2026-01-07T18:00:00", shift: "1w", handoff: "09:00" });
    assert.deepEqual(spans(s, "2026-01-01T00:00:00Z", "2026-01-28T08:00:00Z"), [
      "2026-01-07T17:00:00Z – 2026-01-14T08:00:00Z alice rota 159h",
      "2026-01-14T08:00:00Z – 2026-01-21T08:00:00Z bob rota 168h",
      "2026-01-21T08:00:00Z – 2026-01-28T08:00:00Z alice rota 168h",
    ]);
  });

  test("multi-day and multi-week shifts", () => {
    const twoDays = rotation("UTC", { participants: ["alice", "bob"], start: "2026-01-01T00:00:00", shift: "2d" });
    assert.deepEqual(handoffs(twoDays, "2026-01-01T00:00:00Z", "2026-01-06T00:00:00Z"), [
      "2026-01-01T00:00:00Z alice",
      "2026-01-03T00:00:00Z bob",
      "2026-01-05T00:00:00Z alice",
    ]);
    const twoWeeks = rotation("UTC", { participants: ["alice", "bob"], start: "2026-01-05T10:00:00", shift: "2w" });
    assert.deepEqual(handoffs(twoWeeks, "2026-01-05T10:00:00Z", "2026-02-03T00:00:00Z"), ["2026-01-05T10:00:00Z alice", "2026-01-19T10:00:00Z bob", "2026-02-02T10:00:00Z alice"]);
  });

  test("hourly: every 8 h in UTC", () => {
    const s = rotation("UTC", { participants: ABC, start: "2026-01-01T06:00:00", shift: "8h" });
    assert.deepEqual(handoffs(s, "2026-01-01T00:00:00Z", "2026-01-02T07:00:00Z"), [
      "2026-01-01T06:00:00Z alice",
      "2026-01-01T14:00:00Z bob",
      "2026-01-01T22:00:00Z carol",
      "2026-01-02T06:00:00Z alice",
    ]);
  });

  test("hourly shifts count real elapsed hours: across DST the local handoff times move by the change", () => {
    const s = rotation("Europe/Berlin", { participants: ["alice", "bob"], start: "2026-03-28T09:00:00", shift: "12h" });
    // 09:00 and 21:00 CET before the change, 10:00 and 22:00 CEST after it; every shift 12 real hours.
    assert.deepEqual(spans(s, "2026-03-28T08:00:00Z", "2026-03-30T08:00:00Z"), [
      "2026-03-28T08:00:00Z – 2026-03-28T20:00:00Z alice rota 12h",
      "2026-03-28T20:00:00Z – 2026-03-29T08:00:00Z bob rota 12h",
      "2026-03-29T08:00:00Z – 2026-03-29T20:00:00Z alice rota 12h",
      "2026-03-29T20:00:00Z – 2026-03-30T08:00:00Z bob rota 12h",
    ]);
  });

  test("Asia/Kolkata has no DST: a 09:00 handoff is 03:30Z on every day of the year", () => {
    const s = rotation("Asia/Kolkata", { participants: ABC, start: "2026-01-01T09:00:00", shift: "1d" });
    for (const day of ["2026-03-08", "2026-03-29", "2026-10-25", "2026-11-01"]) {
      const shift = onCallAt(s, ms(`${day}T04:00:00Z`));
      assert.equal(iso(shift.shiftStartMs ?? 0), `${day}T03:30:00Z`);
      assert.equal((shift.shiftEndMs ?? 0) - (shift.shiftStartMs ?? 0), DAY);
    }
    const twelve = rotation("Asia/Kolkata", { participants: ["alice", "bob"], start: "2026-03-28T21:00:00", shift: "12h" });
    assert.deepEqual(handoffs(twelve, "2026-03-28T15:30:00Z", "2026-03-29T15:31:00Z"), ["2026-03-28T15:30:00Z alice", "2026-03-29T03:30:00Z bob", "2026-03-29T15:30:00Z alice"]);
  });

  test("one participant: the shifts merge into one stretch", () => {
    const s = rotation("UTC", { participants: ["alice"], start: "2026-01-01T09:00:00", shift: "1d" });
    assert.deepEqual(spans(s, "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z"), ["2026-01-01T09:00:00Z – 2026-01-04T00:00:00Z alice rota 63h"]);
    // onCallAt reports the rotation shift itself.
    const at = onCallAt(s, ms("2026-01-02T12:00:00Z"));
    assert.deepEqual([iso(at.shiftStartMs ?? 0), iso(at.shiftEndMs ?? 0)], ["2026-01-02T09:00:00Z", "2026-01-03T09:00:00Z"]);
  });
});

describe("daily and weekly handoffs keep their local time across the 2026 DST changes", () => {
  test("Europe/Berlin, spring (2026-03-29): 09:00 is 08:00Z before and 07:00Z after; the shift across the change is 23 h", () => {
    const s = rotation("Europe/Berlin", { participants: ["alice", "bob"], start: "2026-03-27T09:00:00", shift: "1d", handoff: "09:00" });
    assert.deepEqual(spans(s, "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z"), [
      "2026-03-27T08:00:00Z – 2026-03-28T08:00:00Z alice rota 24h",
      "2026-03-28T08:00:00Z – 2026-03-29T07:00:00Z bob rota 23h",
      "2026-03-29T07:00:00Z – 2026-03-30T07:00:00Z alice rota 24h",
      "2026-03-30T07:00:00Z – 2026-03-31T00:00:00Z bob rota 17h",
    ]);
  });

  test("Europe/Berlin, autumn (2026-10-25): 09:00 is 07:00Z before and 08:00Z after; the shift across the change is 25 h", () => {
    const s = rotation("Europe/Berlin", { participants: ["alice", "bob"], start: "2026-10-23T09:00:00", shift: "1d" });
    assert.deepEqual(spans(s, "2026-10-23T00:00:00Z", "2026-10-27T00:00:00Z"), [
      "2026-10-23T07:00:00Z – 2026-10-24T07:00:00Z alice rota 24h",
      "2026-10-24T07:00:00Z – 2026-10-25T08:00:00Z bob rota 25h",
      "2026-10-25T08:00:00Z – 2026-10-26T08:00:00Z alice rota 24h",
      "2026-10-26T08:00:00Z – 2026-10-27T00:00:00Z bob rota 16h",
    ]);
  });

  test("Europe/Berlin, weekly Monday 09:00: the weeks around the changes last 167 h and 169 h", () => {
    const s = rotation("Europe/Berlin", { participants: ABC, start: "2026-01-05T09:00:00", shift: "1w", handoff: "09:00" });
    const spring = onCallAt(s, ms("2026-03-29T12:00:00Z"));
    assert.deepEqual([spring.users, iso(spring.shiftStartMs ?? 0), iso(spring.shiftEndMs ?? 0)], [["carol"], "2026-03-23T08:00:00Z", "2026-03-30T07:00:00Z"]);
    assert.equal((spring.shiftEndMs ?? 0) - (spring.shiftStartMs ?? 0), 167 * HOUR);
    const autumn = onCallAt(s, ms("2026-10-25T12:00:00Z"));
    assert.deepEqual([autumn.users, iso(autumn.shiftStartMs ?? 0), iso(autumn.shiftEndMs ?? 0)], [["carol"], "2026-10-19T07:00:00Z", "2026-10-26T08:00:00Z"]);
    assert.equal((autumn.shiftEndMs ?? 0) - (autumn.shiftStartMs ?? 0), 169 * HOUR);
  });

  test("America/New_York, spring (2026-03-08): 09:00 is 14:00Z before and 13:00Z after", () => {
    const s = rotation("America/New_York", { participants: ["alice", "bob"], start: "2026-03-06T09:00:00", shift: "1d" });
    assert.deepEqual(spans(s, "2026-03-06T14:00:00Z", "2026-03-10T13:00:00Z"), [
      "2026-03-06T14:00:00Z – 2026-03-07T14:00:00Z alice rota 24h",
      "2026-03-07T14:00:00Z – 2026-03-08T13:00:00Z bob rota 23h",
      "2026-03-08T13:00:00Z – 2026-03-09T13:00:00Z alice rota 24h",
      "2026-03-09T13:00:00Z – 2026-03-10T13:00:00Z bob rota 24h",
    ]);
  });

  test("America/New_York, autumn (2026-11-01): 09:00 is 13:00Z before and 14:00Z after", () => {
    const s = rotation("America/New_York", { participants: ["alice", "bob"], start: "2026-10-30T09:00:00", shift: "1d" });
    assert.deepEqual(spans(s, "2026-10-30T13:00:00Z", "2026-11-03T14:00:00Z"), [
      "2026-10-30T13:00:00Z – 2026-10-31T13:00:00Z alice rota 24h",
      "2026-10-31T13:00:00Z – 2026-11-01T14:00:00Z bob rota 25h",
      "2026-11-01T14:00:00Z – 2026-11-02T14:00:00Z alice rota 24h",
      "2026-11-02T14:00:00Z – 2026-11-03T14:00:00Z bob rota 24h",
    ]);
  });
});

describe("handoff times that the clocks skip or repeat", () => {
  test("New York 02:30 on 2026-03-08 does not exist: the handoff moves to the jump, 03:00 EDT = 07:00Z", () => {
    const s = rotation("America/New_York", { participants: ["alice", "bob"], start: "2026-03-06T02:30:00", shift: "1d" });
    assert.deepEqual(spans(s, "2026-03-06T07:30:00Z", "2026-03-10T06:30:00Z"), [
      "2026-03-06T07:30:00Z – 2026-03-07T07:30:00Z alice rota 24h",
      "2026-03-07T07:30:00Z – 2026-03-08T07:00:00Z bob rota 23.5h",
      "2026-03-08T07:00:00Z – 2026-03-09T06:30:00Z alice rota 23.5h",
      "2026-03-09T06:30:00Z – 2026-03-10T06:30:00Z bob rota 24h",
    ]);
    assert.deepEqual(onCallAt(s, ms("2026-03-08T06:59:59.999Z")).users, ["bob"]);
    assert.deepEqual(onCallAt(s, ms("2026-03-08T07:00:00Z")).users, ["alice"]);
  });

  test("New York 01:30 on 2026-11-01 happens twice: the handoff is at the first, 01:30 EDT = 05:30Z", () => {
    const s = rotation("America/New_York", { participants: ["alice", "bob"], start: "2026-10-30T01:30:00", shift: "1d" });
    assert.deepEqual(spans(s, "2026-10-30T05:30:00Z", "2026-11-03T06:30:00Z"), [
      "2026-10-30T05:30:00Z – 2026-10-31T05:30:00Z alice rota 24h",
      "2026-10-31T05:30:00Z – 2026-11-01T05:30:00Z bob rota 24h",
      "2026-11-01T05:30:00Z – 2026-11-02T06:30:00Z alice rota 25h",
      "2026-11-02T06:30:00Z – 2026-11-03T06:30:00Z bob rota 24h",
    ]);
    // The second 01:30 (EST, 06:30Z) is inside alice's shift, not another handoff.
    assert.deepEqual(onCallAt(s, ms("2026-11-01T06:30:00Z")).users, ["alice"]);
  });

  test("Berlin 02:30 on 2026-03-29 moves to 03:00 CEST (01:00Z); on 2026-10-25 it is the first 02:30, CEST (00:30Z)", () => {
    const spring = rotation("Europe/Berlin", { participants: ["alice", "bob"], start: "2026-03-27T02:30:00", shift: "1d" });
    assert.deepEqual(handoffs(spring, "2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z"), [
      "2026-03-27T01:30:00Z alice",
      "2026-03-28T01:30:00Z bob",
      "2026-03-29T01:00:00Z alice",
      "2026-03-30T00:30:00Z bob",
    ]);
    const autumn = rotation("Europe/Berlin", { participants: ["alice", "bob"], start: "2026-10-23T02:30:00", shift: "1d" });
    assert.deepEqual(handoffs(autumn, "2026-10-23T00:00:00Z", "2026-10-27T00:00:00Z"), [
      "2026-10-23T00:30:00Z alice",
      "2026-10-24T00:30:00Z bob",
      "2026-10-25T00:30:00Z alice",
      "2026-10-26T01:30:00Z bob",
    ]);
  });

  test("a rotation starting at a repeated local time starts at its first occurrence", () => {
    const s = rotation("America/New_York", { participants: ["alice"], start: "2026-11-01T01:30:00", shift: "1d" });
    assert.equal(shifts(s, ms("2026-11-01T00:00:00Z"), ms("2026-11-01T12:00:00Z"))[0]?.startMs, ms("2026-11-01T05:30:00Z"));
  });
});

describe("instantOfWall: local clock time to instant", () => {
  const wall = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h, mi);

  test("ordinary, skipped and repeated local times", () => {
    const newYork = zoneOf("America/New_York");
    assert.equal(iso(instantOfWall(newYork, wall(2026, 7, 1, 9))), "2026-07-01T13:00:00Z");
    assert.equal(iso(instantOfWall(newYork, wall(2026, 3, 8, 2, 0))), "2026-03-08T07:00:00Z");
    assert.equal(iso(instantOfWall(newYork, wall(2026, 3, 8, 2, 59))), "2026-03-08T07:00:00Z");
    assert.equal(iso(instantOfWall(newYork, wall(2026, 3, 8, 3, 0))), "2026-03-08T07:00:00Z");
    assert.equal(iso(instantOfWall(newYork, wall(2026, 11, 1, 1, 0))), "2026-11-01T05:00:00Z");
    assert.equal(iso(instantOfWall(newYork, wall(2026, 11, 1, 2, 0))), "2026-11-01T07:00:00Z");
  });

  test("half-hour DST (Australia/Lord_Howe) and a skipped day (Pacific/Apia, 2011-12-30)", () => {
    const lordHowe = zoneOf("Australia/Lord_Howe");
    // 2026-10-04: 02:00 (+10:30) jumps to 02:30 (+11:00); 2026-04-05: 02:00 (+11:00) falls back to 01:30 (+10:30).
    assert.equal(iso(instantOfWall(lordHowe, wall(2026, 10, 4, 2, 15))), "2026-10-03T15:30:00Z");
    assert.equal(iso(instantOfWall(lordHowe, wall(2026, 4, 5, 1, 45))), "2026-04-04T14:45:00Z");
    // Samoa skipped 30 December 2011 entirely, going from UTC-10 to UTC+14 at 10:00Z.
    assert.equal(iso(instantOfWall(zoneOf("Pacific/Apia"), wall(2011, 12, 30, 12))), "2011-12-30T10:00:00Z");
  });
});
