import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildTimeline } from "../../src/audit/timeline.js";
import { formatTimeline } from "../../src/audit/format.js";
import { Trail } from "./fixtures.js";

/**
 * Alerts A and B fire into group g; its first notification opens incident g-1, which pages, escalates, is
 * acknowledged and resolves with its alerts. A fires again later: a second incident, g-4. C is silenced meanwhile.
 */
function trail(): Trail {
  const t = new Trail();
  t.fired(0, "A", "db-down");
  t.fired(0.1, "B", "db-down");
  t.opened(1.01, "g", 1); // recorded before the notification that opened it: two stages share one chain
  t.notified(1, "g", 1, "db", "root.0", { firing: ["A", "B"] });
  t.add(1.02, "page.sent", "g-1", { user: "alice", channel: "slack", level: 0, round: 0 });
  t.add(6, "incident.escalated", "g-1", { level: 1, round: 0, lateByMs: 0 });
  t.add(6.01, "page.sent", "g-1", { user: "bob", channel: "slack", level: 1, round: 0 });
  t.add(7, "incident.acknowledged", "g-1", { via: "http", groupId: "g" }, "bob");
  t.add(8, "silence.created", "s1", { channel: "cli", silence: { matchers: [{ name: "alertname", op: "=", value: "noisy" }], endsAtMs: 0, comment: "x" } }, "carol");
  t.fired(8.5, "C", "noisy");
  t.notified(9, "h", 1, "db", "root.0", { muted: [{ fingerprint: "C", by: ["s1"] }] });
  t.resolved(10, "A", "db-down");
  t.notified(11, "g", 2, "db", "root.0", { firing: ["B"], resolved: ["A"] });
  t.add(11.5, "rules.changed", "db-down", { ruleId: "db-down" });
  t.resolved(12, "B", "db-down");
  t.add(13.01, "incident.resolved", "g-1", { via: "system", reason: "every alert of the group resolved" });
  t.notified(13, "g", 3, "db", "root.0", { resolved: ["B"] });
  t.fired(60, "A", "db-down");
  t.notified(61, "g", 4, "db", "root.0", { firing: ["A"] });
  t.opened(61.01, "g", 4);
  t.add(61.02, "page.sent", "g-4", { user: "alice", channel: "slack", level: 0, round: 0 });
  return t;
}

const actions = (records: Array<{ action: string; subject?: string }>): string[] => records.map((r) => `${r.action} ${r.subject ?? ""}`.trim());

describe("buildTimeline", () => {
  test("an alert: every firing, the notifications carrying it, the incidents they opened with their pages and acks, in time order", () => {
    const timeline = buildTimeline(trail().records, "A");
    assert.equal(timeline?.kind, "alert");
    assert.deepEqual(timeline?.incidents, ["g-1", "g-4"]);
    assert.deepEqual(actions(timeline?.records ?? []), [
      "alert.fired A",
      "group.notified g",
      "incident.opened g-1",
      "page.sent g-1",
      "incident.escalated g-1",
      "page.sent g-1",
      "incident.acknowledged g-1",
      "alert.resolved A",
      "group.notified g",
      "incident.resolved g-1",
      "alert.fired A",
      "group.notified g",
      "incident.opened g-4",
      "page.sent g-4",
    ]);
  });

  test("an incident: its group's notifications and its alerts' episodes until the group's next incident", () => {
    const timeline = buildTimeline(trail().records, "g-1");
    assert.equal(timeline?.kind, "incident");
    assert.deepEqual(timeline?.fingerprints, ["A", "B"]);
    assert.deepEqual(actions(timeline?.records ?? []), [
      "alert.fired A",
      "alert.fired B",
      "group.notified g",
      "incident.opened g-1",
      "page.sent g-1",
      "incident.escalated g-1",
      "page.sent g-1",
      "incident.acknowledged g-1",
      "alert.resolved A",
      "group.notified g",
      "alert.resolved B",
      "group.notified g",
      "incident.resolved g-1",
    ]);
    assert.deepEqual(formatTimeline(timeline!).slice(0, 1), ["incident g-1 (alerts A, B)"]);
    assert.match(formatTimeline(timeline!)[8] ?? "", /incident\.acknowledged\s+acknowledged by bob via http$/);
  });

  test("a silenced alert shows the silence that muted it", () => {
    assert.deepEqual(actions(buildTimeline(trail().records, "C")?.records ?? []), ["silence.created s1", "alert.fired C", "group.notified h"]);
  });

  test("an id no record knows gives nothing", () => {
    assert.equal(buildTimeline(trail().records, "nope"), undefined);
  });
});
