import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { fingerprint } from "../../src/alerts/fingerprint.js";
import { Evaluator } from "../../src/evaluate/evaluator.js";
import { timeline } from "../support/alerts.js";
import { T0, at, metric } from "../support/events.js";
import { compile, metricNamed, type RuleJson } from "../support/rules.js";

function heartbeat(extra: RuleJson = {}): RuleJson {
  return {
    id: "heartbeat-missing",
    version: 1,
    kind: "absence",
    event: "metric",
    severity: "critical",
    match: metricNamed("heartbeat"),
    absentFor: "5m",
    ...extra,
  };
}

const evaluator = (extra: RuleJson = {}, startMs = T0): Evaluator => new Evaluator([compile(heartbeat(extra))], startMs);
const beat = (seconds: number, source = "host-1"): ReturnType<typeof metric> => metric("heartbeat", 1, at(seconds), { source });

describe("absence rule", () => {
  test("a series seen then silent for absentFor fires at lastSeen + absentFor", () => {
    const ev = evaluator();
    assert.deepEqual(ev.apply(beat(10)), []);
    assert.equal(ev.nextDueMs(), at(310));
    assert.deepEqual(ev.tick(at(309.999)), []);
    const out = ev.tick(at(310));
    assert.deepEqual(timeline(out), ["firing heartbeat-missing @310"]);
    assert.deepEqual(out[0]?.labels, { source: "host-1", alertname: "heartbeat-missing", severity: "critical" });
    assert.deepEqual(ev.tick(at(10_000)), [], "fires once");
  });

  test("a late tick stamps the firing at lastSeen + absentFor", () => {
    const ev = evaluator();
    ev.apply(beat(10));
    assert.deepEqual(timeline(ev.tick(at(3600))), ["firing heartbeat-missing @310"]);
  });

  test("an event resolves it at the event's time", () => {
    const ev = evaluator();
    ev.apply(beat(10));
    ev.tick(at(400));
    assert.deepEqual(timeline(ev.apply(beat(500))), ["resolved heartbeat-missing @310..500"]);
    // And the watch starts over from the new event.
    assert.deepEqual(ev.tick(at(799)), []);
    assert.deepEqual(timeline(ev.tick(at(800))), ["firing heartbeat-missing @800"]);
  });

  test("an event after the silence with no tick in between fires and resolves, in order", () => {
    const ev = evaluator();
    ev.apply(beat(10));
    assert.deepEqual(timeline(ev.apply(beat(500))), ["firing heartbeat-missing @310", "resolved heartbeat-missing @310..500"]);
  });

  test("a stale event (older than the last one seen) does not resolve the silence", () => {
    const ev = evaluator();
    ev.apply(beat(10));
    ev.apply(beat(20));
    assert.deepEqual(timeline(ev.tick(at(400))), ["firing heartbeat-missing @320"]);
    assert.deepEqual(ev.apply(beat(15)), [], "a redelivery of an old heartbeat is not news");
    assert.deepEqual(timeline(ev.apply(beat(401))), ["resolved heartbeat-missing @320..401"]);
  });

  test("a series whose events keep arriving never fires", () => {
    const ev = evaluator();
    const out = [];
    for (let s = 0; s <= 3600; s += 60) {
      out.push(...ev.apply(beat(s)));
      out.push(...ev.tick(at(s + 30)));
    }
    assert.deepEqual(out, []);
    assert.deepEqual(ev.firingAlerts(), []);
  });

  test("an event just before the deadline pushes it back", () => {
    const ev = evaluator();
    ev.apply(beat(0));
    ev.apply(beat(299));
    assert.deepEqual(ev.tick(at(300)), []);
    assert.deepEqual(timeline(ev.tick(at(599))), ["firing heartbeat-missing @599"]);
  });

  test("each source is watched on its own (default keyBy: source)", () => {
    const ev = evaluator();
    ev.apply(beat(0, "a"));
    ev.apply(beat(100, "b"));
    for (let s = 120; s < 1000; s += 120) ev.apply(beat(s, "b"));
    const out = ev.tick(at(1000));
    assert.deepEqual(timeline(out), ["firing heartbeat-missing @300"]);
    assert.equal(out[0]?.labels.source, "a");
  });

  test("events the rule does not match do not count as a sign of life", () => {
    const ev = evaluator();
    ev.apply(beat(0));
    assert.deepEqual(ev.apply(metric("cpu", 1, at(200))), []);
    assert.deepEqual(timeline(ev.tick(at(300))), ["firing heartbeat-missing @300"]);
  });
});

describe("absence rule with `expect`", () => {
  test("expected series fire even if never seen, counting from the evaluator's start", () => {
    const ev = evaluator({ expect: [{ source: "db-1" }, { source: "db-2" }] }, at(100));
    assert.equal(ev.seriesCount(), 2);
    assert.deepEqual(ev.tick(at(399)), []);
    const out = ev.tick(at(400));
    assert.deepEqual(timeline(out), ["firing heartbeat-missing @400", "firing heartbeat-missing @400"]);
    assert.deepEqual(out.map((t) => t.labels.source).sort(), ["db-1", "db-2"]);
  });

  test("an event from an expected series is the same series: it resolves the alert", () => {
    const ev = evaluator({ expect: [{ source: "db-1" }] });
    const [fired] = ev.tick(at(300));
    const expectedLabels = { source: "db-1", alertname: "heartbeat-missing", severity: "critical" };
    assert.deepEqual(fired?.labels, expectedLabels);
    assert.equal(fired?.fingerprint, fingerprint(expectedLabels));
    const out = ev.apply(beat(320, "db-1"));
    assert.deepEqual(timeline(out), ["resolved heartbeat-missing @300..320"]);
    assert.equal(out[0]?.fingerprint, fired?.fingerprint);
  });

  test("an expected series that reports in time never fires", () => {
    const ev = evaluator({ expect: [{ source: "db-1" }] });
    ev.apply(beat(200, "db-1"));
    assert.deepEqual(ev.tick(at(499)), []);
    assert.equal(ev.seriesCount(), 1);
  });

  test("expect with label key fields matches events carrying those labels", () => {
    const ev = evaluator({ keyBy: ["service", "labels.region"], expect: [{ service: "billing", "labels.region": "eu" }] });
    ev.apply(metric("heartbeat", 1, at(100), { source: "pod-7", service: "billing", labels: { region: "eu" } }));
    assert.equal(ev.seriesCount(), 1, "the event joined the expected series");
    const out = ev.tick(at(400));
    assert.deepEqual(out[0]?.labels, { service: "billing", region: "eu", alertname: "heartbeat-missing", severity: "critical" });
    assert.deepEqual(timeline(out), ["firing heartbeat-missing @400"]);
  });
});
