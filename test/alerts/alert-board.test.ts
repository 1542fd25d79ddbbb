import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { alertBoard, byFingerprint } from "../../src/alerts/alert-board.js";
import type { AlertRecord, GroupRecord } from "../../src/alerts/dispatcher.types.js";
import { prng } from "../support/random.js";

const alert = (fingerprint: string, severity: string, startsAtMs: number, status: AlertRecord["status"] = "firing"): AlertRecord => ({
  fingerprint,
  status,
  labels: { alertname: "a", severity },
  annotations: {},
  startsAtMs,
});

const group = (id: string, fingerprints: string[]): GroupRecord => ({
  id,
  routeId: "root",
  receiver: "ops",
  groupLabels: { alertname: id },
  fingerprints,
  createdAtMs: 0,
  nextFlushAtMs: 0,
  hasFlushed: true,
  notifiedFiring: fingerprints,
  notifiedResolved: [],
  notificationCount: 1,
});

describe("alertBoard", () => {
  test("counts each group's firing alerts and lists the first rows, worst severity then oldest; the rest are ungrouped", () => {
    const alerts = [
      alert("w-old", "warning", 10),
      alert("c-new", "critical", 50),
      alert("i", "info", 1),
      alert("c-old", "critical", 20),
      alert("gone", "critical", 0, "resolved"),
      alert("loose-1", "warning", 5),
      alert("loose-2", "critical", 7),
    ];
    const asked: string[] = [];
    const board = alertBoard(byFingerprint(alerts), [group("g1", ["w-old", "c-new", "i", "c-old", "gone"]), group("g-empty", ["gone"])], 3, (a) => {
      asked.push(a.fingerprint);
      return a.fingerprint === "c-old" ? ["silence-1"] : [];
    });
    const [g1, empty] = board.groups;
    assert.deepEqual(
      g1?.alerts.map((a) => a.fingerprint),
      ["c-old", "c-new", "w-old"],
    );
    assert.equal(g1?.firingCount, 4, "every firing member counts, listed or not; the resolved one does not");
    assert.equal(g1?.oldestStartsAtMs, 1, "the oldest of all firing members, listed or not");
    assert.deepEqual(g1?.alerts[0]?.mutedBy, ["silence-1"]);
    assert.equal(g1?.group.id, "g1");
    assert.ok(!("fingerprints" in (g1?.group ?? {})) && !("notifiedFiring" in (g1?.group ?? {})), "member lists stay out");
    assert.deepEqual([empty?.firingCount, empty?.oldestStartsAtMs, empty?.alerts], [0, null, []]);
    assert.deepEqual(
      board.ungrouped.alerts.map((a) => a.fingerprint),
      ["loose-2", "loose-1"],
    );
    assert.equal(board.ungrouped.firingCount, 2);
    assert.deepEqual(asked.sort(), ["c-new", "c-old", "loose-1", "loose-2", "w-old"], "mutes are looked up for the listed rows only");
  });

  test("a storm's group: the rows are the first of all its alerts in board order, as a full sort would give", () => {
    const random = prng(7);
    const severities = ["critical", "error", "warning", "info", "page"];
    const alerts = Array.from({ length: 20_000 }, (_, i) => alert(`fp${i}`, severities[Math.floor(random() * severities.length)] as string, Math.floor(random() * 1_000)));
    const rank = (a: AlertRecord): number => ({ critical: 0, error: 1, warning: 2, info: 3 })[a.labels.severity as string] ?? 4;
    const sorted = [...alerts].sort((a, b) => rank(a) - rank(b) || a.startsAtMs - b.startsAtMs || (a.fingerprint < b.fingerprint ? -1 : 1));
    for (const rows of [1, 50, 1_000]) {
      const board = alertBoard(byFingerprint(alerts), [group("storm", alerts.map((a) => a.fingerprint))], rows, () => []);
      assert.equal(board.groups[0]?.firingCount, 20_000);
      assert.deepEqual(
        board.groups[0]?.alerts.map((a) => a.fingerprint),
        sorted.slice(0, rows).map((a) => a.fingerprint),
        `${rows} rows`,
      );
      assert.equal(board.ungrouped.firingCount, 0);
    }
  });
});
