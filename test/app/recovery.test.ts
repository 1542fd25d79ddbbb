import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AckPolicy, jetstreamManager } from "@nats-io/jetstream";
import { client, eventually, useNatsServer, streamJson, logEvent, metricEvent, publishEvent, readStream, rulesDir, startEngine, testConfig } from "../support/engine.js";
import type { AlertMessage } from "../../src/alerts/alert.js";
import { provision } from "../../src/store/jetstream/provision.js";
import { ObjectStoreSnapshotStore } from "../../src/store/jetstream/sinks.js";

const slowFor = {
  id: "queue-stuck",
  version: 1,
  kind: "threshold",
  event: "metric",
  match: { all: [{ fact: "name", operator: "equal", value: "queue_depth" }] },
  keyBy: ["source"],
  when: { all: [{ fact: "value", operator: "greaterThan", value: 1000 }] },
  for: "3s",
  severity: "critical",
};

const errorBurst = {
  id: "error-burst",
  version: 1,
  kind: "window",
  event: "log",
  match: { all: [{ fact: "level", operator: "equal", value: "error" }] },
  keyBy: ["source"],
  window: "10m",
  aggregate: "count",
  when: { all: [{ fact: "value", operator: "greaterThanInclusive", value: 5 }] },
  severity: "error",
};

/** Take events from the durable consumer up to `seq` and leave that one unacknowledged, as a holder that died would. */
async function takeWithoutAck(js: Parameters<typeof readStream>[0], durable: string, seq: number): Promise<Awaited<ReturnType<typeof js.consumers.get>>> {
  const consumer = await js.consumers.get("KLAXON_EVENTS", durable);
  for (;;) {
    const taken = await consumer.next({ expires: 2_000 });
    assert.ok(taken, "the consumer delivers our message");
    if (taken.seq === seq) return consumer;
    taken.ack(); // earlier tests' events: not this test's business
  }
}

async function firing(js: Parameters<typeof readStream>[0]): Promise<AlertMessage[]> {
  return (await streamJson<AlertMessage>(js, "KLAXON_ALERTS")).filter((a) => a.status === "firing");
}

describe("evaluation state survives engine restarts", () => {
  const nats = useNatsServer();

  test("an engine that crashes while a `for` is pending: its successor fires on time, from replay alone", async () => {
    const dir = await rulesDir([slowFor]);
    const config = testConfig(nats.current.url, dir, { consumer: { durable: "replay-only" } });
    const { nc, js } = await client(nats.current.url);
    const first = await startEngine(config);
    const t0 = Date.now();
    const seq = await publishEvent(js, metricEvent("mq-1", "queue_depth", 5000, t0));
    await eventually("event applied and acknowledged", () => (first.status().appliedSeq >= seq && first.status().pendingAcks === 0 ? true : undefined));
    await first.crash();

    const second = await startEngine(config);
    const alert = await eventually("the pending alert fires", async () => (await firing(js)).find((a) => a.labels.source === "mq-1"), 8_000);
    const firedAt = Date.now();
    assert.equal(alert.startsAt, new Date(t0 + 3_000).toISOString(), "fires at the instant the `for` ends");
    assert.ok(firedAt >= t0 + 3_000, "not before it was due");
    assert.ok(firedAt < t0 + 3_000 + 2_000, `late by ${firedAt - t0 - 3_000} ms`);
    await second.stop();
    await nc.close();
  });

  test("an engine killed before any periodic snapshot still left one: every part is saved at start, so nothing depends on the replay-by-time horizon", async () => {
    const dir = await rulesDir([slowFor]); // `for: 3s`: replay by time would reach back only 3 s
    const config = testConfig(nats.current.url, dir, { consumer: { durable: "parts-at-start" } }); // periodic saves every 60 s: none here
    const { nc, js } = await client(nats.current.url);
    const first = await startEngine(config);
    const t0 = Date.now();
    const seq = await publishEvent(js, metricEvent("mq-6", "queue_depth", 5000, t0));
    await eventually("event applied and acknowledged", () => (first.status().appliedSeq >= seq && first.status().pendingAcks === 0 ? true : undefined));
    await first.crash();
    await new Promise((r) => setTimeout(r, 4_000)); // the event is now older than the rule's horizon

    const second = await startEngine(config);
    const alert = await eventually("the alert fires after the restart", async () => (await firing(js)).find((a) => a.labels.source === "mq-6"), 8_000);
    assert.equal(alert.startsAt, new Date(t0 + 3_000).toISOString());
    await second.stop();
    await nc.close();
  });

  test("a changed state.snapshotParts restores from the parts saved under the old number, then leaves only the new layout", async () => {
    const dir = await rulesDir([{ ...slowFor, id: "queue-stuck-layout" }]); // `for: 3s`: replay by time would reach back only 3 s
    const durable = "layout-change";
    const { nc, js } = await client(nats.current.url);
    const first = await startEngine(testConfig(nats.current.url, dir, { consumer: { durable }, state: { snapshotParts: 4 } }));
    const t0 = Date.now();
    const seq = await publishEvent(js, metricEvent("mq-7", "queue_depth", 5000, t0));
    await eventually("event applied and acknowledged", () => (first.status().appliedSeq >= seq && first.status().pendingAcks === 0 ? true : undefined));
    await first.crash();
    await new Promise((r) => setTimeout(r, 4_000)); // the event is now older than the rule's horizon

    // Without the 4-part set, the 8-part engine would rebuild from the last 3 s of the stream and never see the event.
    const second = await startEngine(testConfig(nats.current.url, dir, { consumer: { durable }, state: { snapshotParts: 8 } }));
    try {
      const alert = await eventually("the alert fires after the restart", async () => (await firing(js)).find((a) => a.labels.source === "mq-7"), 8_000);
      assert.equal(alert.startsAt, new Date(t0 + 3_000).toISOString());
      const snapshots = new ObjectStoreSnapshotStore(nc, "klaxon-state");
      const names = await eventually("the 4-part layout removed", async () => {
        const saved = await snapshots.names(`evaluator-${durable}.`);
        return saved.some((name) => name.endsWith("-of-4")) ? undefined : saved;
      });
      assert.deepEqual(names.sort(), Array.from({ length: 8 }, (_, index) => `evaluator-${durable}.part-${index}-of-8`).sort());
    } finally {
      // A failure here must not leave an engine running into the next test's events.
      await second.stop();
      await nc.close();
    }
  });

  test("a snapshot plus the events that arrived while no engine ran give the whole window", async () => {
    const dir = await rulesDir([errorBurst]);
    const config = testConfig(nats.current.url, dir, { consumer: { durable: "snapshot" }, state: { snapshotIntervalMs: 100 } });
    const { nc, js } = await client(nats.current.url);
    const first = await startEngine(config);
    const t0 = Date.now();
    let seq = 0;
    for (let i = 0; i < 3; i++) seq = await publishEvent(js, logEvent("api-3", "error", `boom ${i}`, t0 + i));
    await eventually("events applied", () => (first.status().appliedSeq >= seq ? true : undefined));
    await new Promise((r) => setTimeout(r, 300)); // let a snapshot be taken after them
    await first.crash();
    // Push the snapshot's events out of the replay-by-time horizon's reach: only the snapshot can remember them.
    for (let i = 3; i < 5; i++) await publishEvent(js, logEvent("api-3", "error", `boom ${i}`, t0 + i));
    assert.equal((await firing(js)).filter((a) => a.labels.alertname === "error-burst").length, 0);

    const second = await startEngine(config);
    const alert = await eventually("five errors across the restart fire", async () => (await firing(js)).find((a) => a.labels.alertname === "error-burst"));
    assert.equal(alert.value, 5);
    assert.equal(alert.startsAt, new Date(t0 + 4).toISOString());
    await second.stop();
    await nc.close();
  });

  test("kill -9 of a `klaxon run` process mid-window: the restarted process still fires on time, exactly once", async () => {
    const dir = await rulesDir([{ ...slowFor, id: "queue-stuck-cli", for: "4s" }]);
    const configFile = join(await mkdtemp(join(tmpdir(), "klaxon-config-")), "config.json");
    await writeFile(configFile, JSON.stringify({ tickIntervalMs: 50, lateEventToleranceMs: 0, watchRules: false, logLevel: "warn", consumer: { durable: "cli" }, state: { snapshotIntervalMs: 200 } }));
    const run = (): ChildProcess =>
      spawn(process.execPath, ["--import", "tsx", "src/cli/main.ts", "run", "--config", configFile, "--rules", dir, "--nats", nats.current.url], { stdio: ["ignore", "ignore", "inherit"] });
    const { nc, js } = await client(nats.current.url);
    const jsm = await jetstreamManager(nc);
    let child = run();
    await eventually("the engine's consumer exists", async () => (await jsm.consumers.info("KLAXON_EVENTS", "cli").catch(() => undefined)) ?? undefined, 20_000);
    const t0 = Date.now();
    await publishEvent(js, metricEvent("mq-9", "queue_depth", 5000, t0));
    await publishEvent(js, metricEvent("mq-9", "queue_depth", 6000, t0 + 1_000));
    await eventually("events acknowledged", async () => ((await jsm.consumers.info("KLAXON_EVENTS", "cli")).num_ack_pending === 0 && (await jsm.consumers.info("KLAXON_EVENTS", "cli")).num_pending === 0 ? true : undefined));
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));

    child = run();
    try {
      const alert = await eventually("the alert fires after the restart", async () => (await firing(js)).find((a) => a.labels.source === "mq-9"), 20_000);
      assert.equal(alert.startsAt, new Date(t0 + 4_000).toISOString());
      await new Promise((r) => setTimeout(r, 500));
      assert.equal((await firing(js)).filter((a) => a.labels.source === "mq-9").length, 1, "announced once");
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      await nc.close();
    }
  });

  test("a message redelivered up to the limit goes to dead letter instead of looping", async () => {
    const dir = await rulesDir([slowFor]);
    const config = testConfig(nats.current.url, dir, { consumer: { durable: "poison", maxDeliver: 2, ackWaitMs: 1_000 } });
    const { nc, js } = await client(nats.current.url);
    await provision(await jetstreamManager(nc), config);
    const seq = await publishEvent(js, metricEvent("mq-2", "queue_depth", 1, Date.now()));
    // A consumer that takes the message and dies before acking it, as a crashing engine would.
    const consumer = await takeWithoutAck(js, "poison", seq);
    assert.equal((await consumer.info()).config.ack_policy, AckPolicy.All, "evaluation consumers ack cumulatively; nothing after our message is acked, so it stays pending");
    await new Promise((r) => setTimeout(r, 1_200));

    const engine = await startEngine(config);
    const letter = await eventually("dead letter for the redelivered message", async () =>
      (await readStream(js, "KLAXON_DEADLETTER")).find((m) => m.headers["Klaxon-Stream-Sequence"] === String(seq)),
    );
    assert.equal(letter.headers["Klaxon-Reason"], "max_deliveries");
    assert.equal(letter.headers["Klaxon-Delivery-Count"], "2");
    await engine.stop();
    await nc.close();
  });

  test("an event a dead holder had taken, but not applied, is not acknowledged away by its successor's later acks", async () => {
    const dir = await rulesDir([{ ...slowFor, id: "taken-by-dead", for: "0s" }]);
    const config = testConfig(nats.current.url, dir, { consumer: { durable: "taken", ackWaitMs: 1_000 } });
    const { nc, js } = await client(nats.current.url);
    await provision(await jetstreamManager(nc), config);
    const seq = await publishEvent(js, metricEvent("mq-11", "queue_depth", 9999, Date.now()));
    // The holder before took the event into its client and died: delivered, never acknowledged.
    await takeWithoutAck(js, "taken", seq);
    // Its successor starts at once, before the event's ack wait has run out, and takes newer events.
    const engine = await startEngine(config);
    try {
      await publishEvent(js, metricEvent("mq-12", "queue_depth", 9999, Date.now()));
      await eventually("the newer event's alert", async () => (await firing(js)).find((a) => a.labels.source === "mq-12"));
      // Acknowledging the newer event (cumulatively) must not settle the one the dead holder never applied.
      await eventually("the taken event's alert", async () => (await firing(js)).find((a) => a.labels.source === "mq-11"), 8_000);
    } finally {
      await engine.stop();
      await nc.close();
    }
  });

  test("the engine rides out a nats-server restart and keeps evaluating", async () => {
    const dir = await rulesDir([{ ...slowFor, id: "after-restart", for: "0s" }]);
    const config = testConfig(nats.current.url, dir, { consumer: { durable: "restart" } });
    const engine = await startEngine(config);
    await nats.current.restart();
    const { nc, js } = await client(nats.current.url);
    await eventually("event accepted after the restart", async () => publishEvent(js, metricEvent("mq-5", "queue_depth", 9999, Date.now())).catch(() => undefined));
    await eventually("alert after the server restart", async () => (await firing(js)).find((a) => a.labels.source === "mq-5"), 15_000);
    assert.ok(Number((await engine.metrics.registry.getSingleMetricAsString("klaxon_nats_status_events_total")).match(/type="reconnect"} (\d+)/)?.[1] ?? 0) >= 1);
    await engine.stop();
    await nc.close();
  });
});
