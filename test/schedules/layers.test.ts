import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { onCallAt, type OnCall, type Schedule } from "../../src/schedules/index.js";
import { HOUR, iso, layer, ms, schedule, spans } from "./fixtures.js";

/** "user via layer from – until" for onCallAt, to compare whole answers at a glance. */
function at(s: Schedule, instant: string): string {
  const onCall: OnCall = onCallAt(s, ms(instant));
  if (onCall.source === "none") return "nobody";
  const via = onCall.source === "override" ? `override #${onCall.overrideIndex}` : onCall.layer;
  return `${onCall.users.join(",")} via ${via} ${iso(onCall.shiftStartMs ?? NaN)} – ${iso(onCall.shiftEndMs ?? NaN)}`;
}

describe("layers and restrictions", () => {
  // February: Berlin is on CET (UTC+1) throughout. The weekly base rotation is alice in the week of 2026-02-02.
  const berlin = schedule("Europe/Berlin", [
    layer("base", { participants: ["alice", "bob"], start: "2026-01-05T09:00:00", shift: "1w" }),
    layer("business", { participants: ["carol"], start: "2026-01-05T09:00:00", shift: "1w" }, [{ weekdays: ["monday:friday"], start: "09:00", end: "17:00" }]),
    layer("night", { participants: ["dave"], start: "2026-01-01T00:00:00", shift: "1d" }, [{ start: "22:00", end: "06:00" }]),
  ]);

  test("a higher layer wins inside its windows and yields to the lower layers outside them", () => {
    assert.equal(at(berlin, "2026-02-03T09:00:00Z"), "carol via business 2026-02-03T08:00:00Z – 2026-02-03T16:00:00Z"); // Tue 10:00
    assert.equal(at(berlin, "2026-02-03T19:00:00Z"), "alice via base 2026-02-03T16:00:00Z – 2026-02-03T21:00:00Z"); // Tue 20:00
    assert.equal(at(berlin, "2026-02-07T09:00:00Z"), "alice via base 2026-02-07T05:00:00Z – 2026-02-07T21:00:00Z"); // Sat 10:00: no business hours
    // Monday 08:59 is the end of alice's week; at 09:00 bob's week starts, but business hours cover it.
    assert.equal(at(berlin, "2026-02-09T07:59:00Z"), "alice via base 2026-02-09T05:00:00Z – 2026-02-09T08:00:00Z");
    assert.equal(at(berlin, "2026-02-09T08:00:00Z"), "carol via business 2026-02-09T08:00:00Z – 2026-02-09T16:00:00Z");
    assert.equal(at(berlin, "2026-02-09T16:00:00Z"), "bob via base 2026-02-09T16:00:00Z – 2026-02-09T21:00:00Z");
  });

  test("a window crossing midnight (22:00–06:00) covers the night; onCallAt reports the rotation shift, shifts() merges", () => {
    // The night layer's daily shifts hand off at local midnight, both to dave.
    assert.equal(at(berlin, "2026-02-03T22:00:00Z"), "dave via night 2026-02-03T21:00:00Z – 2026-02-03T23:00:00Z"); // Tue 23:00
    assert.equal(at(berlin, "2026-02-04T04:59:00Z"), "dave via night 2026-02-03T23:00:00Z – 2026-02-04T05:00:00Z"); // Wed 05:59
    assert.equal(at(berlin, "2026-02-04T05:00:00Z"), "alice via base 2026-02-04T05:00:00Z – 2026-02-04T08:00:00Z"); // Wed 06:00
    assert.deepEqual(spans(berlin, "2026-02-03T12:00:00Z", "2026-02-04T12:00:00Z"), [
      "2026-02-03T12:00:00Z – 2026-02-03T16:00:00Z carol business 4h",
      "2026-02-03T16:00:00Z – 2026-02-03T21:00:00Z alice base 5h",
      "2026-02-03T21:00:00Z – 2026-02-04T05:00:00Z dave night 8h",
      "2026-02-04T05:00:00Z – 2026-02-04T08:00:00Z alice base 3h",
      "2026-02-04T08:00:00Z – 2026-02-04T12:00:00Z carol business 4h",
    ]);
  });

  test("weekdays name the day a window starts: a Friday 22:00–06:00 window ends on Saturday morning", () => {
    const s = schedule("UTC", [
      layer("base", { participants: ["alice"], start: "2026-01-01T00:00:00", shift: "1w" }),
      layer("friday-night", { participants: ["bob"], start: "2026-01-01T00:00:00", shift: "1w" }, [{ weekdays: ["friday"], start: "22:00", end: "06:00" }]),
    ]);
    // 2026-02-06 is a Friday.
    assert.match(at(s, "2026-02-06T05:00:00Z"), /^alice/); // Friday morning: Thursday starts no window
    assert.match(at(s, "2026-02-06T22:00:00Z"), /^bob/);
    assert.match(at(s, "2026-02-07T05:59:59Z"), /^bob/); // Saturday morning
    assert.match(at(s, "2026-02-07T06:00:00Z"), /^alice/); // half-open
    assert.match(at(s, "2026-02-07T22:00:00Z"), /^alice/);
  });

  test('weekday ranges may wrap around the week, and "24:00" ends a window at midnight', () => {
    const s = schedule("UTC", [
      layer("base", { participants: ["alice"], start: "2026-01-01T00:00:00", shift: "1w" }),
      layer("long-weekend", { participants: ["bob"], start: "2026-01-01T00:00:00", shift: "1w" }, [{ weekdays: ["friday:monday"], start: "00:00", end: "24:00" }]),
    ]);
    // Friday 2026-02-06 00:00 until Tuesday 2026-02-10 00:00.
    assert.deepEqual(spans(s, "2026-02-05T00:00:00Z", "2026-02-11T00:00:00Z"), [
      "2026-02-05T00:00:00Z – 2026-02-06T00:00:00Z alice base 24h",
      "2026-02-06T00:00:00Z – 2026-02-10T00:00:00Z bob long-weekend 96h",
      "2026-02-10T00:00:00Z – 2026-02-11T00:00:00Z alice base 24h",
    ]);
  });

  test("windows follow the local clock across DST: a 22:00–06:00 night lasts 7 h in spring and 9 h in autumn", () => {
    const nights = schedule("Europe/Berlin", [
      layer("night", { participants: ["dave"], start: "2026-01-01T00:00:00", shift: "1d" }, [{ start: "22:00", end: "06:00" }]),
    ]);
    assert.deepEqual(spans(nights, "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"), ["2026-03-28T21:00:00Z – 2026-03-29T04:00:00Z dave night 7h"]);
    assert.deepEqual(spans(nights, "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z"), ["2026-10-24T20:00:00Z – 2026-10-25T05:00:00Z dave night 9h"]);
    // 02:00–03:00 never happens on the spring day and happens twice (two real hours) on the autumn day.
    const twoAm = schedule("Europe/Berlin", [
      layer("two", { participants: ["dave"], start: "2026-01-01T00:00:00", shift: "1w" }, [{ start: "02:00", end: "03:00" }]),
    ]);
    assert.deepEqual(spans(twoAm, "2026-03-28T12:00:00Z", "2026-03-29T12:00:00Z"), []);
    assert.deepEqual(spans(twoAm, "2026-10-24T12:00:00Z", "2026-10-25T12:00:00Z"), ["2026-10-25T00:00:00Z – 2026-10-25T02:00:00Z dave two 2h"]);
  });

  test("a layer before its rotation start yields to the layers below", () => {
    const s = schedule("UTC", [
      layer("base", { participants: ["alice"], start: "2026-01-01T00:00:00", shift: "1d" }),
      layer("new-team", { participants: ["bob"], start: "2026-03-01T00:00:00", shift: "1d" }),
    ]);
    assert.match(at(s, "2026-02-28T23:59:59Z"), /^alice via base/);
    assert.equal(at(s, "2026-03-01T00:00:00Z"), "bob via new-team 2026-03-01T00:00:00Z – 2026-03-02T00:00:00Z");
    assert.equal(at(s, "2025-12-31T23:00:00Z"), "nobody");
  });
});

describe("overrides", () => {
  const base = layer("base", { participants: ["alice", "bob"], start: "2026-01-01T09:00:00", shift: "1d" });

  test("the override's user is on call instead of the layers, half-open [start, end)", () => {
    const s = schedule("UTC", [base], [{ user: "dave", start: "2026-01-02T06:00:00Z", end: "2026-01-02T12:00:00Z", reason: "dentist" }]);
    assert.deepEqual(onCallAt(s, ms("2026-01-02T06:00:00Z")), {
      users: ["dave"],
      source: "override",
      overrideIndex: 0,
      shiftStartMs: ms("2026-01-02T06:00:00Z"),
      shiftEndMs: ms("2026-01-02T12:00:00Z"),
    });
    assert.equal(at(s, "2026-01-02T12:00:00Z"), "bob via base 2026-01-02T12:00:00Z – 2026-01-03T09:00:00Z");
    // The handoff at 09:00 happens under the override, unseen.
    assert.deepEqual(spans(s, "2026-01-02T00:00:00Z", "2026-01-03T00:00:00Z"), [
      "2026-01-02T00:00:00Z – 2026-01-02T06:00:00Z alice base 6h",
      "2026-01-02T06:00:00Z – 2026-01-02T12:00:00Z dave override 6h",
      "2026-01-02T12:00:00Z – 2026-01-03T00:00:00Z bob base 12h",
    ]);
  });

  test("overlapping overrides: the one listed latest wins", () => {
    const dave = { user: "dave", start: "2026-01-10T10:00:00Z", end: "2026-01-10T20:00:00Z" };
    const erin = { user: "erin", start: "2026-01-10T12:00:00Z", end: "2026-01-10T14:00:00Z" };
    const erinLater = schedule("UTC", [base], [dave, erin]);
    assert.equal(at(erinLater, "2026-01-10T11:00:00Z"), "dave via override #0 2026-01-10T10:00:00Z – 2026-01-10T12:00:00Z");
    assert.equal(at(erinLater, "2026-01-10T13:00:00Z"), "erin via override #1 2026-01-10T12:00:00Z – 2026-01-10T14:00:00Z");
    assert.equal(at(erinLater, "2026-01-10T15:00:00Z"), "dave via override #0 2026-01-10T14:00:00Z – 2026-01-10T20:00:00Z");
    const daveLater = schedule("UTC", [base], [erin, dave]);
    assert.equal(at(daveLater, "2026-01-10T13:00:00Z"), "dave via override #1 2026-01-10T10:00:00Z – 2026-01-10T20:00:00Z");
    assert.deepEqual(spans(daveLater, "2026-01-10T09:00:00Z", "2026-01-10T21:00:00Z"), [
      "2026-01-10T09:00:00Z – 2026-01-10T10:00:00Z bob base 1h",
      "2026-01-10T10:00:00Z – 2026-01-10T20:00:00Z dave override 10h",
      "2026-01-10T20:00:00Z – 2026-01-10T21:00:00Z bob base 1h",
    ]);
  });

  test("an override spanning the Berlin spring change is exact instants: 38 real hours", () => {
    const s = schedule(
      "Europe/Berlin",
      [layer("weekly", { participants: ["alice", "bob", "carol"], start: "2026-01-05T09:00:00", shift: "1w" })],
      [{ user: "dave", start: "2026-03-28T18:00:00+01:00", end: "2026-03-30T09:00:00+02:00", reason: "swap" }],
    );
    const onCall = onCallAt(s, ms("2026-03-29T12:00:00Z"));
    assert.deepEqual(onCall, { users: ["dave"], source: "override", overrideIndex: 0, shiftStartMs: ms("2026-03-28T17:00:00Z"), shiftEndMs: ms("2026-03-30T07:00:00Z") });
    assert.equal((onCall.shiftEndMs ?? 0) - (onCall.shiftStartMs ?? 0), 38 * HOUR);
    // The override ends exactly at the Monday 09:00 handoff, to alice.
    assert.equal(at(s, "2026-03-30T07:00:00Z"), "alice via weekly 2026-03-30T07:00:00Z – 2026-04-06T07:00:00Z");
    assert.equal(at(s, "2026-03-28T16:59:59Z"), "carol via weekly 2026-03-23T08:00:00Z – 2026-03-28T17:00:00Z");
  });

  test("an override applies even where no layer has anyone", () => {
    const s = schedule("UTC", [base], [{ user: "dave", start: "2025-12-31T00:00:00Z", end: "2026-01-01T10:00:00Z" }]);
    assert.equal(at(s, "2025-12-31T12:00:00Z"), "dave via override #0 2025-12-31T00:00:00Z – 2026-01-01T10:00:00Z");
    assert.equal(at(s, "2026-01-01T10:00:00Z"), "alice via base 2026-01-01T10:00:00Z – 2026-01-02T09:00:00Z");
  });
});
