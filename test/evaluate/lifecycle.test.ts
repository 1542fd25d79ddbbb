import { test, describe } from "node:test";
import assert from "node:assert/strict";
import type { AlertTransition } from "../../src/alerts/alert.js";
import { fingerprint } from "../../src/alerts/fingerprint.js";
import { compileTemplate, unknownPlaceholders } from "../../src/evaluate/annotations.js";
import { Evaluator } from "../../src/evaluate/evaluator.js";
import { SlidingWindow } from "../../src/evaluate/sliding-window.js";
import { evaluatorSnapshotSchema } from "../../src/evaluate/snapshot.js";
import type { CompiledRule } from "../../src/rules/compiled-rule.js";
import { timeline } from "../support/alerts.js";
import { T0, at, metric, type KlaxonEvent } from "../support/events.js";
import { compile, metricNamed, when, type RuleJson } from "../support/rules.js";

const cpuHigh = (extra: RuleJson = {}): RuleJson => ({
  id: "cpu-high",
  version: 1,
  kind: "threshold",
  event: "metric",
  severity: "warning",
  match: metricNamed("cpu"),
  when: when("value", "greaterThan", 90),
  annotations: { summary: "{{ source }} cpu at {{ value }}%" },
  ...extra,
});

const busy = (extra: RuleJson = {}): RuleJson => ({
  id: "busy",
  version: 1,
  kind: "window",
  event: "metric",
  severity: "info",
  match: metricNamed("req"),
  window: "1m",
  aggregate: "count",
  when: when("value", "greaterThanInclusive", 3),
  ...extra,
});

const heartbeat = (extra: RuleJson = {}): RuleJson => ({
  id: "heartbeat-missing",
  version: 1,
  kind: "absence",
  event: "metric",
  severity: "critical",
  match: metricNamed("heartbeat"),
  absentFor: "5m",
  ...extra,
});

type Step = KlaxonEvent | number;

/** Run events (apply) and instants (tick) in order; collect every transition. */
function run(ev: Evaluator, steps: readonly Step[]): AlertTransition[] {
  return steps.flatMap((step) => (typeof step === "number" ? ev.tick(step) : ev.apply(step)));
}

/** snapshot() → JSON text → schema → restore() into a fresh evaluator with the same rules. */
function roundTrip(original: Evaluator, rules: readonly CompiledRule[], nowMs: number): Evaluator {
  const text = JSON.stringify(original.snapshot());
  const fresh = new Evaluator(rules, nowMs);
  assert.deepEqual(fresh.restore(evaluatorSnapshotSchema.parse(JSON.parse(text)), nowMs), []);
  return fresh;
}

describe("snapshot and restore", () => {
  const rules = [compile(cpuHigh({ for: "1m" })), compile(busy()), compile(heartbeat({ expect: [{ source: "db-1" }] }))];

  const before: Step[] = [
    metric("req", 1, at(0)),
    metric("req", 1, at(10)), // the window is half full
    metric("cpu", 95, at(20)), // `for` pending until 80
    metric("heartbeat", 1, at(30), { source: "web-1" }), // absence deadline at 330; db-1 (expected) at 300
    metric("cpu", 99, at(25), { source: "host-2" }),
    at(40),
  ];
  const after: Step[] = [
    metric("req", 1, at(50)), // third request within the minute: fires
    at(60), // first request leaves the window: resolves
    at(85), // cpu fires at 80 (host-1) and 85 (host-2)
    metric("cpu", 10, at(90)),
    at(299),
    at(400), // absences fire at 300 and 330
    metric("heartbeat", 1, at(410), { source: "db-1" }),
    at(2000),
  ];

  test("a restored evaluator gives the same future transitions as the original", () => {
    const original = new Evaluator(rules, T0);
    run(original, before);
    const restored = roundTrip(original, rules, at(40));
    assert.equal(restored.seriesCount(), original.seriesCount());
    const expected = run(original, after);
    assert.deepEqual(run(restored, after), expected);
    // And the script did exercise each kind of saved state.
    assert.deepEqual(timeline(expected), [
      "firing busy @50",
      "resolved busy @50..60",
      "firing cpu-high @80",
      "firing cpu-high @85",
      "resolved cpu-high @80..90",
      "firing heartbeat-missing @300",
      "firing heartbeat-missing @330",
      "resolved heartbeat-missing @300..410",
      "firing heartbeat-missing @710",
    ]);
  });

  test("snapshots in the earlier layout (every field written, window samples as [time, value] pairs) restore the same", () => {
    const original = new Evaluator(rules, T0);
    run(original, before);
    const current = original.snapshot();
    const windows = current.rules.flatMap((r) => r.series).filter((s) => typeof s.samples === "string");
    assert.ok(windows.length > 0, "the script leaves a window with samples");
    const legacy = JSON.parse(JSON.stringify(current)) as typeof current;
    for (const rule of legacy.rules) {
      for (const series of rule.series) {
        const window = typeof series.samples === "string" ? SlidingWindow.decode(60_000, series.samples).samples() : null;
        Object.assign(series, { lastValue: series.lastValue ?? null, lastCondition: series.lastCondition ?? false, conditionSinceMs: series.conditionSinceMs ?? null });
        Object.assign(series, { firingSinceMs: series.firingSinceMs ?? null, publishedFiringSinceMs: series.publishedFiringSinceMs ?? null, flappingSinceMs: series.flappingSinceMs ?? null });
        Object.assign(series, { samples: window, changes: series.changes ?? [] });
      }
    }
    assert.ok(legacy.rules.some((r) => r.series.some((s) => Array.isArray(s.samples) && s.samples.length === 2)));
    const fresh = new Evaluator(rules, at(40));
    assert.deepEqual(fresh.restore(evaluatorSnapshotSchema.parse(JSON.parse(JSON.stringify(legacy))), at(40)), []);
    assert.deepEqual(run(fresh, after), run(original, after));
  });

  test("a snapshot whose window samples are not an encoding is refused, naming the field", () => {
    const original = new Evaluator(rules, T0);
    run(original, before);
    const snapshot = JSON.parse(JSON.stringify(original.snapshot())) as ReturnType<Evaluator["snapshot"]>;
    const series = snapshot.rules.flatMap((r) => r.series).find((s) => typeof s.samples === "string");
    assert.ok(series);
    series.samples = "AAAA"; // three bytes: not whole time-and-value pairs
    const parsed = evaluatorSnapshotSchema.safeParse(snapshot);
    assert.equal(parsed.success, false);
    assert.match(JSON.stringify(parsed.error?.issues), /samples/);
  });

  test("a snapshot keeps labels only for what was announced, and restores the rest from the rules", () => {
    const original = new Evaluator([compile(cpuHigh({ for: "1m" }))], T0);
    run(original, [metric("cpu", 95, at(0), { source: "a" }), metric("cpu", 95, at(30), { source: "b" }), at(60)]); // a fires at 60, b pending
    const saved = original.snapshot().rules[0]?.series ?? [];
    assert.deepEqual(saved.map((s) => [s.identity.source, s.labels !== undefined, s.fingerprint !== undefined]), [["a", true, true], ["b", false, false]]);
    // Snapshots written before that kept labels for every series: they restore the same way.
    const legacy = original.snapshot();
    for (const rule of legacy.rules) for (const series of rule.series) if (series.labels === undefined) Object.assign(series, { labels: { nope: "x" }, fingerprint: "0000000000000000" });
    for (const snapshot of [original.snapshot(), legacy]) {
      const fresh = new Evaluator([compile(cpuHigh({ for: "1m" }))], at(60));
      assert.deepEqual(fresh.restore(evaluatorSnapshotSchema.parse(JSON.parse(JSON.stringify(snapshot))), at(60)), []);
      const [fired] = fresh.tick(at(90));
      assert.equal(fired?.labels.source, "b");
      assert.equal(fired?.fingerprint, fingerprint({ source: "b", alertname: "cpu-high", severity: "warning" }));
    }
  });

  test("firing alerts survive with their start time and fingerprint", () => {
    const ruleSet = [compile(cpuHigh())];
    const original = new Evaluator(ruleSet, T0);
    const [fired] = original.apply(metric("cpu", 95, at(5)));
    const restored = roundTrip(original, ruleSet, at(100));
    assert.deepEqual(restored.firingAlerts(), original.firingAlerts());
    const [resolved] = restored.apply(metric("cpu", 1, at(110)));
    assert.equal(resolved?.fingerprint, fired?.fingerprint);
    assert.deepEqual(timeline(resolved ? [resolved] : []), ["resolved cpu-high @5..110"]);
  });

  test("a flapping series is restored mid-storm", () => {
    const ruleSet = [compile(cpuHigh({ flapping: { changes: 3, window: "5m" } }))];
    const steps = [99, 10, 99, 10].map((v, i) => metric("cpu", v, at(i * 10)));
    const original = new Evaluator(ruleSet, T0);
    run(original, steps);
    const restored = roundTrip(original, ruleSet, at(31));
    const rest: Step[] = [metric("cpu", 99, at(40)), at(1000)];
    const expected = run(original, rest);
    assert.deepEqual(timeline(expected), ["resolved cpu-high[flapping] @20..340", "firing cpu-high @340"]);
    assert.deepEqual(run(restored, rest), expected);
  });

  test("a snapshot from a rule whose shape changed resolves what it had announced", () => {
    const original = new Evaluator([compile(busy())], T0);
    run(original, [1, 2, 3].map((s) => metric("req", 1, at(s))));
    const reshaped = new Evaluator([compile(busy({ version: 2, window: "5m" }))], at(10));
    const out = reshaped.restore(original.snapshot(), at(10));
    assert.deepEqual(timeline(out), ["resolved busy @3..10"]);
    assert.equal(reshaped.seriesCount(), 0);
  });

  test("a snapshot of a rule that no longer exists resolves its alerts", () => {
    const original = new Evaluator([compile(cpuHigh())], T0);
    original.apply(metric("cpu", 95, at(5)));
    const fresh = new Evaluator([], at(60));
    assert.deepEqual(timeline(fresh.restore(original.snapshot(), at(60))), ["resolved cpu-high @5..60"]);
  });
});

describe("setRules", () => {
  test("an unchanged rule keeps its state (a pending `for`)", () => {
    const ev = new Evaluator([compile(cpuHigh({ for: "1m" }))], T0);
    ev.apply(metric("cpu", 95, at(0)));
    assert.deepEqual(ev.setRules([compile(cpuHigh({ for: "1m" }))], at(30)), []);
    assert.deepEqual(timeline(ev.tick(at(60))), ["firing cpu-high @60"]);
  });

  test("a changed rule of the same shape keeps its state and uses the new condition", () => {
    const ev = new Evaluator([compile(busy())], T0);
    run(ev, [metric("req", 1, at(0)), metric("req", 1, at(10))]);
    // Same window, aggregate and keys; a lower threshold: the two samples already in the window count.
    assert.deepEqual(ev.setRules([compile(busy({ version: 2, when: when("value", "greaterThanInclusive", 2) }))], at(15)), []);
    const out = ev.apply(metric("req", 1, at(20)));
    assert.deepEqual(timeline(out), ["firing busy @20"]);
    assert.equal(out[0]?.rule.version, 2);
  });

  test("a firing alert whose labels change is re-announced: old fingerprint resolved, new one firing", () => {
    const ev = new Evaluator([compile(cpuHigh({ labels: { team: "infra" } }))], T0);
    const [fired] = ev.apply(metric("cpu", 95, at(5)));
    const out = ev.setRules([compile(cpuHigh({ version: 2, labels: { team: "platform" } }))], at(100));
    assert.deepEqual(timeline(out), ["resolved cpu-high @5..100", "firing cpu-high @100"]);
    assert.equal(out[0]?.fingerprint, fired?.fingerprint);
    const newLabels = { source: "host-1", team: "platform", alertname: "cpu-high", severity: "warning" };
    assert.deepEqual(out[1]?.labels, newLabels);
    assert.equal(out[1]?.fingerprint, fingerprint(newLabels));
    // It goes on under the new fingerprint.
    const [resolved] = ev.apply(metric("cpu", 10, at(110)));
    assert.equal(resolved?.fingerprint, fingerprint(newLabels));
    assert.deepEqual(timeline(resolved ? [resolved] : []), ["resolved cpu-high @100..110"]);
  });

  test("a pending alert whose labels change fires later under the new labels, and nothing is announced meanwhile", () => {
    const ev = new Evaluator([compile(cpuHigh({ for: "1m", labels: { team: "infra" } }))], T0);
    ev.apply(metric("cpu", 95, at(0)));
    assert.deepEqual(ev.setRules([compile(cpuHigh({ version: 2, for: "1m", labels: { team: "platform" } }))], at(30)), []);
    const [fired] = ev.tick(at(60));
    const labels = { source: "host-1", team: "platform", alertname: "cpu-high", severity: "warning" };
    assert.deepEqual(fired?.labels, labels);
    assert.equal(fired?.fingerprint, fingerprint(labels));
  });

  test("a change that keeps labels (new severity is a label, a new description is not)", () => {
    const ev = new Evaluator([compile(cpuHigh())], T0);
    ev.apply(metric("cpu", 95, at(5)));
    assert.deepEqual(ev.setRules([compile(cpuHigh({ version: 2, description: "hot" }))], at(50)), []);
    const out = ev.setRules([compile(cpuHigh({ version: 3, severity: "critical" }))], at(60));
    assert.deepEqual(timeline(out), ["resolved cpu-high @5..60", "firing cpu-high @60"]);
    assert.equal(out[1]?.labels.severity, "critical");
  });

  test("a changed shape (keyBy) starts over and resolves what the old version announced", () => {
    const ev = new Evaluator([compile(cpuHigh())], T0);
    ev.apply(metric("cpu", 95, at(5)));
    const out = ev.setRules([compile(cpuHigh({ version: 2, keyBy: ["source"] }))], at(50));
    assert.deepEqual(timeline(out), ["resolved cpu-high @5..50"]);
    assert.equal(ev.seriesCount(), 0);
  });

  test("a removed rule resolves its firing alerts, and pending ones silently disappear", () => {
    const ev = new Evaluator([compile(cpuHigh()), compile(cpuHigh({ id: "cpu-slow", for: "10m" }))], T0);
    ev.apply(metric("cpu", 95, at(5)));
    const out = ev.setRules([], at(50));
    assert.deepEqual(timeline(out), ["resolved cpu-high @5..50"]);
    assert.equal(ev.ruleCount, 0);
    assert.deepEqual(ev.tick(at(3600)), []);
    assert.deepEqual(ev.firingAlerts(), []);
  });

  test("a new rule starts with no state; its expected series count from when it was added", () => {
    const ev = new Evaluator([], T0);
    ev.apply(metric("heartbeat", 1, at(0), { source: "db-1" }));
    assert.deepEqual(ev.setRules([compile(heartbeat({ expect: [{ source: "db-1" }] }))], at(100)), []);
    assert.deepEqual(ev.tick(at(399)), []);
    assert.deepEqual(timeline(ev.tick(at(400))), ["firing heartbeat-missing @400"]);
  });
});

describe("disabled rules", () => {
  test("are ignored", () => {
    const ev = new Evaluator([compile(cpuHigh({ enabled: false })), compile(heartbeat({ enabled: false, expect: [{ source: "x" }] }))], T0);
    assert.equal(ev.ruleCount, 0);
    assert.deepEqual(ev.apply(metric("cpu", 99, at(1))), []);
    assert.deepEqual(ev.tick(at(10_000)), []);
    assert.equal(ev.seriesCount(), 0);
  });

  test("disabling a firing rule resolves it; enabling it again starts afresh", () => {
    const ev = new Evaluator([compile(cpuHigh())], T0);
    ev.apply(metric("cpu", 99, at(1)));
    assert.deepEqual(timeline(ev.setRules([compile(cpuHigh({ version: 2, enabled: false }))], at(10))), ["resolved cpu-high @1..10"]);
    assert.deepEqual(ev.apply(metric("cpu", 99, at(11))), []);
    assert.deepEqual(ev.setRules([compile(cpuHigh({ version: 3 }))], at(20)), []);
    assert.deepEqual(timeline(ev.apply(metric("cpu", 99, at(21)))), ["firing cpu-high @21"]);
  });
});

describe("annotations", () => {
  test("render value, labels and source from the firing event; numbers keep at most 3 decimals", () => {
    const ev = new Evaluator(
      [compile(cpuHigh({ labels: { team: "infra" }, annotations: { summary: "{{ source }}: cpu {{ value }}% ({{ labels.team }}, {{labels.zone}})" } }))],
      T0,
    );
    const [fired] = ev.apply(metric("cpu", 93.333333333, at(1), { labels: { zone: "a" } }));
    assert.deepEqual(fired?.annotations, { summary: "host-1: cpu 93.333% (infra, a)" });
    const [resolved] = ev.apply(metric("cpu", 12, at(2), { labels: { zone: "a" } }));
    assert.deepEqual(resolved?.annotations, { summary: "host-1: cpu 12% (infra, a)" });
  });

  test("a window rule renders the aggregate as the value", () => {
    const ev = new Evaluator([compile(busy({ aggregate: "avg", when: when("value", "greaterThan", 1), annotations: { a: "avg {{ value }} over {{ count }}" } }))], T0);
    run(ev, [metric("req", 1, at(0)), metric("req", 1, at(1))]);
    const [fired] = ev.apply(metric("req", 2, at(2)));
    assert.deepEqual(fired?.annotations, { a: "avg 1.333 over 3" });
  });

  test("compileTemplate", () => {
    const facts = { value: 2.5, big: 1234567.891234, whole: 7, source: "h", labels: { x: "y" }, rule: { id: "r", version: 2 } };
    assert.equal(compileTemplate("{{value}} {{ big }} {{ whole }}")(facts), "2.5 1234567.891 7");
    assert.equal(compileTemplate("{{ labels.x }}/{{ labels.missing }}/{{ nothing }}")(facts), "y//");
    assert.equal(compileTemplate("{{ rule.id }}@{{ rule.version }} {{ labels }}")(facts), 'r@2 {"x":"y"}');
    assert.equal(compileTemplate("no placeholders {{ }}")(facts), "no placeholders {{ }}");
  });

  test("unknownPlaceholders reports roots that are not facts", () => {
    assert.deepEqual(unknownPlaceholders("{{ value }} {{ labels.x }} {{ vaule }} {{ host.name }}"), ["vaule", "host.name"]);
  });
});
