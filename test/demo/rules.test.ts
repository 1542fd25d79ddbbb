import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { prepareDemoRules, shortenedDuration, type DemoRules } from "../../scripts/demo/rules.js";
import { loadRouting } from "../../src/rules/routing-loader.js";
import { loadDirectory } from "../../src/app/directory-loader.js";
import { loadRules } from "../../src/rules/loader.js";

const HOUR = 3_600_000;

describe("the demo's copy of rules/", () => {
  const made: DemoRules[] = [];
  after(async () => {
    for (const rules of made) await rm(rules.dir, { recursive: true, force: true });
  });

  test("on-call durations are divided by ten in whole seconds; escalation delays keep the schema's one-minute floor", () => {
    assert.equal(shortenedDuration("30s"), "3s");
    assert.equal(shortenedDuration("2m"), "12s");
    assert.equal(shortenedDuration("4h"), "24m");
    assert.equal(shortenedDuration("1s"), "1s", "never below a second");
    assert.equal(shortenedDuration("0m"), "0m", "at once stays at once");
    assert.equal(shortenedDuration("5m", "delay"), "1m");
    assert.equal(shortenedDuration("15m", "delay"), "1m30s");
  });

  test("is valid as the engine loads it, with the shortened timings and Alice on call at any hour of the run", async () => {
    const nowMs = Date.parse("2026-11-25T10:00:00+01:00"); // a Wednesday in Berlin business hours: Dave's, as shipped
    const rules = await prepareDemoRules("rules", nowMs);
    made.push(rules);
    assert.deepEqual((await loadRules(rules.dir)).issues, []);
    const routing = await loadRouting(rules.dir);
    assert.deepEqual(routing.issues, []);
    const directory = await loadDirectory(rules.dir, routing.loaded!.routing);
    assert.deepEqual(directory.issues, []);

    assert.equal(rules.groupWaitMs, 3_000);
    assert.equal(rules.escalationDelayMs, 60_000);
    assert.deepEqual(directory.directory.policies.get("ops-default")?.levels.map((l) => l.delay), [60_000, 60_000]);
    assert.deepEqual(directory.directory.users.get("alice")?.notificationRules, [
      { channel: "slack", after: 0 },
      { channel: "email", after: 0 },
      { channel: "sms", after: 12_000 },
    ]);
    assert.ok(rules.changes.some((c) => c.file === join("routes", "routes.json") && c.field === "groupInterval" && c.from === "5m" && c.to === "30s"));
    for (const atMs of [nowMs, nowMs + 4 * HOUR, nowMs + 11 * HOUR]) assert.deepEqual(directory.directory.onCall("ops-primary", atMs), ["alice"]);
    assert.equal(rules.contacts.get("U056MNOPQR"), "carol");
    assert.equal(rules.contacts.get("dave@example.com"), "dave");

    const shipped = JSON.parse(await readFile(join("rules", "routes", "routes.json"), "utf8")) as { route: { groupWait: string } };
    assert.equal(shipped.route.groupWait, "30s", "the shipped rules are left as they are");
  });
});
