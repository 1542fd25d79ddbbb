import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { provision } from "../../src/store/jetstream/provision.js";
import { eventually, metricEvent, rulesDir, startEngine, streamJson, testConfig, useNatsWithClient } from "../support/engine.js";
import type { AlertMessage } from "../../src/alerts/alert.js";

// Five readings over 4 s make a burst: a 10 s window counting them.
const burst = {
  id: "burst",
  version: 1,
  kind: "window",
  event: "metric",
  match: { all: [{ fact: "name", operator: "equal", value: "hits" }] },
  keyBy: ["source"],
  window: "10s",
  aggregate: "count",
  when: { all: [{ fact: "value", operator: "greaterThanInclusive", value: 5 }] },
  severity: "warning",
};

describe("catching up on a backlog", () => {
  const nats = useNatsWithClient();

  test("events queued while no engine ran are judged by their own time, not by the wall clock of the drain", async () => {
    // Ten minutes ago, 100 hosts each sent 5 readings a second apart. The stream holds them round by round with a
    // crowd of other events in between, so the engine ticks many times while it drains; ticking at the wall clock
    // would close each window before its next reading arrives, and no burst would ever count to 5.
    const dir = await rulesDir([burst]);
    const config = testConfig(nats.current.url, dir, { tickIntervalMs: 10, consumer: { batch: 100 } });
    await provision(nats.jsm, config);
    const sources = Array.from({ length: 100 }, (_, i) => `host-${i}`);
    const start = Date.now() - 10 * 60_000;
    const pending: Array<Promise<unknown>> = [];
    for (let round = 0; round < 5; round++) {
      for (const source of sources) pending.push(nats.js.publish(`events.metric.${source}`, JSON.stringify(metricEvent(source, "hits", 1, start + round * 1_000))));
      for (let n = 0; n < 1_500; n++) pending.push(nats.js.publish(`events.metric.crowd-${n % 50}`, JSON.stringify(metricEvent(`crowd-${n % 50}`, "noise", n, start + round * 1_000))));
      await Promise.all(pending.splice(0));
    }

    const engine = await startEngine(config);
    await eventually("the backlog drained", async () => {
      const info = await (await nats.js.consumers.get("KLAXON_EVENTS", "klaxon-evaluate")).info();
      return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
    }, 60_000);
    const fired = await eventually("a burst alert for every host", async () => {
      const alerts = (await streamJson<AlertMessage>(nats.js, "KLAXON_ALERTS")).filter((a) => a.status === "firing" && a.labels.alertname === "burst");
      return alerts.length >= sources.length ? alerts : undefined;
    }, 15_000).catch(async () => (await streamJson<AlertMessage>(nats.js, "KLAXON_ALERTS")).filter((a) => a.status === "firing"));
    assert.deepEqual(new Set(fired.map((a) => a.labels.source)), new Set(sources), `every host's burst fired (${fired.length} of ${sources.length})`);
    for (const alert of fired) assert.equal(alert.startsAt, new Date(start + 4_000).toISOString(), "at the fifth reading's own time");
    await engine.stop();
  });
});
