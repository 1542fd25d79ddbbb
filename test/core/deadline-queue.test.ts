import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { DeadlineQueue } from "../../src/core/deadline-queue.js";

/** Pop everything due at or before `nowMs`, as [due, item] pairs. */
function drain<T>(queue: DeadlineQueue<T>, nowMs: number): Array<[number, T]> {
  const out: Array<[number, T]> = [];
  while (queue.popDue(nowMs)) out.push([queue.poppedDueMs, queue.poppedItem as T]);
  return out;
}

describe("DeadlineQueue", () => {
  test("pops only what is due, earliest first", () => {
    const q = new DeadlineQueue<string>();
    for (const [due, item] of [[50, "e"], [10, "a"], [40, "d"], [20, "b"], [30, "c"]] as const) q.push(due, item);
    assert.equal(q.size, 5);
    assert.equal(q.peekDue(), 10);
    assert.equal(q.popDue(9), false);
    assert.deepEqual(drain(q, 30), [[10, "a"], [20, "b"], [30, "c"]]);
    assert.equal(q.peekDue(), 40);
    assert.deepEqual(drain(q, 1000), [[40, "d"], [50, "e"]]);
    assert.equal(q.size, 0);
    assert.equal(q.peekDue(), undefined);
  });

  test("keeps heap order over many random pushes and pops", () => {
    const q = new DeadlineQueue<number>();
    let seed = 7;
    const random = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % 1000;
    const dues: number[] = [];
    for (let i = 0; i < 500; i++) {
      const due = random();
      dues.push(due);
      q.push(due, i);
    }
    const first = drain(q, 499).map(([d]) => d);
    for (let i = 0; i < 200; i++) {
      const due = 500 + random();
      dues.push(due);
      q.push(due, i);
    }
    const rest = drain(q, Infinity).map(([d]) => d);
    assert.deepEqual([...first, ...rest], [...dues].sort((a, b) => a - b));
  });

  test("clear empties it", () => {
    const q = new DeadlineQueue<string>();
    q.push(1, "x");
    q.clear();
    assert.equal(q.size, 0);
    assert.equal(q.popDue(Infinity), false);
  });

  test("keeps an extra value with each entry, without an object per entry", () => {
    const q = new DeadlineQueue<number, string>();
    for (const [due, extra, item] of [[50, "e", 5], [10, "a", 1], [40, "d", 4], [20, "b", 2], [30, "c", 3]] as const) q.push(due, item, extra);
    const out: Array<[number, string, number]> = [];
    while (q.popDue(30)) out.push([q.poppedDueMs, q.poppedExtra as string, q.poppedItem as number]);
    assert.deepEqual(out, [[10, "a", 1], [20, "b", 2], [30, "c", 3]]);
    assert.equal(q.size, 2);
  });
});
