import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { JetStreamManager } from "@nats-io/jetstream";
import { eventually, metricEvent, publishEvent, readStream, rulesDir, testConfig, useNatsWithClient } from "../support/engine.js";
import { provision, streamConfigs } from "../../src/store/jetstream/provision.js";
import type { Engine } from "../../src/app/engine.js";
import { http, sample, startedEngine } from "./support.js";
import { cpuHotRule } from "../support/rules.js";

const ops = { heartbeat: { enabled: false }, drift: { enabled: false } } as const;

async function scrape(engine: Engine): Promise<string> {
  const answer = await http(engine.httpPort as number, "GET", "/metrics");
  assert.equal(answer.status, 200);
  return answer.text;
}

/** Wait until a sample reaches at least `min` on /metrics; returns the scrape. */
async function metricAtLeast(engine: Engine, series: string, min: number, timeoutMs = 15_000): Promise<string> {
  return eventually(`${series} >= ${min} on /metrics`, async () => {
    const text = await scrape(engine);
    return (sample(text, series) ?? -1) >= min ? text : undefined;
  }, timeoutMs);
}

describe("/metrics counts a forced retry", () => {
  const nats = useNatsWithClient();

  test("a dead letter that cannot be stored is retried, counted, and stored once JetStream takes it again", async () => {
    const config = testConfig(nats.current.url, await rulesDir([cpuHotRule]), { http: { port: 0 }, ...ops });
    const engine = await startedEngine(config);
    assert.equal(sample(await scrape(engine), 'klaxon_publish_retries_total{what="dead_letter"}'), undefined, "no retry yet");

    // The dead-letter stream disappears: publishing a dead letter now fails until it is back.
    await nats.jsm.streams.delete("KLAXON_DEADLETTER");
    await nats.js.publish("events.metric.web-1", "{not json");
    await metricAtLeast(engine, 'klaxon_publish_retries_total{what="dead_letter"}', 1);

    await nats.jsm.streams.add(streamConfigs(config).find((s) => s.name === "KLAXON_DEADLETTER") as Parameters<JetStreamManager["streams"]["add"]>[0]);
    const letter = await eventually("the dead letter stored after the retries", async () => (await readStream(nats.js, "KLAXON_DEADLETTER")).at(0));
    assert.equal(letter.headers["Klaxon-Reason"], "invalid_json");
    assert.equal(sample(await scrape(engine), 'klaxon_dead_letters_total{reason="invalid_json"}'), 1);
  });
});

describe("/metrics counts a redelivery, evaluations, alerts by state and consumer lag", () => {
  const nats = useNatsWithClient();

  test("an event handed back unacknowledged is redelivered to the engine and counted", async () => {
    const config = testConfig(nats.current.url, await rulesDir([cpuHotRule]), { http: { port: 0 }, cluster: { instanceId: "metrics-1" }, ...ops });
    await provision(nats.jsm, config);
    const seq = await publishEvent(nats.js, metricEvent("web-9", "cpu", 99, Date.now()));
    // A consumer that takes the event and gives it back, as a handler that fails would: JetStream delivers it again.
    const taken = await (await nats.js.consumers.get("KLAXON_EVENTS", config.consumer.durable)).next({ expires: 2_000 });
    assert.equal(taken?.seq, seq);
    taken?.nak();

    const engine = await startedEngine(config);
    const text = await metricAtLeast(engine, "klaxon_redeliveries_total", 1);
    assert.equal(sample(text, "klaxon_redeliveries_total"), 1);
    assert.equal(sample(text, "klaxon_rule_evaluations_total"), 1, "the redelivered event was evaluated once");
    assert.equal(sample(text, "klaxon_rule_evaluation_duration_seconds_count"), 1, "the first evaluation is always timed");

    // Alerts by state and consumer lag are polled every few seconds.
    const polled = await metricAtLeast(engine, 'klaxon_alerts{state="firing"}', 1);
    assert.equal(sample(polled, 'klaxon_alerts{state="suppressed"}'), 0);
    assert.equal(sample(polled, 'klaxon_consumer_pending{stream="KLAXON_EVENTS",consumer="klaxon-evaluate"}'), 0, "nothing left to deliver");
    assert.equal(sample(polled, "klaxon_nats_connected"), 1);
  });
});
