// Row 6: catch-up after downtime. N events are queued in the stream while no engine runs; then the engine starts
// and drains them. Measured: start-up, time to drain, peak RSS; and whether every alert the events call for is
// there: the pure Evaluator, run here on the same events, says which alerts fire, and each must have been
// published by the engine (same fingerprint, same start).
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { fingerprint } from "../../src/alerts/fingerprint.js";
import { parseConfig } from "../../src/config/index.js";
import { Evaluator } from "../../src/evaluate/evaluator.js";
import { decodeEvent } from "../../src/ingest/decode.js";
import { NatsServerProcess } from "../../test/support/nats-server.js";
import { EngineProcess, writeRulesRepo } from "../engine-process.js";
import { generateEvents, type RuleJson, type World } from "../generate.js";
import { now, sleep, type RowResult } from "../measure.js";
import { createEventsStream, prefill } from "../stream.js";
import { compileAll } from "./evaluate.js";

export async function catchUpRow(options: { rules: readonly RuleJson[]; world: World; seed: number; events: number; onProgress: (text: string) => void }): Promise<RowResult> {
  const config = parseConfig({});
  const server = await NatsServerProcess.start();
  let nc: NatsConnection | undefined;
  let engine: EngineProcess | undefined;
  try {
    nc = await connect({ servers: server.url, name: "klaxon-bench-catch-up" });
    const set = generateEvents(options.world, options.events, options.seed + 6, Date.now());
    options.onProgress(`  queueing ${options.events.toLocaleString("en-US")} events while no engine runs`);
    const jsm = await jetstreamManager(nc);
    await createEventsStream(jsm, config);
    const { lastSeq } = await prefill(jetstream(nc), set.events);

    // Every state change the engine publishes, from its first: fingerprint → the starts of its firing episodes.
    const published = new Map<string, Set<string>>();
    nc.subscribe(`${config.subjects.alerts}.>`, {
      callback: (_err, m) => {
        const alert = m.json<{ status: string; fingerprint: string; startsAt: string }>();
        if (alert.status !== "firing") return;
        const starts = published.get(alert.fingerprint) ?? new Set<string>();
        starts.add(alert.startsAt);
        published.set(alert.fingerprint, starts);
      },
    });

    options.onProgress("  starting the engine on the backlog");
    engine = await EngineProcess.start({ nats: { servers: [server.url] }, rulesDir: await writeRulesRepo(options.rules) });
    const began = engine.startedAt;
    const startupSeconds = await engine.ready();
    for (;;) {
      const info = await jsm.consumers.info(config.streams.events, config.consumer.durable).catch(() => undefined);
      if (info && info.ack_floor.stream_seq >= lastSeq && info.num_ack_pending === 0) break;
      if (now() - began > 1_800_000) throw new Error(`catch-up did not finish in 30 minutes (ack floor ${info?.ack_floor.stream_seq ?? 0} of ${lastSeq})`);
      await sleep(100);
    }
    const drainedAt = now();
    const drainedWallMs = Date.now();
    const memory = engine.memory();

    // What the same events mean, per the pure evaluator, as of a moment the engine's ticks had certainly passed.
    const cutMs = drainedWallMs - config.lateEventToleranceMs - config.tickIntervalMs - 1_000;
    const evaluator = new Evaluator(compileAll(options.rules), set.firstTimeMs);
    const encoder = new TextEncoder();
    for (const event of set.events) {
      const decoded = decodeEvent(encoder.encode(event.json), event.subject, config.subjects.events, config.limits, drainedWallMs);
      if (decoded.ok) evaluator.apply(decoded.event);
    }
    evaluator.tick(cutMs);
    const expected = evaluator.firingAlerts().filter((a) => a.startsAtMs <= cutMs);
    await sleep(2_000); // the last transitions of the drain, on their way
    const missing = expected.filter((a) => !published.get(fingerprint(a.labels))?.has(new Date(a.startsAtMs).toISOString()));
    return {
      row: "6",
      label: "catch-up: engine drains a backlog",
      rules: options.rules.length,
      events: lastSeq,
      seconds: (drainedAt - began) / 1_000,
      eventsPerSecond: lastSeq / ((drainedAt - began) / 1_000 - startupSeconds),
      peakRssMb: memory?.peakRssMb,
      cpuPercent: undefined,
      serverCpuPercent: undefined,
      ratios: {},
      details: { startupSeconds, expectedAlerts: expected.length, missingAlerts: missing.length },
      note:
        missing.length === 0
          ? `every expected alert present (${expected.length} firing per the pure evaluator); time from engine start, events/s after start-up`
          : `MISSING ${missing.length} of ${expected.length} expected alerts (e.g. ${missing.slice(0, 2).map((a) => `${a.rule} on ${a.labels.source ?? a.labels.service ?? "?"}`).join(", ")}); see docs/performance.md, catch-up`,
    };
  } finally {
    await nc?.close().catch(() => undefined);
    await engine?.stop();
    await server.stop();
  }
}
