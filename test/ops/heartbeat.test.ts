import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import type { JetStreamClient } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { FakeClock } from "../../src/core/clock.js";
import type { Engine } from "../../src/app/engine.js";
import type { AlertMessage } from "../../src/alerts/alert.js";
import { NatsServerProcess } from "../support/nats-server.js";
import { client, eventually, readStream, rulesDir, streamJson, testConfig } from "../support/engine.js";
import { startedEngine } from "./support.js";

/** The self-watch rule exactly as shipped. */
async function selfWatchRulesDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "klaxon-watcher-"));
  await mkdir(join(dir, "alerts"));
  await copyFile(new URL("../../rules/alerts/klaxon-heartbeat-missing.json", import.meta.url), join(dir, "alerts", "klaxon-heartbeat-missing.json"));
  return dir;
}

interface HeartbeatEvent {
  type: string;
  source: string;
  service: string;
  name: string;
  value: number;
  time: string;
}

describe("heartbeat and the independent watcher", () => {
  // Production (the engine under watch) and the watcher: two separate NATS servers, as on two machines.
  let production: NatsServerProcess;
  let watcherNats: NatsServerProcess;
  let prod: { nc: NatsConnection; js: JetStreamClient };
  let watch: { nc: NatsConnection; js: JetStreamClient };
  let engine: Engine;
  const clock = new FakeClock(Date.now());

  before(async () => {
    production = await NatsServerProcess.start();
    watcherNats = await NatsServerProcess.start();
    prod = await client(production.url);
    watch = await client(watcherNats.url);
    // The watcher: a Klaxon with only the shipped self-watch rule, on its own NATS.
    await startedEngine(testConfig(watcherNats.url, await selfWatchRulesDir(), { cluster: { instanceId: "watcher" }, heartbeat: { enabled: false }, drift: { enabled: false } }), { clock });
    engine = await startedEngine(
      testConfig(production.url, await rulesDir([]), {
        cluster: { instanceId: "prod-1" },
        heartbeat: { intervalMs: 100, watchers: [{ servers: [watcherNats.url] }] },
        drift: { enabled: false },
      }),
      { clock },
    );
  });
  after(async () => {
    await engine.crash();
    await prod.nc.close();
    await watch.nc.close();
    await production.stop();
    await watcherNats.stop();
  });

  const heartbeats = async (js: JetStreamClient): Promise<HeartbeatEvent[]> =>
    (await readStream(js, "KLAXON_EVENTS", "events.metric.prod-1")).map((m) => m.json<HeartbeatEvent>()).filter((e) => e.name === "klaxon_heartbeat");

  const selfWatchAlerts = async (): Promise<AlertMessage[]> => (await streamJson<AlertMessage>(watch.js, "KLAXON_ALERTS")).filter((a) => a.labels.alertname === "klaxon-heartbeat-missing");

  test("each replica publishes a heartbeat event on its own NATS and on the watcher's, and a record of what it runs", async () => {
    const [local] = await eventually("a heartbeat on the production NATS", async () => ((await heartbeats(prod.js)).length > 0 ? heartbeats(prod.js) : undefined));
    assert.deepEqual({ ...local, time: undefined }, { type: "metric", source: "prod-1", service: "klaxon", name: "klaxon_heartbeat", value: 1, time: undefined });
    assert.equal(Date.parse(local?.time ?? ""), clock.now(), "stamped with the engine's clock");
    await eventually("a heartbeat on the watcher's NATS", async () => ((await heartbeats(watch.js)).length > 0 ? true : undefined));

    const entry = await (await new Kvm(prod.nc).open("klaxon-replicas")).get("replica.prod-1");
    const record = entry?.json<{ replica: string; config: { rules: { hash: string; count: number } }; drift: unknown[] }>();
    assert.equal(record?.replica, "prod-1");
    assert.deepEqual(record?.config.rules, { hash: engine.status().rulesHash, count: 0 });
    assert.deepEqual(record?.drift, []);
  });

  test("the watcher's self-watch rule stays quiet while heartbeats flow, and pages when they stop", async () => {
    // Two minutes of the shared clock, in 30 s steps, each step answered by a fresh heartbeat: longer than the
    // rule's one minute of absence, so only heartbeats keep it quiet.
    for (let step = 0; step < 4; step++) {
      const now = clock.advance(30_000);
      await eventually("a heartbeat at the new time reached the watcher", async () => ((await heartbeats(watch.js)).some((e) => Date.parse(e.time) >= now) ? true : undefined));
    }
    assert.deepEqual(await selfWatchAlerts(), [], "no page while prod-1 is alive");

    await engine.crash();
    clock.advance(61_000);
    const page = await eventually("the self-watch alert on the watcher", async () => (await selfWatchAlerts()).find((a) => a.status === "firing"));
    assert.equal(page.labels.source, "prod-1");
    assert.equal(page.labels.severity, "critical");
    assert.match(page.annotations.summary ?? "", /^Klaxon replica prod-1 has sent no heartbeat since /);
  });
});
