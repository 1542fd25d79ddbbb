import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { setImmediate as nextMacrotask } from "node:timers/promises";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { AckQueue } from "../../src/ingest/ack-queue.js";
import { AppliedSequences } from "../../src/ingest/applied-sequences.js";

// Whether the queue still holds a message is seen through a WeakRef after a full collection, through the gc function
// V8 hands out when asked.
setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;

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

describe("AckQueue, batched", () => {
  test("with a schedule, the acks settled before the flush leave together, in order", () => {
    const acked: string[] = [];
    const flushes: Array<() => void> = [];
    const queue = new AckQueue<ReturnType<typeof message>>({ schedule: (flush) => flushes.push(flush) });
    const settles = [1, 2, 3].map((seq) => queue.track(message(seq, acked)));
    for (const settle of settles) settle();
    assert.deepEqual(acked, [], "nothing before the scheduled flush");
    assert.equal(flushes.length, 1, "one flush scheduled for the three");
    flushes[0]?.();
    assert.deepEqual(acked, ["1", "2", "3"]);
  });

  test("cumulative: one ack of the last settled message of the run settles the run (AckPolicy.All)", () => {
    const acked: string[] = [];
    const queue = new AckQueue<ReturnType<typeof message>>({ cumulative: true });
    const first = queue.track(message(1, acked));
    const second = queue.track(message(2, acked));
    const third = queue.track(message(3, acked));
    second();
    assert.deepEqual(acked, [], "1 unsettled: acking 2 would settle 1 too");
    first();
    assert.deepEqual(acked, ["2"], "one ack for 1 and 2");
    third();
    assert.deepEqual(acked, ["2", "3"]);
    assert.equal(queue.size, 0);
  });

  test("cumulative: no ack passes a message an earlier holder took until it has come back and been settled", () => {
    const acked: string[] = [];
    const queue = new AckQueue<ReturnType<typeof message>>({ cumulative: true });
    // The previous holder took 4 and 6 and died; this one starts with 7, 8.
    queue.awaitRedelivery([4, 6]);
    queue.track(message(3, acked))();
    assert.deepEqual(acked, ["3"], "below every awaited message: acked at once");
    queue.track(message(7, acked))();
    queue.track(message(8, acked))();
    assert.deepEqual(acked, ["3"], "acking 8 would settle 4 and 6 unread");
    queue.track(message(4, acked))(); // redelivered after its ack wait
    assert.deepEqual(acked, ["3"], "6 is still out");
    const sixth = queue.track(message(6, acked));
    assert.deepEqual(acked, ["3"], "6 is back but not settled yet");
    sixth();
    assert.deepEqual(acked, ["3", "8"], "one ack settles the run once every awaited message is in");
    assert.deepEqual(queue.awaiting(), []);
  });

  test("cumulative: giving up on awaited messages releases the acks held for them; explicit acks never wait", () => {
    const acked: string[] = [];
    const queue = new AckQueue<ReturnType<typeof message>>({ cumulative: true });
    queue.awaitRedelivery([5]);
    queue.track(message(9, acked))();
    assert.deepEqual(acked, []);
    assert.deepEqual(queue.awaiting(true), [5]);
    assert.deepEqual(acked, ["9"]);
    const explicit = new AckQueue<ReturnType<typeof message>>();
    const explicitAcks: string[] = [];
    explicit.awaitRedelivery([5]);
    explicit.track(message(9, explicitAcks))();
    assert.deepEqual(explicitAcks, ["9"], "an explicit ack settles only its own message");
  });

  test("after discard (a crash), nothing is acked; an ack that throws is reported, not raised", () => {
    const acked: string[] = [];
    const flushes: Array<() => void> = [];
    const queue = new AckQueue<ReturnType<typeof message>>({ schedule: (flush) => flushes.push(flush) });
    queue.track(message(1, acked))();
    queue.discard();
    flushes[0]?.();
    assert.deepEqual(acked, []);

    const errors: unknown[] = [];
    const failing = new AckQueue<{ seq: number; ack(): void }>({ onAckError: (e) => errors.push(e) });
    failing.track({ seq: 1, ack: () => { throw new Error("connection closed"); } })();
    assert.equal(errors.length, 1);
  });

  test("lets go of every message it has acknowledged at once, not at its next compaction", async () => {
    for (const cumulative of [true, false]) {
      const queue = new AckQueue<{ seq: number; ack(): void }>({ cumulative });
      const acked: number[] = [];
      // Fewer than the 1,024 settled entries that make the queue compact: only letting go of each one frees them.
      const refs = trackAndSettle(queue, 500, acked);
      const settleLast = queue.track({ seq: 501, ack: () => acked.push(501) }, 501);
      assert.equal(acked.at(-1), 500, "everything settled is acknowledged");
      // A WeakRef holds its target until the job that made it ends.
      await nextMacrotask();
      collectGarbage();
      const kept = refs.filter((ref) => ref.deref() !== undefined).length;
      assert.equal(kept, 0, `${cumulative ? "cumulative" : "explicit"} acks: ${kept} of 500 acknowledged messages are still held`);
      settleLast();
      assert.equal(acked.at(-1), 501, "a message still in flight is kept and acknowledged when settled");
    }
  });
});

/**
 * Messages 1..count, each tracked and settled at once; weak references to them. Made here rather than in the async
 * test, whose saved registers could hold the last one across its await.
 */
function trackAndSettle(queue: AckQueue<{ seq: number; ack(): void }>, count: number, acked: number[]): Array<WeakRef<object>> {
  const refs: Array<WeakRef<object>> = [];
  for (let seq = 1; seq <= count; seq++) {
    const m = { seq, ack: () => acked.push(seq) };
    refs.push(new WeakRef(m));
    queue.track(m, seq)();
  }
  return refs;
}
