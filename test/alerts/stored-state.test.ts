import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { GroupRecord } from "../../src/alerts/dispatcher.types.js";
import { fromStored, splitStoredGroup, toStoredGroup, TOLD_PART_SIZE, type StoredToldPart } from "../../src/alerts/stored-state.js";

function group(told: number): GroupRecord {
  return {
    id: "g1", routeId: "root", receiver: "ops", groupLabels: { alertname: "InstanceDown" }, fingerprints: [], createdAtMs: 1, nextFlushAtMs: 2,
    hasFlushed: true, lastNotifiedAtMs: 2, notifiedFiring: Array.from({ length: told }, (_, i) => `fp${i}`), notifiedResolved: [], notificationCount: 1,
  };
}

const json = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe("stored groups", () => {
  test("a group with a short told list is one record, as before", () => {
    const stored = toStoredGroup(group(TOLD_PART_SIZE));
    const { record, parts } = splitStoredGroup(stored);
    assert.equal(record, stored);
    assert.deepEqual(parts, []);
    assert.equal(fromStored([], [json(record)]).groups[0]?.notifiedFiring.length, TOLD_PART_SIZE);
  });

  test("a long told list goes in parts; the record keeps its start and the count; loading puts it together in order", () => {
    const original = group(2 * TOLD_PART_SIZE + 7);
    const { record, parts } = splitStoredGroup(toStoredGroup(original));
    assert.equal(record.toldParts, 3);
    assert.deepEqual(record.notifiedFiring, original.notifiedFiring.slice(0, 100));
    assert.deepEqual(parts.map((p) => [p.part, p.fingerprints.length]), [[0, TOLD_PART_SIZE], [1, TOLD_PART_SIZE], [2, 7]]);
    assert.ok(JSON.stringify(record).length < 10_000, "the record stays small");
    const loaded = fromStored([], [json(record)], json([...parts].reverse())).groups[0];
    assert.deepEqual(loaded?.notifiedFiring, original.notifiedFiring);
    assert.equal((loaded as unknown as Record<string, unknown>).toldParts, undefined, "the count is the store's, not the dispatcher's");
  });

  test("parts beyond the count (left from a longer list) are ignored; a missing part loses only its own entries", () => {
    const original = group(2 * TOLD_PART_SIZE);
    const { record, parts } = splitStoredGroup(toStoredGroup(original));
    const stale: StoredToldPart = { group: "g1", part: 2, fingerprints: ["old-1", "old-2"] };
    const other: StoredToldPart = { group: "g2", part: 0, fingerprints: ["other"] };
    assert.deepEqual(fromStored([], [record], [...parts, stale, other]).groups[0]?.notifiedFiring, original.notifiedFiring);
    const withoutFirst = fromStored([], [record], [parts[1] as StoredToldPart]).groups[0]?.notifiedFiring ?? [];
    assert.deepEqual(withoutFirst, [...original.notifiedFiring.slice(0, 100), ...original.notifiedFiring.slice(TOLD_PART_SIZE)]);
  });
});
