import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { oncallCommand } from "../../src/cli/commands/oncall.js";
import { capture } from "../support/output.js";

async function dirWith(files: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "klaxon-oncall-"));
  for (const [path, value] of Object.entries(files)) {
    await mkdir(join(dir, path, ".."), { recursive: true });
    await writeFile(join(dir, path), typeof value === "string" ? value : JSON.stringify(value));
  }
  return dir;
}

const rules = "rules";

describe("klaxon oncall --at", () => {
  test("an override across the Berlin DST change: who, why, and the stretch in UTC and local time", async () => {
    const io = capture();
    assert.equal(await oncallCommand("ops-primary", { rules, at: "2026-03-29T12:00:00Z" }, io), 0, io.errors.join("\n"));
    assert.deepEqual(io.out, [
      "ops-primary (Ops primary) at 2026-03-29T12:00:00Z = Sun 2026-03-29 14:00 +02:00 Europe/Berlin",
      "on call: Dave Example (dave), override #0 (swap: Dave covers Carol's weekend)",
      "  from  2026-03-28T17:00:00Z = Sat 2026-03-28 18:00 +01:00 Europe/Berlin",
      "  until 2026-03-30T07:00:00Z = Mon 2026-03-30 09:00 +02:00 Europe/Berlin  (1d14h)",
    ]);
  });

  test("a layer; a time without an offset is read in the schedule's zone, and --zone changes the local times", async () => {
    const io = capture();
    assert.equal(await oncallCommand("ops-primary", { rules, at: "2026-03-24T20:00" }, io), 0);
    assert.deepEqual(io.out, [
      "ops-primary (Ops primary) at 2026-03-24T19:00:00Z = Tue 2026-03-24 20:00 +01:00 Europe/Berlin",
      'on call: Carol Example (carol), layer "weekly"',
      "  from  2026-03-24T16:00:00Z = Tue 2026-03-24 17:00 +01:00 Europe/Berlin",
      "  until 2026-03-25T08:00:00Z = Wed 2026-03-25 09:00 +01:00 Europe/Berlin  (16h)",
    ]);
    const inNewYork = capture();
    assert.equal(await oncallCommand("ops-primary", { rules, at: "2026-03-24T10:00", zone: "America/New_York" }, inNewYork), 0);
    assert.deepEqual(inNewYork.out, [
      "ops-primary (Ops primary) at 2026-03-24T14:00:00Z = Tue 2026-03-24 10:00 -04:00 America/New_York",
      'on call: Dave Example (dave), layer "business-hours"',
      "  from  2026-03-24T08:00:00Z = Tue 2026-03-24 04:00 -04:00 America/New_York",
      "  until 2026-03-24T16:00:00Z = Tue 2026-03-24 12:00 -04:00 America/New_York  (8h)",
    ]);
  });

  test("before any rotation starts nobody is on call", async () => {
    const io = capture();
    assert.equal(await oncallCommand("api-oncall", { rules, at: "2025-12-31T12:00:00Z" }, io), 0);
    assert.deepEqual(io.out, ["api-oncall (API on-call) at 2025-12-31T12:00:00Z = Wed 2025-12-31 07:00 -05:00 America/New_York", "on call: nobody"]);
  });

  test("without --at it answers for now", async () => {
    const io = capture();
    assert.equal(await oncallCommand("api-oncall", { rules }, io), 0);
    // Whatever the date, the answer has the usual shape.
    assert.match(io.out[1] ?? "", /^on call: (nobody|\w+ Example \(\w+\), layer "daily")$/);
  });
});

describe("klaxon oncall --from --to", () => {
  test("lists the shifts with exact instants and local times; the day of the New York DST change is 23 h", async () => {
    const io = capture();
    assert.equal(await oncallCommand("api-oncall", { rules, from: "2026-03-07", to: "2026-03-09T12:00" }, io), 0, io.errors.join("\n"));
    assert.deepEqual(io.out, [
      "api-oncall (API on-call): shifts from 2026-03-07T05:00:00Z until 2026-03-09T16:00:00Z, local times in America/New_York",
      '2026-03-07T05:00:00Z – 2026-03-07T15:00:00Z  Sat 2026-03-07 00:00 -05:00 – Sat 2026-03-07 10:00 -05:00  10h     Bob Example (bob), layer "daily"',
      '2026-03-07T15:00:00Z – 2026-03-08T14:00:00Z  Sat 2026-03-07 10:00 -05:00 – Sun 2026-03-08 10:00 -04:00  23h     Alice Example (alice), layer "daily"',
      '2026-03-08T14:00:00Z – 2026-03-09T14:00:00Z  Sun 2026-03-08 10:00 -04:00 – Mon 2026-03-09 10:00 -04:00  1d      Carol Example (carol), layer "daily"',
      '2026-03-09T14:00:00Z – 2026-03-09T16:00:00Z  Mon 2026-03-09 10:00 -04:00 – Mon 2026-03-09 12:00 -04:00  2h      Bob Example (bob), layer "daily"',
    ]);
  });

  test("layers and the override in --zone UTC", async () => {
    const io = capture();
    assert.equal(await oncallCommand("ops-primary", { rules, from: "2026-03-27T12:00:00Z", to: "2026-03-30T16:00:00Z", zone: "UTC" }, io), 0);
    assert.deepEqual(io.out, [
      "ops-primary (Ops primary): shifts from 2026-03-27T12:00:00Z until 2026-03-30T16:00:00Z, local times in UTC",
      '2026-03-27T12:00:00Z – 2026-03-27T16:00:00Z  Fri 2026-03-27 12:00 +00:00 – Fri 2026-03-27 16:00 +00:00  4h      Dave Example (dave), layer "business-hours"',
      '2026-03-27T16:00:00Z – 2026-03-28T17:00:00Z  Fri 2026-03-27 16:00 +00:00 – Sat 2026-03-28 17:00 +00:00  1d1h    Carol Example (carol), layer "weekly"',
      "2026-03-28T17:00:00Z – 2026-03-30T07:00:00Z  Sat 2026-03-28 17:00 +00:00 – Mon 2026-03-30 07:00 +00:00  1d14h   Dave Example (dave), override",
      '2026-03-30T07:00:00Z – 2026-03-30T15:00:00Z  Mon 2026-03-30 07:00 +00:00 – Mon 2026-03-30 15:00 +00:00  8h      Dave Example (dave), layer "business-hours"',
      '2026-03-30T15:00:00Z – 2026-03-30T16:00:00Z  Mon 2026-03-30 15:00 +00:00 – Mon 2026-03-30 16:00 +00:00  1h      Alice Example (alice), layer "weekly"',
    ]);
  });

  test("a range where nobody is on call says so", async () => {
    const io = capture();
    assert.equal(await oncallCommand("api-oncall", { rules, from: "2025-12-01T00:00:00Z", to: "2025-12-02T00:00:00Z" }, io), 0);
    assert.equal(io.out[1], "nobody is on call in this range");
  });
});

describe("klaxon oncall errors", () => {
  test("an unknown schedule names the known ones", async () => {
    const io = capture();
    assert.equal(await oncallCommand("ops", { rules }, io), 1);
    assert.deepEqual(io.errors, ['error: unknown schedule "ops" (known: api-oncall, ops-primary)']);
  });

  test("bad options", async () => {
    const cases: [Parameters<typeof oncallCommand>[1], RegExp][] = [
      [{ rules, at: "yesterday" }, /--at "yesterday" is not a date-time: use ISO 8601 with an offset .* or a local time in Europe\/Berlin/],
      [{ rules, at: "2026-01-01T00:00:00Z", from: "2026-01-01T00:00:00Z", to: "2026-01-02T00:00:00Z" }, /use either --at or --from\/--to, not both/],
      [{ rules, from: "2026-01-01T00:00:00Z" }, /--from and --to go together/],
      [{ rules, from: "2026-01-02T00:00:00Z", to: "2026-01-01T00:00:00Z" }, /--to must be after --from, by at most 366 days/],
      [{ rules, from: "2026-01-01T00:00:00Z", to: "2028-01-01T00:00:00Z" }, /--to must be after --from, by at most 366 days/],
      [{ rules, at: "2026-01-01T00:00:00Z", zone: "Mars/Olympus" }, /unknown time zone "Mars\/Olympus"/],
    ];
    for (const [options, message] of cases) {
      const io = capture();
      assert.equal(await oncallCommand("ops-primary", options, io), 1, JSON.stringify(options));
      assert.match(io.errors.join("\n"), message);
      assert.deepEqual(io.out, []);
    }
  });

  test("invalid schedule files are reported with file and path, and nothing is answered", async () => {
    const dir = await dirWith({
      "users/users.json": { version: 1, users: [] },
      "schedules/ops.json": {
        id: "ops",
        version: 1,
        name: "Ops",
        timeZone: "Europe/Berlin",
        layers: [{ name: "weekly", rotation: { participants: ["alice"], start: "2026-01-05T09:00:00", shift: "1w" } }],
      },
    });
    const io = capture();
    assert.equal(await oncallCommand("ops", { rules: dir, at: "2026-01-06T00:00:00Z" }, io), 1);
    assert.deepEqual(io.errors, [`error: ${join(dir, "schedules/ops.json")}: layers[0].rotation.participants[0]: unknown user "alice" (no users are defined in users/users.json)`]);
    assert.deepEqual(io.out, []);
  });

  test("a rules directory without schedules", async () => {
    const io = capture();
    const dir = await dirWith({});
    assert.equal(await oncallCommand("ops", { rules: dir }, io), 1);
    assert.deepEqual(io.errors, [`error: unknown schedule "ops" (no schedules in ${dir}/schedules)`]);
  });
});
