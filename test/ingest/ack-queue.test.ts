import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AckQueue } from "../../src/ingest/ack-queue.js";
import { AppliedSequences } from "../../src/ingest/applied-sequences.js";

function message(seq: number, acked: string[], tag = "") {
  return { seq, ack: () => acked.push(`${seq}${tag}`) };
}

describe("AckQueue", () => {
  test("acknowledges in the order messages were taken, each only once everything before it is settled", () => {
    const acked: string[] = [];
    const queue = new AckQueue<ReturnType<typeof message>>();
    const settle1 = queue.track(message(1, acked));
    const settle2 = queue.track(message(2, acked));
    const settle3 = queue.track(message(3, acked));
    settle3();
    settle2();
    assert.deepEqual(acked, [], "1 is still in flight: nothing after it may be acked");
    settle1();
    assert.deepEqual(acked, ["1", "2", "3"]);
    assert.equal(queue.size, 0);
  });

  test("a redelivery of a message still waiting is acked through its newest copy", () => {
    const acked: string[] = [];
    const queue = new AckQueue<ReturnType<typeof message>>();
    const settle = queue.track(message(7, acked, "a"));
    assert.equal(queue.refresh(message(7, acked, "b")), true);
    assert.equal(queue.refresh(message(8, acked)), false, "unknown messages are the caller's to ack");
    settle();
    assert.deepEqual(acked, ["7b"]);
  });
});

describe("AppliedSequences", () => {
  test("tracks a floor and out-of-order ranges, merging them as gaps fill", () => {
    const applied = new AppliedSequences();
    for (const seq of [1, 2, 5, 6, 9]) applied.add(seq);
    assert.deepEqual(applied.toJSON(), { floor: 2, ranges: [[5, 6], [9, 9]] });
    assert.equal(applied.has(4), false);
    assert.equal(applied.has(6), true);
    applied.add(3);
    applied.add(4);
    assert.deepEqual(applied.toJSON(), { floor: 6, ranges: [[9, 9]] });
    applied.add(8);
    applied.add(7);
    assert.deepEqual(applied.toJSON(), { floor: 9, ranges: [] });
  });

  test("raising the floor absorbs ranges below it; a round trip keeps everything", () => {
    const applied = AppliedSequences.from({ floor: 10, ranges: [[12, 14], [20, 21]] });
    applied.raiseFloor(13);
    assert.deepEqual(applied.toJSON(), { floor: 14, ranges: [[20, 21]] });
    assert.equal(applied.has(15), false);
    assert.deepEqual(AppliedSequences.from(applied.toJSON()).toJSON(), applied.toJSON());
  });
});
