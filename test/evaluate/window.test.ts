import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { Evaluator } from "../../src/evaluate/evaluator.js";
import { prng } from "../support/random.js";
import { SlidingWindow } from "../../src/evaluate/sliding-window.js";
import type { Aggregate } from "../../src/rules/rule.schema.js";
import { timeline } from "../support/alerts.js";
import { T0, at, log, metric } from "../support/events.js";
import { compile, metricNamed, when, type RuleJson } from "../support/rules.js";

function windowRule(aggregate: Aggregate, condition: RuleJson, extra: RuleJson = {}): RuleJson {
  return {
    id: "latency",
    version: 1,
    kind: "window",
    event: "metric",
    severity: "warning",
    match: metricNamed("latency_ms"),
    window: "1m",
    aggregate,
    when: condition,
    ...extra,
  };
}

const evaluator = (rule: RuleJson): Evaluator => new Evaluator([compile(rule)], T0);

/** Feed metric samples `[seconds, value]` in order; return every transition. */
function feed(ev: Evaluator, samples: Array<[number, number]>, name = "latency_ms"): string[] {
  return samples.flatMap(([s, v]) => timeline(ev.apply(metric(name, v, at(s)))));
}

describe("window aggregates", () => {
  test("avg: fires when the average over the window crosses, resolves when it falls back", () => {
    const ev = evaluator(windowRule("avg", when("value", "greaterThan", 100)));
    assert.deepEqual(feed(ev, [[0, 50], [10, 120]]), []); // avg 85
    assert.deepEqual(feed(ev, [[20, 160]]), ["firing latency @20"]); // avg 110
    assert.equal(ev.firingAlerts()[0]?.startsAtMs, at(20));
    assert.deepEqual(feed(ev, [[30, 10]]), ["resolved latency @20..30"]); // avg 85
  });

  test("the transition carries the aggregate as its value", () => {
    const ev = evaluator(windowRule("avg", when("value", "greaterThan", 100)));
    feed(ev, [[0, 100]]);
    const [t] = ev.apply(metric("latency_ms", 200, at(1)));
    assert.equal(t?.value, 150);
  });

  test("min: fires only when every sample in the window is above", () => {
    const ev = evaluator(windowRule("min", when("value", "greaterThan", 100)));
    assert.deepEqual(feed(ev, [[0, 90], [10, 150], [20, 150]]), []);
    // The 90 leaves the window at 60: from then on the minimum is 150.
    assert.deepEqual(timeline(ev.tick(at(60))), ["firing latency @60"]);
  });

  test("max: one sample above is enough, until it ages out", () => {
    const ev = evaluator(windowRule("max", when("value", "greaterThanInclusive", 500)));
    assert.deepEqual(feed(ev, [[0, 10], [5, 500], [10, 20]]), ["firing latency @5"]);
    assert.deepEqual(ev.tick(at(64.999)), []);
    assert.deepEqual(timeline(ev.tick(at(65))), ["resolved latency @5..65"]);
  });

  test("sum", () => {
    const ev = evaluator(windowRule("sum", when("value", "greaterThan", 10)));
    assert.deepEqual(feed(ev, [[0, 4], [10, 4]]), []);
    assert.deepEqual(feed(ev, [[20, 4]]), ["firing latency @20"]);
    // The first 4 leaves at 60: sum 8.
    assert.deepEqual(timeline(ev.tick(at(60))), ["resolved latency @20..60"]);
  });

  test("count (the `count` fact works with any aggregate)", () => {
    const ev = evaluator(windowRule("count", when("value", "greaterThanInclusive", 3)));
    assert.deepEqual(feed(ev, [[0, 1], [1, 1]]), []);
    assert.deepEqual(feed(ev, [[2, 1]]), ["firing latency @2"]);

    const byCountFact = evaluator(windowRule("max", { all: [{ fact: "count", operator: "greaterThanInclusive", value: 2 }] }));
    assert.deepEqual(feed(byCountFact, [[0, 1], [1, 1]]), ["firing latency @1"]);
  });

  test("metric rate: counter increase per second over the window", () => {
    const ev = evaluator(windowRule("rate", when("value", "greaterThan", 1), { match: metricNamed("requests_total") }));
    const out = [[0, 1000], [20, 1030], [40, 1060]].flatMap(([s, v]) => ev.apply(metric("requests_total", v as number, at(s as number))));
    assert.deepEqual(out, []); // increase 60 over 60 s: 1/s, not above 1
    const [t] = ev.apply(metric("requests_total", 1061, at(50)));
    assert.equal(t?.status, "firing");
    assert.equal(t?.value, 61 / 60);
  });

  test("metric rate: a counter reset counts from zero", () => {
    const ev = evaluator(windowRule("rate", when("value", "greaterThan", 100), { match: metricNamed("requests_total") }));
    ev.apply(metric("requests_total", 100, at(0)));
    ev.apply(metric("requests_total", 160, at(10))); // +60
    ev.apply(metric("requests_total", 40, at(20))); // restarted: +40, not -120
    const [t] = ev.apply(metric("requests_total", 7000, at(30))); // +6960
    assert.equal(t?.value, (60 + 40 + 6960) / 60);
  });

  test("empty window: avg of nothing does not hold, count of nothing is 0", () => {
    const lowAvg = evaluator(windowRule("avg", when("value", "lessThan", 10)));
    assert.deepEqual(feed(lowAvg, [[0, 1]]), ["firing latency @0"]);
    // When the only sample leaves, the average is undefined: the condition no longer holds.
    assert.deepEqual(timeline(lowAvg.tick(at(60))), ["resolved latency @0..60"]);
  });
});

describe("window conditions on event facts", () => {
  test("`when` may read the latest event's fields besides value and count", () => {
    const rule = windowRule("count", { all: [{ fact: "count", operator: "greaterThanInclusive", value: 2 }, { fact: "service", operator: "equal", value: "api" }] }, { keyBy: ["service"] });
    const ev = evaluator(rule);
    const sample = (s: number, service: string): string[] => timeline(ev.apply(metric("latency_ms", 1, at(s), { service })));
    assert.deepEqual([...sample(0, "db"), ...sample(1, "db"), ...sample(2, "db")], []);
    assert.deepEqual(sample(3, "api"), []);
    assert.deepEqual(sample(4, "api"), ["firing latency @4"]);
  });
});

describe("window timing", () => {
  test("samples ageing out on tick resolve at the instant the window drops below, even on a late tick", () => {
    const ev = evaluator(windowRule("count", when("value", "greaterThanInclusive", 3)));
    assert.deepEqual(feed(ev, [[0, 1], [10, 1], [20, 1]]), ["firing latency @20"]);
    assert.equal(ev.nextDueMs(), at(60));
    assert.deepEqual(timeline(ev.tick(at(500))), ["resolved latency @20..60"]);
    assert.equal(ev.nextDueMs(), undefined);
    assert.equal(ev.seriesCount(), 0, "an empty, resolved series is forgotten");
  });

  test("a sample ages out exactly `window` after it was taken: the window is (end - span, end]", () => {
    const ev = evaluator(windowRule("count", when("value", "greaterThanInclusive", 2)));
    feed(ev, [[0, 1], [30, 1]]);
    assert.deepEqual(ev.tick(at(59.999)), []);
    assert.deepEqual(timeline(ev.tick(at(60))), ["resolved latency @30..60"]);
  });

  test("an event after a gap first ages the old samples out at their own instants", () => {
    const ev = evaluator(windowRule("count", when("value", "greaterThanInclusive", 2)));
    feed(ev, [[0, 1], [10, 1]]);
    // No tick: the next event comes at 200. The alert resolved at 60, when the first sample left.
    assert.deepEqual(feed(ev, [[200, 1]]), ["resolved latency @10..60"]);
  });

  test("`for` on a window rule waits, then fires at condition start + for", () => {
    const ev = evaluator(windowRule("avg", when("value", "greaterThan", 100), { for: "30s" }));
    assert.deepEqual(feed(ev, [[0, 200], [10, 200], [20, 200]]), []);
    assert.deepEqual(timeline(ev.tick(at(45))), ["firing latency @30"]);
  });

  test("out-of-order samples are placed by their time and age out by their time", () => {
    const ev = evaluator(windowRule("max", when("value", "greaterThan", 50)));
    assert.deepEqual(feed(ev, [[30, 10]]), []);
    // A late sample from t=10 arrives after the one from t=30: it counts (max 100), stamped at the newest sample.
    assert.deepEqual(feed(ev, [[10, 100]]), ["firing latency @30"]);
    // It leaves the window at 10 + 60 = 70, not 60 after it arrived.
    assert.equal(ev.nextDueMs(), at(70));
    assert.deepEqual(timeline(ev.tick(at(70))), ["resolved latency @30..70"]);
  });

  test("a sample older than the window is ignored", () => {
    const ev = evaluator(windowRule("max", when("value", "greaterThan", 50)));
    feed(ev, [[100, 10]]);
    assert.deepEqual(feed(ev, [[20, 1000]]), []); // 20 <= 100 - 60: outside the window ending at 100
    assert.deepEqual(ev.tick(at(160)), []);
  });

  test("series keep separate windows", () => {
    const ev = evaluator(windowRule("count", when("value", "greaterThanInclusive", 2)));
    ev.apply(metric("latency_ms", 1, at(0), { source: "a" }));
    ev.apply(metric("latency_ms", 1, at(1), { source: "b" }));
    const out = ev.apply(metric("latency_ms", 1, at(2), { source: "a" }));
    assert.deepEqual(out.map((t) => t.labels.source), ["a"]);
  });
});

describe("log window rules", () => {
  const errorBurst = (aggregate: "count" | "rate", condition: RuleJson): RuleJson => ({
    id: "error-burst",
    version: 1,
    kind: "window",
    event: "log",
    severity: "critical",
    match: {
      all: [
        { fact: "level", operator: "in", value: ["error", "fatal"] },
        { fact: "message", operator: "matches", value: "timeout|connection refused" },
      ],
    },
    window: "5m",
    aggregate,
    when: condition,
  });

  test("counts only events whose level and message match", () => {
    const ev = evaluator(errorBurst("count", when("count", "greaterThanInclusive", 3)));
    const out = [
      log("error", "db timeout", at(0)),
      log("warn", "db timeout", at(10)), // level filtered out
      log("error", "all good", at(20)), // message filtered out
      log("fatal", "upstream connection refused", at(30)),
      log("info", "connection refused", at(40)), // level filtered out
    ].flatMap((e) => ev.apply(e));
    assert.deepEqual(out, []);
    assert.deepEqual(timeline(ev.apply(log("error", "read timeout", at(50)))), ["firing error-burst @50"]);
    // The first matching log leaves the 5-minute window at 300.
    assert.deepEqual(timeline(ev.tick(at(400))), ["resolved error-burst @50..300"]);
  });

  test("log rate is events per second over the window", () => {
    const ev = evaluator(errorBurst("rate", when("value", "greaterThanInclusive", 0.01)));
    const out = [0, 1].flatMap((s) => ev.apply(log("error", "timeout", at(s))));
    assert.deepEqual(out, []); // 2 / 300 s
    const [t] = ev.apply(log("error", "timeout", at(2)));
    assert.equal(t?.status, "firing");
    assert.equal(t?.value, 3 / 300);
  });
});

describe("SlidingWindow", () => {
  const windowOf = (spanMs: number, samples: Array<[number, number]>): SlidingWindow => {
    const w = new SlidingWindow(spanMs);
    for (const [t, v] of samples) w.add(t, v);
    return w;
  };

  test("aggregates over the samples it holds", () => {
    const w = windowOf(1000, [[1, 4], [2, 8], [3, 6]]);
    assert.equal(w.count, 3);
    assert.equal(w.oldestTimeMs, 1);
    assert.equal(w.newestTimeMs, 3);
    assert.equal(w.aggregate("count", "metric"), 3);
    assert.equal(w.aggregate("sum", "metric"), 18);
    assert.equal(w.aggregate("avg", "metric"), 6);
    assert.equal(w.aggregate("min", "metric"), 4);
    assert.equal(w.aggregate("max", "metric"), 8);
    // 4 → 8: +4; 8 → 6: a reset, so +6. Per second of a 1 s window.
    assert.equal(w.aggregate("rate", "metric"), 10);
    assert.equal(w.aggregate("rate", "log"), 3);
  });

  test("encode and decode give back every sample, in time order, with the running figures", () => {
    // Out of order, a counter reset and values JSON would not keep exactly (-0, a long fraction).
    const w = windowOf(1_000, [[10, 0.1 + 0.2], [5, 7], [20, 3], [15, -0], [30, 1e-9]]);
    w.evict(1_012); // drops t=5 and t=10
    const text = w.encode();
    assert.ok(SlidingWindow.isEncoding(text));
    const back = SlidingWindow.decode(1_000, text);
    assert.deepEqual(back.samples(), w.samples());
    assert.ok(Object.is(back.samples()[0]?.[1], -0));
    // The running sum of a live window carries the rounding of what left it; a decoded one is summed afresh.
    const rebuilt = SlidingWindow.fromSamples(1_000, w.samples());
    for (const kind of ["count", "sum", "avg", "min", "max", "rate"] as const) assert.equal(back.aggregate(kind, "metric"), rebuilt.aggregate(kind, "metric"), kind);
    assert.equal(back.expiresAtMs, w.expiresAtMs);
    const empty = new SlidingWindow(1_000).encode();
    assert.equal(SlidingWindow.decode(1_000, empty).count, 0);
    for (const bad of ["AAAA", "not base64!", text.slice(4)]) assert.equal(SlidingWindow.isEncoding(bad), false, bad);
  });

  test("an empty window", () => {
    const w = new SlidingWindow(1000);
    assert.equal(w.count, 0);
    assert.equal(w.oldestTimeMs, undefined);
    assert.equal(w.newestTimeMs, undefined);
    assert.equal(w.aggregate("avg", "metric"), undefined);
    assert.equal(w.aggregate("min", "metric"), undefined);
    assert.equal(w.aggregate("max", "metric"), undefined);
    assert.equal(w.aggregate("sum", "metric"), 0);
    assert.equal(w.aggregate("count", "metric"), 0);
    assert.equal(w.aggregate("rate", "metric"), 0);
  });

  test("evict drops samples at or before end - span and keeps the running figures right", () => {
    const w = windowOf(10, [[0, 100], [5, 150], [10, 50], [12, 70]]);
    w.evict(10); // cutoff 0: drops t=0
    assert.deepEqual(w.samples(), [[5, 150], [10, 50], [12, 70]]);
    assert.equal(w.aggregate("sum", "metric"), 270);
    assert.equal(w.aggregate("rate", "metric"), (50 + 20) / 0.01); // reset to 50, then +20
    w.evict(15); // cutoff 5: drops t=5
    assert.deepEqual(w.samples(), [[10, 50], [12, 70]]);
    assert.equal(w.aggregate("rate", "metric"), 20 / 0.01);
    assert.equal(w.aggregate("min", "metric"), 50);
    w.evict(100);
    assert.equal(w.count, 0);
    assert.deepEqual(w.samples(), []);
    assert.equal(w.aggregate("sum", "metric"), 0);
    assert.equal(w.aggregate("rate", "metric"), 0);
    // Usable again after emptying.
    w.add(200, 3);
    assert.deepEqual(w.samples(), [[200, 3]]);
    assert.equal(w.aggregate("avg", "metric"), 3);
  });

  test("out-of-order adds are inserted in time order and the running figures rebuilt", () => {
    const w = windowOf(1000, [[10, 10], [30, 30]]);
    w.add(20, 5);
    w.add(5, 1);
    w.add(30, 31); // same time as an existing sample: kept after it
    assert.deepEqual(w.samples(), [[5, 1], [10, 10], [20, 5], [30, 30], [30, 31]]);
    assert.equal(w.aggregate("sum", "metric"), 77);
    // 1→10: +9, 10→5: reset +5, 5→30: +25, 30→31: +1
    assert.equal(w.aggregate("rate", "metric"), 40);
    w.evict(1010); // cutoff 10: drops 5 and 10
    assert.deepEqual(w.samples(), [[20, 5], [30, 30], [30, 31]]);
    assert.equal(w.aggregate("rate", "metric"), 26);
  });

  test("compaction after many evictions keeps every figure exact", () => {
    const w = new SlidingWindow(1000);
    for (let t = 0; t < 5000; t++) w.add(t, t % 7);
    w.evict(4999 + 1000 - 1500); // keeps t in (3499, 4999]: 1500 samples, 3500 evicted (compacts)
    assert.equal(w.count, 1500);
    assert.equal(w.oldestTimeMs, 3500);
    assert.equal(w.newestTimeMs, 4999);
    const kept = Array.from({ length: 1500 }, (_, i) => (3500 + i) % 7);
    assert.equal(w.aggregate("sum", "metric"), kept.reduce((a, b) => a + b, 0));
    assert.equal(w.aggregate("max", "metric"), 6);
    let increase = 0;
    for (let i = 1; i < kept.length; i++) increase += (kept[i] as number) >= (kept[i - 1] as number) ? (kept[i] as number) - (kept[i - 1] as number) : (kept[i] as number);
    assert.equal(w.aggregate("rate", "metric"), increase);
    assert.deepEqual(w.samples()[0], [3500, 3500 % 7]);
    // Adding in order and out of order after compaction still works.
    w.add(5000, 100);
    w.add(3600, 100);
    assert.equal(w.count, 1502);
    assert.equal(w.aggregate("max", "metric"), 100);
  });

  test("agrees with a plain sorted list through random adds, late samples and evictions (ring wrap, growth, shrink)", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const random = prng(seed);
      const span = 50 + Math.floor(random() * 500);
      const w = new SlidingWindow(span);
      let model: Array<[number, number]> = [];
      let now = 0;
      for (let step = 0; step < 3_000; step++) {
        const roll = random();
        if (roll < 0.7) {
          // Mostly in order; now and then late by up to the span; bursts make the ring grow, pauses shrink it.
          now += random() < 0.1 ? Math.floor(random() * span) : Math.floor(random() * 3);
          const t = random() < 0.1 ? now - Math.floor(random() * span) : now;
          const v = Math.floor(random() * 100);
          w.add(t, v);
          const at = model.findIndex(([mt]) => mt > t);
          model.splice(at < 0 ? model.length : at, 0, [t, v]);
        } else {
          const end = now + Math.floor(random() * span * (roll > 0.97 ? 3 : 0.5));
          w.evict(end);
          model = model.filter(([t]) => t > end - span);
        }
        const fresh = SlidingWindow.fromSamples(span, model);
        assert.deepEqual(w.samples(), model, `seed ${seed} step ${step}`);
        assert.equal(w.expiresAtMs, fresh.expiresAtMs, `seed ${seed} step ${step}`);
        for (const kind of ["count", "min", "max"] as const) assert.equal(w.aggregate(kind, "metric"), fresh.aggregate(kind, "metric"));
        // Integer values: running sums carry no rounding, so they must equal the fresh ones exactly.
        for (const kind of ["sum", "rate"] as const) assert.equal(w.aggregate(kind, "metric"), fresh.aggregate(kind, "metric"));
      }
    }
  });

  test("fromSamples sorts, and equals a window built sample by sample", () => {
    const samples: Array<[number, number]> = [[30, 3], [10, 9], [20, 1], [40, 8]];
    const restored = SlidingWindow.fromSamples(100, samples);
    const built = windowOf(100, [[10, 9], [20, 1], [30, 3], [40, 8]]);
    assert.deepEqual(restored.samples(), built.samples());
    for (const kind of ["avg", "min", "max", "sum", "count", "rate"] as const) {
      assert.equal(restored.aggregate(kind, "metric"), built.aggregate(kind, "metric"), kind);
    }
    restored.evict(125);
    built.evict(125);
    assert.deepEqual(restored.samples(), [[30, 3], [40, 8]]);
    assert.equal(restored.aggregate("rate", "metric"), built.aggregate("rate", "metric"));
    assert.deepEqual(SlidingWindow.fromSamples(100, restored.samples()).samples(), restored.samples());
    assert.equal(SlidingWindow.fromSamples(100, []).count, 0);
  });
  test("expiresAtMs: when the oldest sample leaves, through in-order and late adds, evictions and emptying", () => {
    const w = new SlidingWindow(10);
    assert.equal(w.expiresAtMs, Number.POSITIVE_INFINITY);
    w.add(5, 1);
    assert.equal(w.expiresAtMs, 15);
    w.add(8, 1);
    assert.equal(w.expiresAtMs, 15);
    w.add(3, 1); // late: now the oldest
    assert.equal(w.expiresAtMs, 13);
    w.evict(13);
    assert.equal(w.expiresAtMs, 15);
    w.evict(18);
    assert.equal(w.expiresAtMs, Number.POSITIVE_INFINITY);
    assert.equal(SlidingWindow.fromSamples(10, [[7, 1], [4, 2]]).expiresAtMs, 14);
  });
});
