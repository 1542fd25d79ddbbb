// Row 4: latency at a steady publish rate. Background events at the given rate keep the engine busy while probe
// events (20 a second, each firing a new alert) are timed from publish to their state change on klaxon.alerts.*,
// and from that state change to the first webhook request of their group, beyond group_wait. Then the same events
// at the same rate through a bare relay instead of the engine (bench/relay.ts): what NATS and Node alone give here,
// the reference the engine's figure is read against, as row 1 is for row 2.
import { writeFile } from "node:fs/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { NatsServerProcess } from "../../test/support/nats-server.js";
import { parseConfig } from "../../src/config/index.js";
import { generateEvents, type RuleJson, type World } from "../generate.js";
import { now, sleep, type RowResult } from "../measure.js";
import { cpuSecondsOf } from "../engine-process.js";
import { withProbeEngine } from "../probe-engine.js";
import { PROBE_RULE_ID, percentile, probeEvent } from "../probes.js";
import { RelayProcess } from "../relay-process.js";

const PROBES_PER_SECOND = 20;
const GROUP_WAIT_MS = 1_000;
/** Background load before the first probe, by default: a cold engine (windows and series still filling). */
export const DEFAULT_WARMUP_SECONDS = 3;
/** After the last probe, how long stragglers may take before they count as lost: state changes, then webhook requests. */
const SETTLE_MS = 10_000;
/**
 * Webhook requests wait longer: at a rate the alert stage cannot keep up with, they come seconds late, and a late
 * request left out of the figures would make them look better than they were (a run at 25,000/s counted 27 of 599
 * probes "lost" after 10 s that were only late).
 */
const WEBHOOK_SETTLE_MS = 120_000;

/** Replace the event's time with `iso` (always 24 characters): events go out live, stamped as they are sent. */
function restamp(json: string, iso: string): string {
  const at = json.indexOf('"time":"') + 8;
  return json.slice(0, at) + iso + json.slice(at + 24);
}

/** What one run of the publisher saw: when each probe went out and when its state change came back. */
interface ProbeTimings {
  publishedAt: Map<string, number>;
  stateAt: Map<string, number>;
  sent: number;
  probes: number;
  publishSeconds: number;
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  /** CPU the answering process used per event sent while publishing, µs: its main thread, and all its threads. */
  cpu: { mainThreadMicrosPerEvent: number; processMicrosPerEvent: number } | undefined;
}

interface PublishOptions {
  world: World;
  seed: number;
  ratePerSecond: number;
  durationSeconds: number;
  warmupMs: number;
  onProgress: (text: string) => void;
}

/**
 * Background events at the rate plus 20 probes a second on `nc`, each probe timed from its publish to its first
 * firing state change on klaxon.alerts.* (the same events, in the same order, whoever answers them).
 */
async function publishAndTime(nc: NatsConnection, options: PublishOptions, answererPid: number | undefined): Promise<ProbeTimings> {
  const { ratePerSecond, durationSeconds, warmupMs } = options;
  const stateAt = new Map<string, number>();
  nc.subscribe("klaxon.alerts.>", {
    callback: (_err, m) => {
      const at = now();
      const alert = m.json<{ status: string; labels: Record<string, string> }>();
      if (alert.labels.alertname === PROBE_RULE_ID && alert.status === "firing" && alert.labels.source !== undefined && !stateAt.has(alert.labels.source)) {
        stateAt.set(alert.labels.source, at);
      }
    },
  });

  const totalMs = warmupMs + durationSeconds * 1_000;
  const background = generateEvents(options.world, Math.ceil((ratePerSecond * totalMs) / 1_000) + 1, options.seed + 4, Date.now()).events;
  options.onProgress(`  publishing ${ratePerSecond.toLocaleString("en-US")} events/s for ${durationSeconds} s (+${warmupMs / 1_000} s warm-up), ${PROBES_PER_SECOND} probes/s`);
  const publishedAt = new Map<string, number>();
  // This process publishes and timestamps: its own event loop's delays are part of what it measures, so say how long.
  const loopDelay = monitorEventLoopDelay({ resolution: 1 });
  loopDelay.enable();
  const cpuBefore = cpuSecondsOf(answererPid);
  const began = now();
  let sent = 0;
  let probes = 0;
  for (let elapsed = 0; elapsed < totalMs; elapsed = now() - began) {
    const iso = new Date().toISOString();
    const due = Math.min(background.length, Math.floor((ratePerSecond * elapsed) / 1_000));
    for (; sent < due; sent++) {
      const event = background[sent] as { subject: string; json: string };
      nc.publish(event.subject, restamp(event.json, iso));
    }
    if (elapsed >= warmupMs && probes < Math.floor(((elapsed - warmupMs) * PROBES_PER_SECOND) / 1_000)) {
      const source = `bench-probe-${probes++}`;
      const probe = probeEvent(source, "bench", Date.now());
      publishedAt.set(source, now());
      nc.publish(probe.subject, probe.json);
    }
    await sleep(2);
  }
  const publishSeconds = (now() - began) / 1_000;
  const cpuAfter = cpuSecondsOf(answererPid);
  loopDelay.disable();
  const perEvent = (seconds: number): number => (seconds * 1e6) / Math.max(1, sent);
  const cpu =
    cpuBefore && cpuAfter
      ? { mainThreadMicrosPerEvent: perEvent(cpuAfter.mainThread - cpuBefore.mainThread), processMicrosPerEvent: perEvent(cpuAfter.process - cpuBefore.process) }
      : undefined;
  return { publishedAt, stateAt, sent, probes, publishSeconds, loopDelayP99Ms: loopDelay.percentile(99) / 1e6, loopDelayMaxMs: loopDelay.max / 1e6, cpu };
}

/** Probes still unanswered after publishing stopped may take up to `settleMs` (then they count as lost). */
async function awaitStragglers(timings: ProbeTimings, settleMs: number, more: () => boolean = () => false): Promise<void> {
  const settleBy = now() + settleMs;
  while (now() < settleBy && (timings.stateAt.size < timings.probes || more())) await sleep(50);
}

/** Publish → state change, in ms, for every probe that got one. */
function stateLatencies(timings: ProbeTimings): number[] {
  const out: number[] = [];
  for (const [source, sentAt] of timings.publishedAt) {
    const changedAt = timings.stateAt.get(source);
    if (changedAt !== undefined) out.push(changedAt - sentAt);
  }
  return out;
}

/**
 * Every durable consumer's backlog (not yet delivered, plus delivered and not acknowledged) when publishing stopped,
 * as "stream/consumer n": where a delay between an alert firing and its page builds up.
 */
async function stageBacklogs(nc: NatsConnection): Promise<string> {
  const jsm = await jetstreamManager(nc);
  const parts: string[] = [];
  for await (const stream of jsm.streams.list()) {
    for await (const consumer of jsm.consumers.list(stream.config.name)) {
      if (!consumer.config.durable_name) continue;
      parts.push(`${consumer.config.durable_name} ${consumer.num_pending + consumer.num_ack_pending}`);
    }
  }
  return parts.sort().join(", ");
}

async function backlogOf(nc: NatsConnection): Promise<number> {
  const config = parseConfig({});
  return (await (await jetstreamManager(nc)).consumers.info(config.streams.events, config.consumer.durable)).num_pending;
}

export async function latencyRows(options: {
  rules: readonly RuleJson[];
  world: World;
  seed: number;
  ratePerSecond: number;
  /** Where the rate came from, for the table. */
  rateSource: string;
  durationSeconds: number;
  /** Seconds of background load before the first probe: longer measures a warm engine (state built, heap settled). */
  warmupSeconds: number;
  /** One line per probe: when it was published (ms since the engine process started) and its latency, or NaN if lost. */
  probeLog?: string | undefined;
  /** The reference relay's busy work per event, standing in for an engine's (0: none, NATS and Node alone). */
  referenceWorkMicroseconds: number;
  onProgress: (text: string) => void;
}): Promise<RowResult[]> {
  const publishOptions: PublishOptions = { ...options, warmupMs: options.warmupSeconds * 1_000 };
  const route = { groupBy: ["alertname", "source"], groupWait: `${GROUP_WAIT_MS / 1_000}s`, groupInterval: "5m" };
  const klaxon = await withProbeEngine({ rules: options.rules, route, clientName: "klaxon-bench-latency" }, async ({ nc, webhook, engine, startupSeconds }) => {
    const timings = await publishAndTime(nc, publishOptions, engine.pid);
    const lag = await backlogOf(nc);
    const stageBacklog = await stageBacklogs(nc);
    await awaitStragglers(timings, SETTLE_MS, () => webhook.firstFiringAt.size < timings.probes);
    const webhookSettleBy = now() + WEBHOOK_SETTLE_MS;
    while (now() < webhookSettleBy && webhook.firstFiringAt.size < timings.stateAt.size) await sleep(50);

    if (options.probeLog) {
      // Times from the engine process's start, as --trace-gc prints them (within a few ms of its spawn).
      const lines = [...timings.publishedAt].map(([source, sentAt]) => `${(sentAt - engine.startedAt).toFixed(1)} ${((timings.stateAt.get(source) ?? NaN) - sentAt).toFixed(1)}`);
      await writeFile(options.probeLog, `${lines.join("\n")}\n`);
    }
    const channelLatency: number[] = [];
    for (const [source, changedAt] of timings.stateAt) {
      const requestedAt = webhook.firstFiringAt.get(source);
      if (requestedAt !== undefined) channelLatency.push(requestedAt - changedAt - GROUP_WAIT_MS);
    }
    return { timings, lag, stageBacklog, channelLatency, startupSeconds, memory: engine.memory() };
  });

  const work = options.referenceWorkMicroseconds;
  options.onProgress(`  the same through a bare relay (NATS and Node alone, no engine${work > 0 ? `, ${work} µs of busy work per event` : ""}): row 4's reference`);
  const relay = await withRelay(options.referenceWorkMicroseconds, async (nc, pid) => {
    const timings = await publishAndTime(nc, publishOptions, pid);
    const lag = await backlogOf(nc);
    await awaitStragglers(timings, SETTLE_MS);
    return { timings, lag };
  });

  const common = (timings: ProbeTimings, peakRssMb: number | undefined): Omit<RowResult, "row" | "label" | "details"> => ({
    rules: options.rules.length,
    events: timings.sent,
    seconds: timings.publishSeconds,
    eventsPerSecond: timings.sent / timings.publishSeconds,
    peakRssMb,
    cpuPercent: undefined,
    serverCpuPercent: undefined,
    ratios: {},
  });
  const stateLatency = stateLatencies(klaxon.timings);
  const relayLatency = stateLatencies(relay.timings);
  const latencyDetails = (timings: ProbeTimings, latencies: number[], lag: number): RowResult["details"] => ({
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    probes: timings.probes,
    lostProbes: timings.probes - latencies.length,
    warmupSeconds: options.warmupSeconds,
    backlogAtEnd: lag,
    benchLoopDelayP99Ms: timings.loopDelayP99Ms,
    benchLoopDelayMaxMs: timings.loopDelayMaxMs,
    ...(timings.cpu ? { mainThreadMicrosPerEvent: timings.cpu.mainThreadMicrosPerEvent, processMicrosPerEvent: timings.cpu.processMicrosPerEvent } : {}),
  });
  return [
    {
      ...common(klaxon.timings, klaxon.memory?.peakRssMb),
      row: "4",
      label: "latency: publish → alert state change",
      details: { ...latencyDetails(klaxon.timings, stateLatency, klaxon.lag), startupSeconds: klaxon.startupSeconds },
      note: `rate ${options.rateSource}`,
    },
    {
      ...common(klaxon.timings, klaxon.memory?.peakRssMb),
      row: "4",
      label: "latency: firing → first webhook request, beyond group_wait",
      details: {
        p50Ms: percentile(klaxon.channelLatency, 50),
        p99Ms: percentile(klaxon.channelLatency, 99),
        probes: klaxon.channelLatency.length,
        lostProbes: stateLatency.length - klaxon.channelLatency.length,
        stageBacklog: klaxon.stageBacklog,
      },
      note: `group_wait ${GROUP_WAIT_MS / 1_000} s subtracted; notify stage → webhook channel on this machine`,
    },
    {
      ...common(relay.timings, undefined),
      row: "4",
      label: "reference: publish → state change by a bare relay",
      rules: undefined,
      details: { ...latencyDetails(relay.timings, relayLatency, relay.lag), ...(work > 0 ? { referenceWorkMicroseconds: work } : {}) },
      note: `no engine: a process that parses each event, acks, and publishes each probe's state change through JetStream${work > 0 ? `, with ${work} µs of busy work per event` : ""}`,
    },
  ];
}

/** A fresh nats-server with the relay (bench/relay.ts) consuming from it, and a client for the row; torn down after. */
async function withRelay<T>(workMicroseconds: number, row: (nc: NatsConnection, relayPid: number | undefined) => Promise<T>): Promise<T> {
  const server = await NatsServerProcess.start();
  let relay: RelayProcess | undefined;
  let nc: NatsConnection | undefined;
  try {
    relay = await RelayProcess.start(server.url, workMicroseconds);
    nc = await connect({ servers: server.url, name: "klaxon-bench-latency-reference" });
    return await row(nc, relay.pid);
  } finally {
    await nc?.close().catch(() => undefined);
    await relay?.stop();
    await server.stop();
  }
}
