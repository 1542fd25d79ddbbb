import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { addExact, ExactAccumulator, exactValue, type ExactSum } from "../../src/evaluate/exact-sum.js";
import { SlidingWindow } from "../../src/evaluate/sliding-window.js";
import { prng } from "../support/random.js";

function sumOf(values: readonly number[], removed: readonly number[] = []): number {
  const parts: ExactSum = [];
  let count = 0;
  for (const v of values) count = addExact(parts, count, v);
  for (const v of removed) count = addExact(parts, count, -v);
  return exactValue(parts, count);
}

/** A finite double as an exact integer count of 2^-1074 (the smallest subnormal): sums of these are exact. */
function exact(value: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  const exponent = Number((bits >> 52n) & 0x7ffn);
  const fraction = bits & ((1n << 52n) - 1n);
  const magnitude = exponent === 0 ? fraction : (fraction | (1n << 52n)) << BigInt(exponent - 1);
  return bits >> 63n === 1n ? -magnitude : magnitude;
}

/** The double next to `value` towards +Infinity (`up`) or -Infinity. */
function next(value: number, up: boolean): number {
  if (value === 0) return up ? Number.MIN_VALUE : -Number.MIN_VALUE;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const bits = view.getBigUint64(0);
  view.setBigUint64(0, value > 0 === up ? bits + 1n : bits - 1n);
  return view.getFloat64(0);
}

const abs = (n: bigint): bigint => (n < 0n ? -n : n);

/** Doubles of every size, signs and fractions: where a running sum loses the small ones. */
function randomValues(random: () => number, count: number): number[] {
  return Array.from({ length: count }, () => {
    const magnitude = 10 ** Math.floor(random() * 32 - 16);
    return (random() < 0.5 ? -1 : 1) * magnitude * random();
  });
}

describe("exact sums", () => {
  test("the accumulator moves between two doubles and partials and back without losing anything", () => {
    const accumulator = new ExactAccumulator();
    for (const v of [0.1, 0.2, 0.3]) accumulator.add(v);
    assert.equal(accumulator.value, 0.6, "0.1 + 0.2 + 0.3 exactly is 0.6 to the nearest double (a running sum: 0.6000000000000001)");
    accumulator.add(1e16);
    accumulator.add(1e-16);
    assert.equal(accumulator.value, 1e16 + 0.6);
    for (const v of [1e16, 1e-16]) accumulator.add(-v);
    assert.equal(accumulator.value, 0.6);
    for (const v of [0.1, 0.2, 0.3]) accumulator.add(-v);
    assert.equal(accumulator.value, 0);
    accumulator.add(Number.MAX_VALUE);
    accumulator.add(Number.MAX_VALUE);
    assert.ok(!Number.isFinite(accumulator.value), "an overflow is no number, for the window to sum afresh");
    accumulator.reset();
    accumulator.add(2.5);
    assert.equal(accumulator.value, 2.5);
  });

  test("known cases a running sum gets wrong", () => {
    assert.equal(sumOf(Array(10).fill(0.1)), 1);
    assert.equal(sumOf([1e16, 1, 1]), 10000000000000002);
    assert.equal(sumOf([1e100, 1, -1e100, 1]), 2);
    // Halfway between two doubles, nudged up by a partial far below: rounded up, as math.fsum does.
    assert.equal(sumOf([1e-16, 1, 1e16]), 10000000000000002);
    // What leaves takes only itself: the 1 that 1e16 had swallowed is still there.
    assert.equal(sumOf([1e16, 1], [1e16]), 1);
    assert.equal(sumOf([0.1, 0.2, 0.3], [0.1, 0.2, 0.3]), 0);
    assert.equal(sumOf([]), 0);
  });

  test("the sum is the exact sum correctly rounded, whatever the order values came and went in", () => {
    const random = prng(17);
    for (let round = 0; round < 300; round++) {
      const values = randomValues(random, 1 + Math.floor(random() * 40));
      const removed = values.filter(() => random() < 0.3);
      const kept = [...values];
      for (const v of removed) kept.splice(kept.indexOf(v), 1);
      const got = sumOf(values, removed);
      const truth = kept.reduce((n, v) => n + exact(v), 0n);
      const error = abs(truth - exact(got));
      assert.ok(error <= abs(truth - exact(next(got, true))) && error <= abs(truth - exact(next(got, false))), `round ${round}: ${got} is not the double nearest the exact sum of ${JSON.stringify(kept)}`);
      const shuffled = [...kept].sort(() => random() - 0.5);
      assert.equal(sumOf(shuffled), got, `round ${round}: another order, the same sum`);
      // The accumulator (two doubles while they suffice, partials when not) says the same, added and taken away
      // interleaved, as a window does.
      const accumulator = new ExactAccumulator();
      const leaving = [...removed];
      for (const v of values) {
        accumulator.add(v);
        if (leaving.length > 0 && random() < 0.3) accumulator.add(-(leaving.shift() as number));
      }
      for (const v of leaving) accumulator.add(-v);
      assert.equal(accumulator.value, got, `round ${round}: the accumulator`);
    }
  });
});

describe("a sliding window's sums", () => {
  test("a live window and one rebuilt from its samples (a restore) give the same figures to the bit", () => {
    const random = prng(29);
    let compared = 0;
    for (let round = 0; round < 50; round++) {
      const live = new SlidingWindow(60_000);
      let t = 0;
      // A counter-like series with resets and values of every size: sums, averages and rates all move.
      for (const value of randomValues(random, 400)) {
        t += Math.floor(random() * 2_000);
        live.add(t, Math.abs(value));
        live.evict(t);
        const restored = SlidingWindow.fromSamples(60_000, live.samples());
        for (const kind of ["sum", "avg", "rate"] as const) {
          assert.equal(live.aggregate(kind, "metric"), restored.aggregate(kind, "metric"), `round ${round} at ${t} ms: ${kind}`);
          compared++;
        }
      }
    }
    assert.equal(compared, 50 * 400 * 3);
  });

  test("a large sample that leaves takes only itself with it", () => {
    const window = new SlidingWindow(10_000);
    window.add(0, 1e16);
    window.add(1_000, 1);
    window.add(2_000, 2.5);
    window.evict(10_000);
    assert.equal(window.aggregate("sum", "metric"), 3.5);
    assert.equal(window.aggregate("avg", "metric"), 1.75);
    // Increase: 1e16 → 1 is a counter reset (counted as 1), 1 → 2.5 adds 1.5; the first step left with 1e16.
    assert.equal(window.aggregate("rate", "metric"), 1.5 / 10);
  });

  test("a window keeps only the sums its rule's aggregate reads, and still answers the others from its samples", () => {
    for (const aggregate of ["count", "sum", "avg", "min", "max", "rate"] as const) {
      const window = new SlidingWindow(10_000, aggregate);
      const everything = new SlidingWindow(10_000);
      for (const [t, v] of [[0, 5], [1_000, 0.1], [2_000, 0.2], [3_000, 1e16], [4_000, 3], [12_500, 0.7]] as const) {
        window.add(t, v);
        everything.add(t, v);
        window.evict(t);
        everything.evict(t);
        for (const kind of ["count", "sum", "avg", "min", "max", "rate"] as const) {
          assert.equal(window.aggregate(kind, "metric"), everything.aggregate(kind, "metric"), `${aggregate} window asked for ${kind} at ${t} ms`);
        }
      }
    }
  });

  test("samples near the largest double: the sum says Infinity while they overflow it, and recovers when they leave", () => {
    const window = new SlidingWindow(10_000);
    window.add(0, Number.MAX_VALUE);
    window.add(1_000, Number.MAX_VALUE);
    assert.equal(window.aggregate("sum", "metric"), Number.POSITIVE_INFINITY);
    window.add(2_000, 3);
    window.evict(10_500);
    assert.equal(window.aggregate("sum", "metric"), Number.MAX_VALUE, "one of them left");
    window.evict(11_500);
    assert.equal(window.aggregate("sum", "metric"), 3, "both left");
  });
});
