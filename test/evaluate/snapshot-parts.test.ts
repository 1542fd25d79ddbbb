import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { loadSnapshotParts, partName, PartCoverage, removeOtherLayouts, type LoadedPart } from "../../src/app/snapshot-parts.js";
import { createLogger } from "../../src/core/logger.js";
import { Evaluator } from "../../src/evaluate/evaluator.js";
import { evaluatorSnapshotSchema, type EvaluatorSnapshot } from "../../src/evaluate/snapshot.js";
import { AppliedSequences } from "../../src/ingest/applied-sequences.js";
import { MemorySnapshotStore } from "../../src/store/memory/memory-sinks.js";
import { StalledError } from "../../src/core/stall.js";
import { T0, at, metric, type KlaxonEvent } from "../support/events.js";
import { prng } from "../support/random.js";
import { compile, metricNamed, when } from "../support/rules.js";

const rules = [
  compile({ id: "cpu-high", version: 1, kind: "threshold", event: "metric", severity: "warning", match: metricNamed("cpu"), when: when("value", "greaterThan", 90), for: "20s" }),
  compile({ id: "cpu-flap", version: 1, kind: "threshold", event: "metric", severity: "info", match: metricNamed("cpu"), when: when("value", "greaterThan", 50), flapping: { changes: 3, window: "2m" } }),
  compile({ id: "busy", version: 1, kind: "window", event: "metric", severity: "info", match: metricNamed("req"), window: "2m", aggregate: "count", when: when("value", "greaterThanInclusive", 40) }),
  compile({ id: "quiet", version: 1, kind: "absence", event: "metric", severity: "critical", match: metricNamed("heartbeat"), absentFor: "45s", expect: [{ source: "db-1" }] }),
];

/** A random but reproducible event stream over few sources, so series are hit again and again. */
function events(seed: number, count: number): KlaxonEvent[] {
  const random = prng(seed);
  const out: KlaxonEvent[] = [];
  let seconds = 0;
  for (let i = 0; i < count; i++) {
    seconds += Math.round(random() * 3_000) / 1_000;
    const source = `host-${Math.floor(random() * 12)}`;
    const kind = random();
    const name = kind < 0.45 ? "cpu" : kind < 0.85 ? "req" : "heartbeat";
    out.push(metric(name, Math.floor(random() * 100), at(seconds), { source }));
  }
  return out;
}

/** Series sorted by key within each rule: parts restore in another order than they were created. */
function normalised(snapshot: EvaluatorSnapshot): EvaluatorSnapshot {
  const rulesSorted = [...snapshot.rules].sort((a, b) => a.id.localeCompare(b.id));
  return { ...snapshot, rules: rulesSorted.map((r) => ({ ...r, series: [...r.series].sort((a, b) => JSON.stringify(a.identity).localeCompare(JSON.stringify(b.identity))) })) };
}

const viaJson = (snapshot: EvaluatorSnapshot): EvaluatorSnapshot => evaluatorSnapshotSchema.parse(JSON.parse(JSON.stringify(snapshot)));

describe("snapshots in parts", () => {
  test("the parts of a snapshot hold every series exactly once", () => {
    const live = new Evaluator(rules, T0);
    for (const event of events(7, 400)) live.apply(event);
    const whole = normalised(live.snapshot());
    const of = 5;
    const parts = Array.from({ length: of }, (_, index) => live.snapshot({ index, of }));
    const merged: EvaluatorSnapshot = { version: 1, rules: whole.rules.map((r) => ({ ...r, series: parts.flatMap((p) => p.rules.find((x) => x.id === r.id)?.series ?? []) })) };
    assert.ok(whole.rules.reduce((n, r) => n + r.series.length, 0) > 20, "the stream made plenty of series");
    assert.deepEqual(normalised(merged), whole);
    assert.ok(parts.every((p) => p.rules.some((r) => r.series.length > 0)), "every part holds some series");
  });

  // The property recovery rests on: parts saved at different stream positions, restored and then replayed with each
  // event going only into the parts that lack it, give the state of an evaluator that never stopped.
  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`parts saved at different positions + replay = the evaluator that never stopped (seed ${seed})`, () => {
      const random = prng(seed * 101);
      const stream = events(seed, 600);
      const of = 4;
      // Part i is saved after event savedAfter[i] (in any order across parts), then the engine dies after `crashAfter`.
      // The crash comes soon after the last save, so that an event applied twice would still be in a window.
      const savedAfter = Array.from({ length: of }, () => 300 + Math.floor(random() * 100));
      const crashAfter = Math.max(...savedAfter) + 1 + Math.floor(random() * 10);
      const live = new Evaluator(rules, T0);
      const saved: LoadedPart[] = [];
      const applied = new AppliedSequences();
      stream.slice(0, crashAfter).forEach((event, i) => {
        const seq = i + 1;
        live.apply(event);
        applied.add(seq);
        if (seq % 25 === 0) live.tick(event.timeMs - 2_000); // the live engine ticks now and then, a little behind
        savedAfter.forEach((after, index) => {
          if (after === seq) saved.push({ part: { index, of }, applied: AppliedSequences.from(applied.toJSON()), savedAtMs: event.timeMs, state: viaJson(live.snapshot({ index, of })) });
        });
      });
      const crashMs = (stream[crashAfter - 1] as KlaxonEvent).timeMs;

      const recovered = new Evaluator(rules, crashMs);
      for (const part of saved) recovered.restore(part.state, crashMs);
      const coverage = new PartCoverage(saved);
      assert.equal(coverage.floor, Math.min(...savedAfter));
      let mixed = 0;
      for (let seq = coverage.floor + 1; seq <= crashAfter; seq++) {
        const holders = coverage.holders(seq);
        const event = stream[seq - 1] as KlaxonEvent;
        if (holders === "none") recovered.apply(event);
        else if (holders !== "all") {
          mixed++;
          recovered.replay(event, holders);
        }
      }
      assert.ok(mixed > 0, "some events were held by some parts only");
      live.tick(crashMs);
      recovered.tick(crashMs);
      assert.deepEqual(normalised(recovered.snapshot()), normalised(live.snapshot()));
      // And from here on both tell the same story.
      const rest = stream.slice(crashAfter);
      const end = crashMs + 600_000;
      // Timers due at the same instant may come out in another order (the queue was filled in another order).
      const story = (ev: Evaluator) => [...rest.flatMap((e) => ev.apply(e)), ...ev.tick(end)].map((t) => JSON.stringify(t)).sort();
      const told = story(live);
      assert.ok(told.length > 0);
      assert.deepEqual(story(recovered), told);
    });
  }

  test("replaying everything into every part (ignoring what the parts hold) would not give the same state", () => {
    // Guards the test above: with a window rule, an event counted twice changes the state, so the comparison can fail.
    const stream = events(3, 300);
    const live = new Evaluator(rules, T0);
    stream.slice(0, 290).forEach((e) => live.apply(e));
    const state = viaJson(live.snapshot({ index: 0, of: 1 }));
    stream.slice(290).forEach((e) => live.apply(e));
    const twice = new Evaluator(rules, T0);
    twice.restore(state, T0);
    stream.slice(280).forEach((e) => twice.apply(e));
    const end = (stream[299] as KlaxonEvent).timeMs;
    live.tick(end);
    twice.tick(end);
    assert.notDeepEqual(normalised(twice.snapshot()), normalised(live.snapshot()));
  });

  test("which parts hold an event: all, none, or some, and the union after replay", () => {
    const part = (index: number, floor: number, ranges: Array<[number, number]> = []): LoadedPart => ({ part: { index, of: 2 }, applied: new AppliedSequences(floor, ranges), savedAtMs: 0, state: { version: 1, rules: [] } });
    const coverage = new PartCoverage([part(1, 20, [[25, 26]]), part(0, 10)]);
    assert.equal(coverage.floor, 10);
    assert.equal(coverage.top, 26);
    assert.equal(coverage.holders(5), "all");
    assert.equal(coverage.holders(22), "none");
    const holders = coverage.holders(15);
    assert.equal(typeof holders, "function");
    if (typeof holders === "function") {
      assert.equal(holders(1), true, "part 1 holds 15");
      assert.equal(holders(4), false, "part 0 does not");
    }
    assert.deepEqual(coverage.union().toJSON(), { floor: 20, ranges: [[25, 26]] });
  });

  test("loading: every part, else a whole snapshot saved before parts, else nothing", async () => {
    const logger = createLogger({ level: "silent" });
    const store = new MemorySnapshotStore();
    const state = { version: 1 as const, rules: [] };
    const stored = (floor: number, part?: { index: number; of: number }) => ({ applied: { floor, ranges: [] }, savedAtMs: 1, rulesHash: "h", ...(part ? { part } : {}), state });
    assert.equal(await loadSnapshotParts(store, "evaluator-x", 2, logger), undefined);
    await store.save("evaluator-x", stored(7));
    await store.save(partName("evaluator-x", { index: 0, of: 2 }), stored(9, { index: 0, of: 2 }));
    const whole = await loadSnapshotParts(store, "evaluator-x", 2, logger);
    assert.deepEqual(whole?.map((p) => [p.part, p.applied.floor]), [[{ index: 0, of: 1 }, 7]], "one part missing: the whole snapshot");
    await store.save(partName("evaluator-x", { index: 1, of: 2 }), stored(8, { index: 1, of: 2 }));
    const parts = await loadSnapshotParts(store, "evaluator-x", 2, logger);
    assert.deepEqual(parts?.map((p) => [p.part.index, p.applied.floor]), [[0, 9], [1, 8]]);
    await store.save(partName("evaluator-x", { index: 1, of: 2 }), { ...stored(8, { index: 1, of: 2 }), state: { version: 2 } });
    assert.deepEqual((await loadSnapshotParts(store, "evaluator-x", 2, logger))?.map((p) => p.part.of), [1], "an unreadable part: the whole snapshot");
  });

  test("a part whose read fails (NATS did not answer) is read again; only a broken one, or one that keeps failing, makes the set unusable", async () => {
    const logger = createLogger({ level: "silent" });
    const store = new MemorySnapshotStore();
    const state = { version: 1 as const, rules: [] };
    const stored = (floor: number, part: { index: number; of: number }) => ({ applied: { floor, ranges: [] }, savedAtMs: 1, rulesHash: "h", part, state });
    for (const index of [0, 1]) await store.save(partName("evaluator-y", { index, of: 2 }), stored(9, { index, of: 2 }));
    const load = store.load.bind(store);
    let failures = 0;
    const failing = (times: number, error: () => Error) => {
      failures = 0;
      store.load = async (name) => {
        if (name.endsWith("part-1-of-2") && failures < times) {
          failures++;
          throw error();
        }
        return load(name);
      };
    };
    const timeout = () => Object.assign(new Error("timeout"), { name: "TimeoutError" });
    failing(1, timeout);
    assert.deepEqual((await loadSnapshotParts(store, "evaluator-y", 2, logger))?.map((p) => p.part.index), [0, 1], "read again: the set is whole");
    assert.equal(failures, 1);
    failing(10, timeout);
    assert.equal(await loadSnapshotParts(store, "evaluator-y", 2, logger), undefined, "failing every time: unusable, after three tries");
    assert.equal(failures, 3);
    failing(10, () => new Error("received a corrupt object, digests do not match"));
    assert.equal(await loadSnapshotParts(store, "evaluator-y", 2, logger), undefined);
    assert.equal(failures, 1, "a broken part is not read again");
    failing(10, () => new StalledError("loading snapshot evaluator-y.part-1-of-2", 10_000));
    assert.equal(await loadSnapshotParts(store, "evaluator-y", 2, logger), undefined);
    assert.equal(failures, 1, "nor one whose read stalled for the store's whole time limit");
  });

  test("loading after state.snapshotParts changed: a complete set of another layout, the newest one, and no stale one once the new layout is saved", async () => {
    const logger = createLogger({ level: "silent" });
    const store = new MemorySnapshotStore();
    const state = { version: 1 as const, rules: [] };
    const save = (base: string, part: { index: number; of: number }, savedAtMs: number) =>
      store.save(partName(base, part), { applied: { floor: part.index, ranges: [] }, savedAtMs, rulesHash: "h", part, state });
    await store.save("evaluator-x", { applied: { floor: 1, ranges: [] }, savedAtMs: 1, rulesHash: "h", state });
    // Saved with 3 parts at t=20, with 2 parts at t=10 (older), and one part of 5 (incomplete); another base's parts.
    for (let index = 0; index < 3; index++) await save("evaluator-x", { index, of: 3 }, 20 + index);
    for (let index = 0; index < 2; index++) await save("evaluator-x", { index, of: 2 }, 10 + index);
    await save("evaluator-x", { index: 0, of: 5 }, 30);
    for (let index = 0; index < 4; index++) await save("evaluator-x-2", { index, of: 4 }, 40);

    const loaded = await loadSnapshotParts(store, "evaluator-x", 4, logger);
    assert.deepEqual(
      loaded?.map((p) => [p.part.index, p.part.of, p.savedAtMs]),
      [
        [0, 3, 20],
        [1, 3, 21],
        [2, 3, 22],
      ],
      "the newest complete set of another layout, not the older one, the incomplete one, another base's or the whole snapshot",
    );
    const sameLayout = await loadSnapshotParts(store, "evaluator-x", 2, logger);
    assert.deepEqual(sameLayout?.map((p) => p.part.of), [2, 2], "the configured layout first when it is complete");

    for (let index = 0; index < 4; index++) await save("evaluator-x", { index, of: 4 }, 50);
    assert.equal(await removeOtherLayouts(store, "evaluator-x", 4), 6, "the 3, 2 and 5 part layouts' six parts");
    assert.deepEqual((await store.names("evaluator-x")).sort(), [
      "evaluator-x",
      ...[0, 1, 2, 3].map((index) => partName("evaluator-x", { index, of: 4 })),
      ...[0, 1, 2, 3].map((index) => partName("evaluator-x-2", { index, of: 4 })),
    ].sort(), "the whole snapshot and another base's parts are not this layout's to remove");
    await store.save(partName("evaluator-x", { index: 1, of: 4 }), { applied: { floor: 0, ranges: [] }, savedAtMs: 60, rulesHash: "h", part: { index: 1, of: 4 }, state: { version: 2 } });
    assert.deepEqual((await loadSnapshotParts(store, "evaluator-x", 4, logger))?.map((p) => p.part.of), [1], "an unreadable part of the only layout left: the whole snapshot, not a stale layout");
  });
});
