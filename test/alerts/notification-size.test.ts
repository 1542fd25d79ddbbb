import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { AlertRecord, GroupNotification } from "../../src/alerts/dispatcher.types.js";
import { encodeNotification } from "../../src/alerts/notification-size.js";

function alert(i: number, summaryLength: number): AlertRecord {
  return { fingerprint: `fp${i}`, status: "firing", labels: { alertname: "log-error", source: `h${i}` }, annotations: { summary: "é".repeat(summaryLength) }, startsAtMs: 0 };
}

function notification(firing: AlertRecord[], muted = 0): GroupNotification {
  return {
    id: "g1:1", receiver: "ops", routeId: "root", groupId: "g1", groupLabels: { alertname: "log-error" }, reason: "first", status: "firing",
    firing, resolved: [], muted: Array.from({ length: muted }, (_, i) => ({ fingerprint: `m${i}`, by: ["s1"] })),
    firingCount: 5_000, resolvedCount: 0, mutedCount: muted, atMs: 0,
  };
}

const decode = (bytes: Uint8Array): GroupNotification => JSON.parse(new TextDecoder().decode(bytes)) as GroupNotification;

describe("encodeNotification", () => {
  test("a notification that fits is sent as it is", () => {
    const n = notification([alert(0, 10), alert(1, 10)], 3);
    const { sent, bytes } = encodeNotification(n, 10_000);
    assert.equal(sent, n);
    assert.deepEqual(decode(bytes), n);
  });

  test("one too big keeps the first half of each list until it fits (bytes, not characters), and keeps the counts", () => {
    // 100 alerts with 2,000 two-byte characters each: ~400 kB, four times the budget.
    const n = notification(Array.from({ length: 100 }, (_, i) => alert(i, 2_000)), 40);
    const { sent, bytes } = encodeNotification(n, 100_000);
    assert.ok(bytes.length <= 100_000, `${bytes.length} bytes`);
    assert.ok(JSON.stringify(sent).length < bytes.length, "measured in UTF-8 bytes");
    assert.deepEqual(decode(bytes), sent);
    assert.equal(sent.firing.length, 12, "100 → 50 → 25 → 12");
    assert.deepEqual(sent.firing.map((a) => a.fingerprint), n.firing.slice(0, 12).map((a) => a.fingerprint), "the first ones");
    assert.equal(sent.muted.length, 5, "40 → 20 → 10 → 5");
    assert.deepEqual([sent.firingCount, sent.mutedCount], [5_000, 40]);
    assert.deepEqual(encodeNotification(n, 100_000).bytes, bytes, "the same bytes every time (a retry, another replica)");
  });

  test("when even one alert is too big, the notification goes out with counts only", () => {
    const n = notification([alert(0, 50_000)]);
    const { sent, bytes } = encodeNotification(n, 10_000);
    assert.deepEqual(sent.firing, []);
    assert.equal(sent.firingCount, 5_000);
    assert.ok(bytes.length <= 10_000);
  });
});
