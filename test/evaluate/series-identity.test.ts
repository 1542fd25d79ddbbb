import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { seriesKeyer } from "../../src/evaluate/series-key.js";
import { newSeries, Series } from "../../src/evaluate/series.js";
import { deserializeSeries, serializeSeries, type SeriesSnapshot } from "../../src/evaluate/snapshot.js";
import { metric, T0 } from "../support/events.js";
import { compile, metricNamed, when } from "../support/rules.js";

// keyBy: source, service and every label (the default for thresholds).
const cpuHigh = compile({ id: "cpu-high", version: 1, kind: "threshold", event: "metric", severity: "warning", match: metricNamed("cpu"), when: when("value", "greaterThan", 90) });
const keyer = seriesKeyer(cpuHigh.keyBy);
const event = metric("cpu", 95, T0, { source: "host-1", service: "api", labels: { region: "eu" } });
const IDENTITY = { source: "host-1", service: "api", region: "eu" };

/** The snapshot of a series as it travels: encoded and decoded, so nothing in it is shared with the live series. */
const viaJson = (series: Series): SeriesSnapshot => JSON.parse(JSON.stringify(serializeSeries(series))) as SeriesSnapshot;

describe("series identity", () => {
  test("a series made by events derives its identity from its latest event and keeps no object for it", () => {
    const series = Series.ofEvent(cpuHigh, keyer.ofEvent(event), event);
    assert.deepEqual(series.identity, IDENTITY);
    // A new object each time: none is held per series (they were ~56 bytes of every alert in a storm).
    assert.notEqual(series.identity, series.identity);
    series.facts = metric("cpu", 97, T0 + 1_000, { source: "host-1", service: "api", labels: { region: "eu" } });
    assert.deepEqual(series.identity, IDENTITY);
    assert.deepEqual(series.labels, { ...IDENTITY, alertname: "cpu-high", severity: "warning" });
  });

  test("a restored series whose saved facts give back its identity derives it from them, and then from each event", () => {
    const live = Series.ofEvent(cpuHigh, keyer.ofEvent(event), event);
    const restored = deserializeSeries(viaJson(live), cpuHigh, (identity) => keyer.ofIdentity(identity));
    assert.equal(restored.key, live.key);
    assert.deepEqual(restored.identity, IDENTITY);
    assert.notEqual(restored.identity, restored.identity, "derived, not kept");
    assert.equal(restored.fingerprint, live.fingerprint);
  });

  test("a restored series keeps its saved identity where its facts do not give it back", () => {
    const keep = (saved: SeriesSnapshot): Series => deserializeSeries(saved, cpuHigh, (identity) => keyer.ofIdentity(identity));
    // A series expected before any event has no facts; saved facts may also lack a key field (snapshots cut long
    // texts, and a snapshot is data from outside the process).
    const expected = keep(serializeSeries(newSeries(cpuHigh, keyer.ofIdentity(IDENTITY), IDENTITY, T0)));
    const saved = viaJson(Series.ofEvent(cpuHigh, keyer.ofEvent(event), event));
    const lacking = keep({ ...saved, facts: { ...saved.facts, labels: {} } });
    // The rule removed: no keyBy to derive by.
    const orphan = deserializeSeries(viaJson(Series.ofEvent(cpuHigh, keyer.ofEvent(event), event)), undefined, (identity) => keyer.ofIdentity(identity));
    for (const [what, series, identity] of [
      ["expected", expected, IDENTITY],
      ["facts lacking a key field", lacking, IDENTITY],
      ["rule removed", orphan, IDENTITY],
    ] as const) {
      assert.deepEqual(series.identity, identity, what);
      assert.equal(series.identity, series.identity, `${what}: the saved object, kept`);
    }
  });
});
