import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { InternPool } from "../../src/core/intern-pool.js";

describe("InternPool", () => {
  test("hands back the first value pooled under a key", () => {
    const pool = new InternPool<{ rule: string }>(10);
    const first = { rule: "HostDown" };
    assert.equal(pool.intern("HostDown", first), first);
    const again = pool.intern("HostDown", { rule: "HostDown" });
    assert.equal(again, first, "the same object, not an equal one");
    assert.notEqual(pool.intern("DiskFull", { rule: "DiskFull" }), first);
  });

  test("never holds more than its capacity, and pools again what recurs after starting afresh", () => {
    const pool = new InternPool<{ n: number }>(100);
    for (let i = 0; i < 1_000; i++) {
      pool.intern(`key-${i}`, { n: i });
      assert.ok(pool.size <= 100, `size ${pool.size} after ${i + 1} keys`);
    }
    const recurring = pool.intern("service", { n: -1 });
    assert.equal(pool.intern("service", { n: -2 }), recurring);
  });
});
