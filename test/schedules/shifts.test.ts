import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { onCallAt, parseScheduleFile, shifts, type Schedule } from "../../src/schedules/index.js";
import { HOUR, layer, ms, rotation, schedule, spans } from "./fixtures.js";

describe("shifts()", () => {
  test("consecutive shifts of the same user from the same layer merge into one", () => {
    const s = rotation("UTC", { participants: ["alice", "alice", "bob"], start: "2026-01-01T00:00:00", shift: "1d" });
    assert.deepEqual(spans(s, "2026-01-01T00:00:00Z", "2026-01-07T00:00:00Z"), [
      "2026-01-01T00:00:00Z – 2026-01-03T00:00:00Z alice rota 48h",
      "2026-01-03T00:00:00Z – 2026-01-04T00:00:00Z bob rota 24h",
      "2026-01-04T00:00:00Z – 2026-01-06T00:00:00Z alice rota 48h",
      "2026-01-06T00:00:00Z – 2026-01-07T00:00:00Z bob rota 24h",
    ]);
  });

  test("the same user from different sources stays apart; adjacent overrides of one user merge", () => {
    const s = schedule(
      "UTC",
      [layer("base", { participants: ["alice"], start: "2026-01-01T00:00:00", shift: "1d" })],
      [
        { user: "alice", start: "2026-01-02T00:00:00Z", end: "2026-01-02T06:00:00Z" },
        { user: "bob", start: "2026-01-02T06:00:00Z", end: "2026-01-02T08:00:00Z" },
        { user: "bob", start: "2026-01-02T08:00:00Z", end: "2026-01-02T10:00:00Z" },
      ],
    );
    assert.deepEqual(spans(s, "2026-01-01T18:00:00Z", "2026-01-02T12:00:00Z"), [
      "2026-01-01T18:00:00Z – 2026-01-02T00:00:00Z alice base 6h",
      "2026-01-02T00:00:00Z – 2026-01-02T06:00:00Z alice override 6h",
      "2026-01-02T06:00:00Z – 2026-01-02T10:00:00Z bob override 4h",
      "2026-01-02T10:00:00Z – 2026-01-02T12:00:00Z alice base 2h",
    ]);
    assert.deepEqual(shifts(s, ms("2026-01-02T07:00:00Z"), ms("2026-01-02T08:00:00Z")), [
      { user: "bob", startMs: ms("2026-01-02T07:00:00Z"), endMs: ms("2026-01-02T08:00:00Z"), override: true },
    ]);
  });

  test("clipped to the range at both ends", () => {
    const s = rotation("UTC", { participants: ["alice", "bob"], start: "2026-01-01T09:00:00", shift: "1d" });
    assert.deepEqual(shifts(s, ms("2026-01-01T12:00:00Z"), ms("2026-01-02T10:00:00Z")), [
      { user: "alice", startMs: ms("2026-01-01T12:00:00Z"), endMs: ms("2026-01-02T09:00:00Z"), layer: "rota", override: false },
      { user: "bob", startMs: ms("2026-01-02T09:00:00Z"), endMs: ms("2026-01-02T10:00:00Z"), layer: "rota", override: false },
    ]);
  });

  test("stretches with nobody on call are left out", () => {
    const s = schedule("UTC", [
      layer("office", { participants: ["alice"], start: "2026-01-05T00:00:00", shift: "1w" }, [{ weekdays: ["monday:friday"], start: "09:00", end: "17:00" }]),
    ]);
    // 2026-01-02 (Friday) is before the start; the weekend has no window.
    assert.deepEqual(spans(s, "2026-01-02T00:00:00Z", "2026-01-07T00:00:00Z"), [
      "2026-01-05T09:00:00Z – 2026-01-05T17:00:00Z alice office 8h",
      "2026-01-06T09:00:00Z – 2026-01-06T17:00:00Z alice office 8h",
    ]);
  });

  test("an empty or reversed range gives no shifts; a non-finite instant is a RangeError", () => {
    const s = rotation("UTC", { participants: ["alice"], start: "2026-01-01T00:00:00", shift: "1d" });
    assert.deepEqual(shifts(s, ms("2026-01-02T00:00:00Z"), ms("2026-01-02T00:00:00Z")), []);
    assert.deepEqual(shifts(s, ms("2026-01-03T00:00:00Z"), ms("2026-01-02T00:00:00Z")), []);
    assert.throws(() => shifts(s, NaN, 0), RangeError);
    assert.throws(() => onCallAt(s, Infinity), RangeError);
  });

  test("a year of hourly shifts", () => {
    const s = rotation("Europe/Berlin", { participants: ["alice", "bob", "carol"], start: "2026-01-01T00:00:00", shift: "6h" });
    const year = shifts(s, ms("2026-01-01T00:00:00Z"), ms("2027-01-01T00:00:00Z"));
    assert.equal(year.length, 365 * 4 + 1);
    assert.ok(year.slice(1, -1).every((shift) => shift.endMs - shift.startMs === 6 * HOUR));
  });
});

describe("shifts() and onCallAt() agree", () => {
  const shipped = parseScheduleFile("rules/schedules/ops-primary.json", readFileSync("rules/schedules/ops-primary.json", "utf8")).schedule?.schedule as Schedule;
  const nights = schedule(
    "America/New_York",
    [
      layer("base", { participants: ["alice", "bob", "carol"], start: "2026-01-01T02:30:00", shift: "1d" }),
      layer("evening", { participants: ["dave", "erin"], start: "2026-01-01T00:00:00", shift: "12h" }, [{ weekdays: ["sunday:thursday"], start: "18:00", end: "01:30" }]),
    ],
    [{ user: "frank", start: "2026-03-07T23:00:00-05:00", end: "2026-03-08T05:00:00-04:00" }],
  );

  for (const [name, s, from, to] of [
    ["ops-primary (Berlin), spring", shipped, "2026-03-20T00:00:00Z", "2026-04-05T00:00:00Z"],
    ["ops-primary (Berlin), autumn", shipped, "2026-10-18T00:00:00Z", "2026-11-02T00:00:00Z"],
    ["New York layers, spring", nights, "2026-03-01T00:00:00Z", "2026-03-15T00:00:00Z"],
    ["New York layers, autumn", nights, "2026-10-25T00:00:00Z", "2026-11-08T00:00:00Z"],
  ] as const) {
    test(`every 10 minutes: ${name}`, () => {
      const list = shifts(s, ms(from), ms(to));
      for (let t = ms(from); t < ms(to); t += 10 * 60_000) {
        const shift = list.find((x) => x.startMs <= t && t < x.endMs);
        const onCall = onCallAt(s, t);
        assert.deepEqual(onCall.users, shift ? [shift.user] : [], new Date(t).toISOString());
        if (!shift) continue;
        assert.equal(onCall.source, shift.override ? "override" : "layer");
        assert.equal(onCall.layer, shift.layer);
        // The stretch onCallAt reports holds the instant and lies within the merged shift.
        assert.ok((onCall.shiftStartMs ?? NaN) <= t && t < (onCall.shiftEndMs ?? NaN));
        if ((onCall.shiftStartMs ?? 0) >= ms(from)) assert.ok(shift.startMs <= (onCall.shiftStartMs ?? NaN));
        if ((onCall.shiftEndMs ?? 0) <= ms(to)) assert.ok((onCall.shiftEndMs ?? NaN) <= shift.endMs);
      }
    });
  }
});
