import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { Registry } from "prom-client";
import { DeferredCounter } from "../../src/app/deferred-counter.js";

async function valueOf(registry: Registry, name: string, label: string): Promise<number | undefined> {
  const metric = await registry.getSingleMetric(name)?.get();
  return metric?.values.find((v) => v.labels.type === label)?.value;
}

describe("DeferredCounter", () => {
  test("reads exactly what was counted, per label value, across reads", async () => {
    const registry = new Registry();
    const counter = new DeferredCounter(registry, "test_events_total", "events", "type");
    const metrics = counter.child("metric");
    const logs = counter.child("log");
    for (let i = 0; i < 1_000; i++) metrics.inc();
    for (let i = 0; i < 3; i++) logs.inc();
    assert.match(await registry.metrics(), /^test_events_total\{type="metric"\} 1000$/m);
    assert.equal(await valueOf(registry, "test_events_total", "log"), 3);
    for (let i = 0; i < 500; i++) metrics.inc();
    // A second handle for the same value counts into the same total.
    counter.child("metric").inc();
    assert.equal(await valueOf(registry, "test_events_total", "metric"), 1_501);
    assert.equal(await valueOf(registry, "test_events_total", "log"), 3, "a read with nothing new changes nothing");
  });
});
