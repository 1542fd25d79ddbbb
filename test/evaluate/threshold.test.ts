import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { fingerprint } from "../../src/alerts/fingerprint.js";
import { Evaluator } from "../../src/evaluate/evaluator.js";
import { timeline } from "../support/alerts.js";
import { T0, at, log, metric } from "../support/events.js";
import { compile, metricNamed, when, type RuleJson } from "../support/rules.js";

function cpuHigh(extra: RuleJson = {}): RuleJson {
  return {
    id: "cpu-high",
    version: 1,
    kind: "threshold",
    event: "metric",
    severity: "warning",
    match: metricNamed("cpu"),
    when: when("value", "greaterThan", 90),
    ...extra,
  };
}

const evaluator = (extra: RuleJson = {}): Evaluator => new Evaluator([compile(cpuHigh(extra))], T0);

describe("threshold rule without `for`", () => {
  test("fires on the first matching event, stamped with the event's time", () => {
    const ev = evaluator();
    const out = ev.apply(metric("cpu", 95, at(10)));
    assert.deepEqual(timeline(out), ["firing cpu-high @10"]);
    assert.equal(out[0]?.value, 95);
    assert.deepEqual(out[0]?.rule, { id: "cpu-high", version: 1 });
    assert.equal(ev.firingAlerts().length, 1);
  });

  test("a second matching event while firing announces nothing", () => {
    const ev = evaluator();
    ev.apply(metric("cpu", 95, at(10)));
    assert.deepEqual(ev.apply(metric("cpu", 99, at(20))), []);
    assert.equal(ev.firingAlerts()[0]?.startsAtMs, at(10));
  });

  test("resolves on a non-matching event of the same series", () => {
    const ev = evaluator();
    const fired = ev.apply(metric("cpu", 95, at(10)));
    const out = ev.apply(metric("cpu", 40, at(30)));
    assert.deepEqual(timeline(out), ["resolved cpu-high @10..30"]);
    assert.equal(out[0]?.fingerprint, fired[0]?.fingerprint);
    assert.deepEqual(ev.firingAlerts(), []);
  });

  test("a non-matching event of another series does not resolve it", () => {
    const ev = evaluator();
    ev.apply(metric("cpu", 95, at(10), { source: "host-1" }));
    assert.deepEqual(ev.apply(metric("cpu", 40, at(20), { source: "host-2" })), []);
    assert.equal(ev.firingAlerts().length, 1);
  });

  test("a condition that never held resolves nothing", () => {
    const ev = evaluator();
    assert.deepEqual(ev.apply(metric("cpu", 40, at(10))), []);
    assert.deepEqual(ev.tick(at(3600)), []);
  });
});

describe("series and labels", () => {
  test("default keyBy (source, service, all event labels) keeps series apart", () => {
    const ev = evaluator();
    const a = ev.apply(metric("cpu", 95, at(1), { source: "host-1", service: "api" }));
    const b = ev.apply(metric("cpu", 95, at(2), { source: "host-2", service: "api" }));
    const c = ev.apply(metric("cpu", 95, at(3), { source: "host-1", service: "web" }));
    const d = ev.apply(metric("cpu", 95, at(4), { source: "host-1", service: "api", labels: { core: "0" } }));
    const all = [...a, ...b, ...c, ...d];
    assert.equal(all.length, 4);
    assert.equal(new Set(all.map((t) => t.fingerprint)).size, 4);
    // Resolving one series leaves the others firing.
    assert.deepEqual(timeline(ev.apply(metric("cpu", 10, at(5), { source: "host-2", service: "api" }))), ["resolved cpu-high @2..5"]);
    assert.equal(ev.firingAlerts().length, 3);
  });

  test("the metric name is not part of the default key", () => {
    const ev = new Evaluator([compile(cpuHigh({ match: when("name", "in", ["cpu", "cpu_total"]) }))], T0);
    ev.apply(metric("cpu", 95, at(1)));
    // Same source/service/labels: same series, so a low value of the other metric resolves it.
    assert.deepEqual(timeline(ev.apply(metric("cpu_total", 10, at(2)))), ["resolved cpu-high @1..2"]);
  });

  test("explicit keyBy picks the fields, naming `name` as the metric label", () => {
    const ev = evaluator({ keyBy: ["name", "labels.region"] });
    const out = ev.apply(metric("cpu", 95, at(1), { source: "host-1", labels: { region: "eu", core: "3" } }));
    assert.deepEqual(out[0]?.labels, { metric: "cpu", region: "eu", alertname: "cpu-high", severity: "warning" });
    // Another host in the same region is the same series.
    assert.deepEqual(ev.apply(metric("cpu", 97, at(2), { source: "host-9", labels: { region: "eu" } })), []);
  });

  test("labels: event identity, overridden by rule labels, then alertname and severity; fingerprint is of the labels", () => {
    const ev = evaluator({ labels: { team: "infra", page: "yes" } });
    const event = metric("cpu", 95, at(1), {
      source: "host-1",
      service: "api",
      labels: { team: "app", zone: "a", alertname: "spoofed", severity: "info" },
    });
    const [t] = ev.apply(event);
    const expected = { source: "host-1", service: "api", team: "infra", zone: "a", page: "yes", alertname: "cpu-high", severity: "warning" };
    assert.deepEqual(t?.labels, expected);
    assert.equal(t?.fingerprint, fingerprint(expected));
    assert.match(t?.fingerprint ?? "", /^[0-9a-f]{16}$/);
  });

  test("the same labels give the same fingerprint in another evaluator", () => {
    const a = evaluator().apply(metric("cpu", 95, at(1), { labels: { x: "1" } }));
    const b = evaluator().apply(metric("cpu", 99, at(500), { labels: { x: "1" } }));
    assert.equal(a[0]?.fingerprint, b[0]?.fingerprint);
  });
});

describe("threshold rule with `for`", () => {
  const withFor = (): Evaluator => evaluator({ for: "1m" });

  test("is pending until the condition has held for `for`, then fires on tick at exactly conditionSince + for", () => {
    const ev = withFor();
    assert.deepEqual(ev.apply(metric("cpu", 95, at(0))), []);
    assert.equal(ev.nextDueMs(), at(60));
    assert.deepEqual(ev.firingAlerts(), []);
    assert.deepEqual(ev.tick(at(59.999)), []);
    assert.deepEqual(timeline(ev.tick(at(60))), ["firing cpu-high @60"]);
    assert.deepEqual(ev.tick(at(120)), []);
  });

  test("a late tick still stamps the firing with the due time", () => {
    const ev = withFor();
    ev.apply(metric("cpu", 95, at(0)));
    assert.deepEqual(timeline(ev.tick(at(3600))), ["firing cpu-high @60"]);
    assert.equal(ev.firingAlerts()[0]?.startsAtMs, at(60));
  });

  test("further true events while pending do not restart the clock", () => {
    const ev = withFor();
    ev.apply(metric("cpu", 95, at(0)));
    assert.deepEqual(ev.apply(metric("cpu", 96, at(30))), []);
    assert.deepEqual(ev.apply(metric("cpu", 97, at(59))), []);
    assert.deepEqual(timeline(ev.tick(at(60))), ["firing cpu-high @60"]);
  });

  test("a false event before the deadline cancels it", () => {
    const ev = withFor();
    ev.apply(metric("cpu", 95, at(0)));
    assert.deepEqual(ev.apply(metric("cpu", 50, at(30))), []);
    assert.deepEqual(ev.tick(at(600)), []);
    // The next true event starts a fresh `for`.
    ev.apply(metric("cpu", 95, at(700)));
    assert.deepEqual(ev.tick(at(759)), []);
    assert.deepEqual(timeline(ev.tick(at(760))), ["firing cpu-high @760"]);
  });

  test("a true event after the deadline (no tick in between) fires at the deadline, not at the event", () => {
    const ev = withFor();
    ev.apply(metric("cpu", 95, at(0)));
    assert.deepEqual(timeline(ev.apply(metric("cpu", 95, at(90)))), ["firing cpu-high @60"]);
  });

  test("catch-up: a false event after the deadline fires at the deadline, then resolves at the event, in that order", () => {
    const ev = withFor();
    ev.apply(metric("cpu", 95, at(0)));
    assert.deepEqual(timeline(ev.apply(metric("cpu", 50, at(90)))), ["firing cpu-high @60", "resolved cpu-high @60..90"]);
    assert.deepEqual(ev.tick(at(600)), []);
    assert.deepEqual(ev.firingAlerts(), []);
  });

  test("resolves immediately on a false event, without waiting for `for`", () => {
    const ev = withFor();
    ev.apply(metric("cpu", 95, at(0)));
    ev.tick(at(60));
    assert.deepEqual(timeline(ev.apply(metric("cpu", 10, at(61)))), ["resolved cpu-high @60..61"]);
  });

  test("pending series are timed independently", () => {
    const ev = withFor();
    ev.apply(metric("cpu", 95, at(0), { source: "a" }));
    ev.apply(metric("cpu", 95, at(20), { source: "b" }));
    const out = ev.tick(at(100));
    assert.deepEqual(timeline(out), ["firing cpu-high @60", "firing cpu-high @80"]);
    assert.deepEqual(out.map((t) => t.labels.source), ["a", "b"]);
  });
});

describe("match routing", () => {
  test("events of other metric names never touch the rule", () => {
    const ev = evaluator();
    // The value would satisfy `when`; `match` keeps it out.
    assert.deepEqual(ev.apply(metric("memory", 99, at(1))), []);
    assert.equal(ev.seriesCount(), 0);
    assert.equal(ev.nextDueMs(), undefined);
  });

  test("an event of another name does not resolve a firing alert of the same source", () => {
    const ev = evaluator();
    ev.apply(metric("cpu", 95, at(1)));
    assert.deepEqual(ev.apply(metric("memory", 1, at(2))), []);
    assert.equal(ev.firingAlerts().length, 1);
  });

  test("log events never reach a metric rule", () => {
    const ev = new Evaluator([compile(cpuHigh({ match: undefined, when: when("level", "equal", "error") }))], T0);
    assert.deepEqual(ev.apply(log("error", "x", at(1))), []);
    assert.equal(ev.seriesCount(), 0);
  });

  test("match on other facts (service) also filters", () => {
    const ev = evaluator({ match: { all: [{ fact: "name", operator: "equal", value: "cpu" }, { fact: "service", operator: "equal", value: "api" }] } });
    assert.deepEqual(ev.apply(metric("cpu", 99, at(1), { service: "web" })), []);
    assert.equal(ev.apply(metric("cpu", 99, at(2), { service: "api" })).length, 1);
  });
});

describe("late events", () => {
  test("an event older than the series' latest one does not change its state", () => {
    const ev = evaluator();
    ev.apply(metric("cpu", 95, at(100)));
    assert.deepEqual(ev.apply(metric("cpu", 10, at(50))), []);
    assert.equal(ev.firingAlerts()[0]?.startsAtMs, at(100));
    assert.deepEqual(timeline(ev.apply(metric("cpu", 10, at(110)))), ["resolved cpu-high @100..110"]);
  });

  test("an older event does not cancel a pending `for` either", () => {
    const ev = evaluator({ for: "1m" });
    ev.apply(metric("cpu", 95, at(100)));
    assert.deepEqual(ev.apply(metric("cpu", 10, at(50))), []);
    assert.deepEqual(timeline(ev.tick(at(160))), ["firing cpu-high @160"]);
  });

  test("an event behind the tick resolves no earlier than the alert started", () => {
    // The engine ticks a little behind the wall clock; an event can still arrive stamped before the tick.
    const ev = evaluator({ for: "1m" });
    ev.apply(metric("cpu", 95, at(0)));
    ev.tick(at(61));
    assert.deepEqual(timeline(ev.apply(metric("cpu", 10, at(59)))), ["resolved cpu-high @60..60"]);
  });
});
