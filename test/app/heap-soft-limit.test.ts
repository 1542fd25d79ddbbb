import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { HeapSoftLimit, MIN_GROWTH_PERCENT, growthPercentFor, setHeapGrowthPercent } from "../../src/app/heap-soft-limit.js";
import { parseConfig } from "../../src/config/index.js";

const run = promisify(execFile);
const MIB = 1024 * 1024;

/**
 * A child process that starts a HeapSoftLimit as `klaxon run` does (0: none), then builds up `liveMb` of live data
 * while it makes garbage that lives long enough to reach the old generation (as messages in flight do in a storm).
 * Prints its peak RSS, sampled as it goes, and its live heap at the end (after a last look), in MiB.
 */
async function memoryOf(softLimitMb: number, liveMb: number): Promise<{ peakRssMb: number; heapUsedMb: number }> {
  const script = `
    import { HeapSoftLimit } from "./src/app/heap-soft-limit.ts";
    new HeapSoftLimit(${softLimitMb}, { debug() {}, info() {} }).start();
    const live = [];
    const recent = new Array(200_000);
    let peak = 0;
    // ~100 bytes per live entry.
    const entries = ${liveMb} * 1024 * 1024 / 100;
    for (let i = 0; i < entries; i++) {
      live.push({ id: "alert-" + i, at: i * 1.5 });
      for (let j = 0; j < 10; j++) recent[(i * 10 + j) % recent.length] = { seq: [i, j], text: "event " + j };
      if (i % 2_000 === 0) { peak = Math.max(peak, process.memoryUsage.rss()); await new Promise(setImmediate); }
    }
    console.log(JSON.stringify({ peakRssMb: peak / ${MIB}, heapUsedMb: process.memoryUsage().heapUsed / ${MIB} }));
  `;
  const { stdout } = await run(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: process.cwd() });
  return JSON.parse(stdout) as { peakRssMb: number; heapUsedMb: number };
}

describe("heap soft limit", () => {
  it("leaves a heap far under the limit to V8, and narrows the growth as the live heap nears it", () => {
    const limit = 160 * MIB;
    const steady = (liveMb: number): number => growthPercentFor({ atMs: 1_000, liveBytes: liveMb * MIB }, { atMs: 0, liveBytes: liveMb * MIB }, 5_000, limit);
    assert.equal(steady(30), 0, "even V8's largest growth (300%) stays under the limit: its own choice");
    assert.equal(steady(40), 0, "a quarter of the limit live: 300% reaches it, V8's own choice still");
    assert.equal(steady(80), 100, "half of it: up to the limit");
    assert.equal(steady(100), 60);
    assert.equal(steady(140), 14);
    assert.equal(steady(150), MIN_GROWTH_PERCENT, "6% of room: the least growth");
    assert.equal(steady(400), MIN_GROWTH_PERCENT, "past the limit: still collecting, never failing");
    assert.equal(growthPercentFor({ atMs: 1_000, liveBytes: 400 * MIB }, undefined, 1_000, 0), 0, "no limit: V8's own choice");
  });

  it("judges a growing live heap as it will be when the next full collection ends, not as it was", () => {
    const limit = 160 * MIB;
    // 80 MiB live at 10 s, 100 at 20 s: 2 MiB a second.
    const last = { atMs: 20_000, liveBytes: 100 * MIB };
    const before = { atMs: 10_000, liveBytes: 80 * MIB };
    assert.equal(growthPercentFor(last, before, 20_000, limit), 60, "just after the collection: 100 MiB live");
    assert.equal(growthPercentFor(last, before, 30_000, limit), 33, "10 s on: ~120 MiB expected");
    assert.equal(growthPercentFor(last, before, 45_000, limit), MIN_GROWTH_PERCENT, "25 s on: past the limit");
    const shrinking = { atMs: 10_000, liveBytes: 120 * MIB };
    assert.equal(growthPercentFor(last, shrinking, 30_000, limit), 60, "a shrinking heap is not extrapolated");
  });

  it("sets V8's growth after collections, young ones included, and only when it changes", () => {
    let now = 0;
    const set: number[] = [];
    const logger = { debug: (fields: object) => void set.push((fields as { growthPercent: number }).growthPercent), info: () => undefined };
    const soft = new HeapSoftLimit(160, logger, () => now);
    soft.afterCollection(undefined);
    assert.deepEqual(set, [], "no full collection yet: nothing to judge by");
    now = 10_000;
    soft.afterCollection(80 * MIB);
    now = 20_000;
    soft.afterCollection(100 * MIB);
    now = 25_000;
    soft.afterCollection(undefined);
    soft.afterCollection(undefined);
    now = 30_000;
    soft.afterCollection(undefined);
    assert.deepEqual(set, [100, 60, 45, 33]);
    assert.equal(soft.growthPercent, 33);
    // Back to V8's own, for whatever else runs in this process.
    setHeapGrowthPercent(0);
  });

  it("keeps a process's memory near the limit where V8 alone grows its heap to several times its live data", async () => {
    const [own, limited] = await Promise.all([memoryOf(0, 80), memoryOf(160, 80)]);
    // Measured: V8 alone peaked at 500-540 MiB of RSS, limited at 330-370 (~110 MiB live, and most of the rest garbage
    // made faster than any real engine makes it).
    assert.ok(own.heapUsedMb > 80 && limited.heapUsedMb > 80, `heaps in use at the end: ${own.heapUsedMb.toFixed(0)} and ${limited.heapUsedMb.toFixed(0)} MiB`);
    assert.ok(limited.peakRssMb < own.peakRssMb * 0.8, `limited, RSS peaked at ${limited.peakRssMb.toFixed(0)} MiB; V8 alone at ${own.peakRssMb.toFixed(0)} MiB`);
  });

  it("is a whole number of MiB, 0 for none", () => {
    assert.equal(parseConfig({ memory: { heapSoftLimitMb: 0 } }).memory.heapSoftLimitMb, 0);
    assert.throws(() => parseConfig({ memory: { heapSoftLimitMb: -5 } }), /memory\.heapSoftLimitMb/);
    assert.throws(() => parseConfig({ memory: { heapSoftLimitMb: 12.5 } }), /memory\.heapSoftLimitMb/);
  });
});
