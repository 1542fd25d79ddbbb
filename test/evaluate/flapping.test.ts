import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { fingerprint } from "../../src/alerts/fingerprint.js";
import { Evaluator } from "../../src/evaluate/evaluator.js";
import { timeline } from "../support/alerts.js";
import { T0, at, metric } from "../support/events.js";
import { compile, metricNamed, when, type RuleJson } from "../support/rules.js";

/** Flaps after 4 state changes within 10 minutes. */
function evaluator(changes = 4, window = "10m"): Evaluator {
  return new Evaluator([compile(flappyRule(changes, window))], T0);
}

function flappyRule(changes = 4, window = "10m", extra: RuleJson = {}): RuleJson {
  return {
    id: "cpu-high",
    version: 1,
    kind: "threshold",
    event: "metric",
    severity: "warning",
    match: metricNamed("cpu"),
    when: when("value", "greaterThan", 90),
    flapping: { changes, window },
    annotations: { summary: "cpu at {{ value }}" },
    ...extra,
  };
}

/** `high` at each even index, low at each odd one: one state change per event. */
function alternate(ev: Evaluator, seconds: number[], startHigh = true): string[] {
  return seconds.flatMap((s, i) => timeline(ev.apply(metric("cpu", (i % 2 === 0) === startHigh ? 99 : 10, at(s)))));
}

const LABELS = { source: "host-1", alertname: "cpu-high", severity: "warning" };

describe("flapping", () => {
  test("N changes within the window give ONE flapping alert; the individual alert steps aside", () => {
    const ev = evaluator();
    assert.deepEqual(alternate(ev, [0, 30, 60]), ["firing cpu-high @0", "resolved cpu-high @0..30", "firing cpu-high @60"]);
    const out = ev.apply(metric("cpu", 10, at(90)));
    assert.deepEqual(timeline(out), ["firing cpu-high[flapping] @90", "resolved cpu-high @60..90"]);
    const flap = out[0];
    assert.deepEqual(flap?.labels, { ...LABELS, flapping: "true" });
    assert.equal(flap?.fingerprint, fingerprint({ ...LABELS, flapping: "true" }));
    assert.match(flap?.annotations.flapping ?? "", /4 times within 10m/);
    assert.equal(flap?.annotations.summary, "cpu at 10");
  });

  test("no further individual transitions while it flaps", () => {
    const ev = evaluator();
    alternate(ev, [0, 30, 60, 90]);
    const during = [120, 150, 180, 210, 240].flatMap((s, i) => ev.apply(metric("cpu", i % 2 === 0 ? 99 : 10, at(s))));
    assert.deepEqual(during, []);
    assert.deepEqual(ev.tick(at(600)), []);
    const firing = ev.firingAlerts();
    assert.equal(firing.length, 1);
    assert.deepEqual(firing[0]?.labels, { ...LABELS, flapping: "true" });
    assert.equal(firing[0]?.startsAtMs, at(90));
  });

  test("stable for the window: the flapping alert resolves and a still-firing alert is announced afresh", () => {
    const ev = evaluator();
    alternate(ev, [0, 30, 60, 90, 120]); // ends high at 120
    assert.deepEqual(ev.tick(at(719)), []);
    const out = ev.tick(at(720));
    assert.deepEqual(timeline(out), ["resolved cpu-high[flapping] @90..720", "firing cpu-high @720"]);
    assert.deepEqual(out[1]?.labels, LABELS);
    assert.deepEqual(ev.firingAlerts().map((a) => a.labels), [LABELS]);
    // Back to normal: individual changes are announced again.
    assert.deepEqual(timeline(ev.apply(metric("cpu", 10, at(800)))), ["resolved cpu-high @720..800"]);
  });

  test("stable and healthy: only the flapping alert resolves (the individual one was resolved when it began)", () => {
    const ev = evaluator();
    alternate(ev, [0, 30, 60, 90, 120, 150]); // ends low at 150
    assert.deepEqual(timeline(ev.tick(at(750))), ["resolved cpu-high[flapping] @90..750"]);
    assert.deepEqual(ev.firingAlerts(), []);
    assert.equal(ev.seriesCount(), 0);
  });

  test("the end of the storm is stamped when it logically happened, even on a late tick", () => {
    const ev = evaluator();
    alternate(ev, [0, 30, 60, 90, 120]);
    assert.deepEqual(timeline(ev.tick(at(5000))), ["resolved cpu-high[flapping] @90..720", "firing cpu-high @720"]);
  });

  test("an event after a quiet spell (no tick) first ends the storm, then counts as a normal change", () => {
    const ev = evaluator();
    alternate(ev, [0, 30, 60, 90, 120]);
    assert.deepEqual(timeline(ev.apply(metric("cpu", 10, at(1000)))), [
      "resolved cpu-high[flapping] @90..720",
      "firing cpu-high @720",
      "resolved cpu-high @720..1000",
    ]);
  });

  test("a storm that started while resolved does not announce the individual alert at all", () => {
    const ev = evaluator(3);
    const out = alternate(ev, [0, 30, 60]);
    assert.deepEqual(out, ["firing cpu-high @0", "resolved cpu-high @0..30", "firing cpu-high[flapping] @60"]);
  });

  test("changes spread wider than the window never flap", () => {
    const ev = evaluator(3, "1m");
    const out = alternate(ev, [0, 40, 80, 120, 160]);
    assert.deepEqual(out, [
      "firing cpu-high @0",
      "resolved cpu-high @0..40",
      "firing cpu-high @80",
      "resolved cpu-high @80..120",
      "firing cpu-high @160",
    ]);
  });

  test("each series flaps on its own", () => {
    const ev = evaluator(3);
    for (const [i, s] of [0, 30, 60].entries()) ev.apply(metric("cpu", i % 2 === 0 ? 99 : 10, at(s), { source: "a" }));
    const other = ev.apply(metric("cpu", 99, at(70), { source: "b" }));
    assert.deepEqual(timeline(other), ["firing cpu-high @70"]);
    assert.equal(other[0]?.labels.source, "b");
  });

  test("a calm series is remembered while its changes still count, then forgotten", () => {
    const ev = evaluator();
    alternate(ev, [0, 30]); // two changes: not a storm, but they count for 10 minutes
    ev.apply(metric("cpu", 10, at(300)));
    assert.equal(ev.seriesCount(), 1);
    ev.apply(metric("cpu", 10, at(630)));
    assert.equal(ev.seriesCount(), 0);
  });

  test("removing a rule mid-storm resolves its flapping alert", () => {
    const ev = evaluator();
    alternate(ev, [0, 30, 60, 90]);
    assert.deepEqual(timeline(ev.setRules([], at(100))), ["resolved cpu-high[flapping] @90..100"]);
    assert.deepEqual(ev.tick(at(5000)), []);
  });

  test("relabelling a rule mid-storm moves the flapping alert to the new labels", () => {
    const ev = evaluator();
    alternate(ev, [0, 30, 60, 90]);
    const flap = ev.firingAlerts()[0];
    const out = ev.setRules([compile(flappyRule(4, "10m", { version: 2, labels: { team: "infra" } }))], at(100));
    assert.deepEqual(timeline(out), ["resolved cpu-high[flapping] @90..100", "firing cpu-high[flapping] @100"]);
    assert.equal(out[0]?.fingerprint, fingerprint(flap?.labels ?? {}));
    assert.deepEqual(out[1]?.labels, { ...LABELS, team: "infra", flapping: "true" });
    // The storm goes on under the new labels and ends as usual.
    assert.deepEqual(timeline(ev.tick(at(5000))), ["resolved cpu-high[flapping] @100..690"]);
    assert.deepEqual(ev.firingAlerts(), []);
  });

  test("turning flapping detection off mid-storm ends the storm and announces the alert's real state", () => {
    const ev = evaluator();
    alternate(ev, [0, 30, 60, 90, 120]); // ends high
    const noFlapping = compile(flappyRule(4, "10m", { version: 2, flapping: undefined }));
    assert.deepEqual(timeline(ev.setRules([noFlapping], at(130))), ["resolved cpu-high[flapping] @90..130", "firing cpu-high @130"]);
    assert.deepEqual(ev.firingAlerts().map((a) => a.labels), [LABELS]);
    // Individual changes are announced again straight away.
    assert.deepEqual(timeline(ev.apply(metric("cpu", 10, at(140)))), ["resolved cpu-high @130..140"]);
    assert.deepEqual(ev.tick(at(5000)), []);
  });
});
