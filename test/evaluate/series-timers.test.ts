import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { DeadlineQueue } from "../../src/core/deadline-queue.js";
import { SeriesTimers } from "../../src/evaluate/series-timers.js";
import { prng } from "../support/random.js";

/** Pop everything due at or before `nowMs`, as [due, owner, item]. */
function drain(timers: SeriesTimers<string, number>, nowMs: number): Array<[number, string, number]> {
  const out: Array<[number, string, number]> = [];
  while (timers.popDue(nowMs)) out.push([timers.poppedDueMs, timers.poppedOwner as string, timers.poppedItem as number]);
  return out;
}

describe("SeriesTimers", () => {
  test("pops only what is due, earliest first, with its owner and item", () => {
    const timers = new SeriesTimers<string, number>();
    for (const [due, owner, item] of [[50, "e", 5], [10, "a", 1], [40, "d", 4], [20, "b", 2], [30, "c", 3]] as const) timers.push(due, owner, item);
    assert.equal(timers.size, 5);
    assert.equal(timers.peekDue(), 10);
    assert.equal(timers.popDue(9), false);
    assert.deepEqual(drain(timers, 30), [[10, "a", 1], [20, "b", 2], [30, "c", 3]]);
    assert.deepEqual(drain(timers, 1000), [[40, "d", 4], [50, "e", 5]]);
    assert.equal(timers.peekDue(), undefined);
    timers.push(7, "f", 6);
    timers.clear();
    assert.equal(timers.size, 0);
    assert.equal(timers.popDue(Number.POSITIVE_INFINITY), false);
  });

  // Ticks report transitions in pop order, so ties must come out exactly as core's DeadlineQueue gives them.
  test("pops in exactly DeadlineQueue's order, ties included, over random pushes and pops", () => {
    const random = prng(11);
    const timers = new SeriesTimers<string, number>();
    const reference = new DeadlineQueue<{ owner: string; item: number }>();
    let now = 0;
    for (let round = 0; round < 200; round++) {
      for (let i = 0, n = Math.floor(random() * 20); i < n; i++) {
        // Few distinct due times, so that many entries tie.
        const due = now + Math.floor(random() * 10);
        const owner = `rule-${Math.floor(random() * 5)}`;
        const item = round * 100 + i;
        timers.push(due, owner, item);
        reference.push(due, { owner, item });
      }
      now += Math.floor(random() * 6);
      const expected: Array<[number, string, number]> = [];
      for (let e = reference.popDue(now); e; e = reference.popDue(now)) expected.push([e.dueMs, e.item.owner, e.item.item]);
      assert.deepEqual(drain(timers, now), expected);
      assert.equal(timers.size, reference.size);
    }
  });
});
