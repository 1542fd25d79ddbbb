import { test } from "node:test";
import assert from "node:assert/strict";
import { owedFirings, tally, type Delivery } from "../../scripts/chaos/tally.js";

const base = { channels: ["slack", "sms"], kills: 0, natsRestarts: 0, publishRetries: 0, groupWaitMs: 1_000 };
const page = (source: string, channel: string, atMs: number, copyKey?: string): Delivery => ({ source, channel, atMs, ...(copyKey ? { copyKey } : {}) });

test("an alert that fired twice is owed a page per firing and channel, paired with its firings in order", () => {
  const fired = [
    { source: "chaos-0", firedAtMs: 0 },
    { source: "chaos-1", firedAtMs: 100 },
    { source: "chaos-0", firedAtMs: 50_000 },
  ];
  const deliveries = [page("chaos-0", "slack", 1_500), page("chaos-0", "slack", 52_000), page("chaos-0", "sms", 1_200), page("chaos-1", "slack", 1_100), page("chaos-1", "sms", 1_100)];
  const report = tally({ ...base, fired, deliveries });
  assert.equal(report.expected, 6);
  assert.equal(report.delivered, 5);
  assert.deepEqual(report.lostPages, ["chaos-0/sms"], "the second firing's SMS never came");
  assert.equal(report.duplicated, 0);
  // Lateness beyond group_wait, each page against its own firing: 500, 1,000, 200, 0 and 0 ms.
  assert.equal(report.lateness.maxMs, 1_000);
  // Per channel: Slack's pages were 500, 1,000 and 0 ms late, SMS's 200 and 0.
  assert.deepEqual(report.latenessByChannel, { slack: { p50Ms: 500, p99Ms: 1_000, maxMs: 1_000 }, sms: { p50Ms: 200, p99Ms: 200, maxMs: 200 } });
  // Over the run (0 to 50 s in tenths of 5 s): the first tenth holds the first firings' four pages, the last the second firing's one.
  assert.equal(report.latenessOverRun.length, 10);
  assert.deepEqual(report.latenessOverRun[0], { from: new Date(0).toISOString().slice(11, 19), p50Ms: 200, p99Ms: 500, maxMs: 500 });
  assert.deepEqual(report.latenessOverRun[9], { from: new Date(45_000).toISOString().slice(11, 19), p50Ms: 1_000, p99Ms: 1_000, maxMs: 1_000 });
  assert.equal(report.latenessOverRun[5]?.maxMs, 0, "no firing in the middle of the run");
});

test("a page more than the firings is a duplicate; copies of one e-mail count once", () => {
  const fired = [{ source: "chaos-0", firedAtMs: 0 }];
  const deliveries = [page("chaos-0", "slack", 1_100), page("chaos-0", "slack", 1_300), page("chaos-0", "sms", 1_100, "<m1>"), page("chaos-0", "sms", 1_400, "<m1>")];
  const report = tally({ ...base, fired, deliveries });
  assert.equal(report.lost, 0);
  assert.equal(report.duplicated, 1);
  assert.deepEqual(report.duplicatedPages, ["chaos-0/slack ×2"]);
  assert.equal(report.delivered, 3);
});

test("a second firing is owed pages only if the first one's resolve was told before it", () => {
  const fired = [
    { source: "chaos-0", firedAtMs: 0 },
    { source: "chaos-5", firedAtMs: 100 },
    { source: "chaos-0", firedAtMs: 40_000 },
    { source: "chaos-5", firedAtMs: 40_100 },
  ];
  // chaos-0's first episode (started at 0) was told resolved; chaos-5's never was (a later episode's resolve was).
  const { owed, continued } = owedFirings(fired, [
    { source: "chaos-0", startsAtMs: 0 },
    { source: "chaos-5", startsAtMs: 40_100 },
  ]);
  assert.deepEqual(owed.map((f) => `${f.source}@${f.firedAtMs}`), ["chaos-0@0", "chaos-5@100", "chaos-0@40000"]);
  assert.deepEqual(continued.map((f) => `${f.source}@${f.firedAtMs}`), ["chaos-5@40100"]);
});
