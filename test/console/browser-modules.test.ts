import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CONSOLE_ASSETS_DIR } from "../../src/http/console/static-assets.js";

// The console's pure modules are plain browser ES modules without DOM access; Node imports them as they are.
interface Bucket {
  startMs: number;
  endMs: number;
}
interface AuditRecord {
  action: string;
  actor: string;
  timeMs: number;
  subject?: string;
  details: Record<string, unknown>;
}
interface ResponseTimesModule {
  timeBuckets(fromMs: number, toMs: number, unit: "hour" | "day"): Bucket[];
  alertVolume(records: AuditRecord[], buckets: Bucket[]): number[];
  responseTimes(records: AuditRecord[], buckets: Bucket[]): {
    mtta: Array<number | null>;
    mttr: Array<number | null>;
    totals: { opened: number; acknowledged: number; resolved: number; mtta: number | null; mttr: number | null };
  };
}
interface Card {
  key: string;
  state: string;
  severity: string;
  firingCount: number;
  sinceMs: number;
  alerts: Array<{ fingerprint: string }>;
  incident: { id: string } | null;
  pages: Array<{ id: string }>;
}
interface BoardModule {
  buildBoard(input: { board: AlertBoard; incidents: unknown[]; pages: unknown[] }): Card[];
  pagesByPerson(pages: unknown[]): Array<{ user: string; pages: Array<{ channel: string }> }>;
}

import type { AlertBoard } from "../../src/alerts/alert-board.js";

const load = async <T>(path: string): Promise<T> => (await import(new URL(path, `file://${CONSOLE_ASSETS_DIR}`).href)) as T;

const record = (action: string, timeMs: number, subject?: string): AuditRecord => ({ action, actor: "engine", timeMs, details: {}, ...(subject && { subject }) });

describe("console: alert volume and MTTA/MTTR from audit records", () => {
  test("counts alerts and averages response times per bucket, by when the incident opened", async () => {
    const { alertVolume, responseTimes } = await load<ResponseTimesModule>("views/response-times.js");
    const buckets = [
      { startMs: 0, endMs: 1000 },
      { startMs: 1000, endMs: 2000 },
    ];
    const records = [
      record("alert.fired", 50, "fp1"),
      record("alert.fired", 150, "fp2"),
      record("alert.fired", 1500, "fp3"),
      record("alert.fired", 2500, "fp4"), // after the range
      record("incident.opened", 100, "a"),
      record("incident.acknowledged", 400, "a"),
      record("incident.resolved", 900, "a"),
      record("incident.opened", 1200, "b"),
      record("incident.acknowledged", 1300, "b"),
      record("incident.acknowledged", 1700, "b"), // acknowledged again after an ack timeout: the first one counts
      record("incident.opened", -50, "c"), // opened before the range: not measured here
      record("incident.acknowledged", 10, "c"),
    ];
    assert.deepEqual(alertVolume(records, buckets), [2, 1]);
    const times = responseTimes(records, buckets);
    assert.deepEqual(times.mtta, [300, 100]);
    assert.deepEqual(times.mttr, [800, null], "a bucket without a resolved incident is a gap, not zero");
    assert.deepEqual(times.totals, { opened: 2, acknowledged: 2, resolved: 1, mtta: 200, mttr: 800 });
  });

  test("daily buckets follow the viewer's calendar across a daylight-saving change", async () => {
    const { timeBuckets } = await load<ResponseTimesModule>("views/response-times.js");
    const zone = process.env.TZ;
    process.env.TZ = "Europe/Berlin";
    try {
      const days = timeBuckets(Date.parse("2026-03-28T10:00:00+01:00"), Date.parse("2026-03-30T10:00:00+02:00"), "day");
      assert.deepEqual(
        days.map((b) => [new Date(b.startMs).toISOString(), (b.endMs - b.startMs) / 3_600_000]),
        [
          ["2026-03-27T23:00:00.000Z", 24],
          ["2026-03-28T23:00:00.000Z", 23],
          ["2026-03-29T22:00:00.000Z", 24],
        ],
      );
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });
});

describe("console: the alert board", () => {
  const alert = (fingerprint: string, severity: string, startsAtMs: number) => ({ fingerprint, status: "firing" as const, labels: { alertname: fingerprint, severity }, annotations: {}, startsAtMs, mutedBy: [] });
  type Row = ReturnType<typeof alert>;
  // A group as GET /api/v1/board gives it: the rows come worst severity first, then oldest; the count covers them all.
  const rows = (alerts: Row[], firingCount = alerts.length) => ({ firingCount, oldestStartsAtMs: alerts.length === 0 ? null : Math.min(...alerts.map((a) => a.startsAtMs)), alerts });
  const group = (id: string, alerts: Row[], firingCount?: number) => ({
    group: { id, routeId: "root", receiver: "ops", groupLabels: { alertname: id }, createdAtMs: 0, nextFlushAtMs: 0, hasFlushed: true, notificationCount: 1 },
    ...rows(alerts, firingCount),
  });
  const incident = (id: string, groupId: string, state: string, openedAtMs: number) => ({ id, groupId, state, openedAtMs, title: id, level: 0, round: 0 });

  test("one card per group as notified, paging incidents first, worst severity next, oldest first", async () => {
    const { buildBoard } = await load<BoardModule>("views/board.js");
    const cards = buildBoard({
      board: {
        groups: [group("g-disk", [alert("disk", "warning", 10)]), group("g-db", [alert("db", "critical", 20)]), group("g-cpu", [alert("cpu", "critical", 5)]), group("g-quiet", [])],
        ungrouped: rows([alert("loose", "info", 30)]),
      },
      incidents: [incident("i-db", "g-db", "acknowledged", 21), incident("i-disk", "g-disk", "triggered", 11), incident("i-gone", "g-removed", "triggered", 2), incident("i-done", "g-quiet", "resolved", 1)],
      pages: [{ id: "p1", incidentId: "i-disk", user: "alice", channel: "slack", dueAtMs: 11 }],
    });
    assert.deepEqual(
      cards.map((c) => [c.key, c.state, c.severity, c.alerts.map((a) => a.fingerprint).join(",")]),
      [
        ["i-gone", "triggered", "critical", ""], // an open incident whose group is gone still needs someone
        ["g-disk", "triggered", "warning", "disk"],
        ["g-cpu", "firing", "critical", "cpu"], // firing without an incident (a receiver without a policy)
        ["ungrouped", "firing", "info", "loose"],
        ["g-db", "acknowledged", "critical", "db"],
      ],
    );
    assert.deepEqual(cards.find((c) => c.key === "g-disk")?.pages.map((p) => p.id), ["p1"]);
    assert.ok(!cards.some((c) => c.key === "g-quiet"), "a group with nothing firing and its incident resolved is gone from the board");
  });

  test("a storm's group of 150,000 alerts is one card with its count, its first rows and its oldest start", async () => {
    const { buildBoard } = await load<BoardModule>("views/board.js");
    const shown = Array.from({ length: 50 }, (_, i) => alert(`a${i}`, "warning", 1_000 + i));
    const storm = { ...group("g-storm", shown, 150_000), oldestStartsAtMs: 7 };
    const cards = buildBoard({ board: { groups: [storm], ungrouped: rows([]) }, incidents: [], pages: [] });
    assert.equal(cards.length, 1);
    assert.equal(cards[0]?.firingCount, 150_000);
    assert.deepEqual(cards[0]?.alerts.map((a) => a.fingerprint), shown.map((a) => a.fingerprint), "the rows as the engine chose them");
    assert.equal(cards[0]?.sinceMs, 7, "since the oldest alert of the group, listed or not");
  });

  test("pages are listed per person, in the order they were due", async () => {
    const { pagesByPerson } = await load<BoardModule>("views/board.js");
    const people = pagesByPerson([
      { user: "alice", channel: "sms", dueAtMs: 120 },
      { user: "bob", channel: "slack", dueAtMs: 300 },
      { user: "alice", channel: "slack", dueAtMs: 0 },
    ]);
    assert.deepEqual(people.map((p) => [p.user, p.pages.map((x) => x.channel)]), [["alice", ["slack", "sms"]], ["bob", ["slack"]]]);
  });
});
