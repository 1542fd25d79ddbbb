import { test } from "node:test";
import assert from "node:assert/strict";
import { tally, type Delivery } from "../../scripts/chaos/tally.js";

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
