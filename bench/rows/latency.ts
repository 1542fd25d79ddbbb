// Row 4: latency at a steady publish rate. Background events at the given rate keep the engine busy while probe
// events (20 a second, each firing a new alert) are timed from publish to their state change on klaxon.alerts.*,
// and from that state change to the first webhook request of their group, beyond group_wait.
import { writeFile } from "node:fs/promises";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { jetstreamManager } from "@nats-io/jetstream";
import { parseConfig } from "../../src/config/index.js";
import { generateEvents, type RuleJson, type World } from "../generate.js";
import { now, sleep, type RowResult } from "../measure.js";
import { withProbeEngine } from "../probe-engine.js";
import { PROBE_RULE_ID, percentile, probeEvent } from "../probes.js";

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
  onProgress: (text: string) => void;
}): Promise<RowResult[]> {
  const { ratePerSecond, durationSeconds } = options;
  const warmupMs = options.warmupSeconds * 1_000;
  const route = { groupBy: ["alertname", "source"], groupWait: `${GROUP_WAIT_MS / 1_000}s`, groupInterval: "5m" };
  return withProbeEngine({ rules: options.rules, route, clientName: "klaxon-bench-latency" }, async ({ nc, webhook, engine, startupSeconds }) => {
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
    loopDelay.disable();
    const jsm = await jetstreamManager(nc);
    const config = parseConfig({});
    const lag = (await jsm.consumers.info(config.streams.events, config.consumer.durable)).num_pending;
    const settleBy = now() + SETTLE_MS;
    while (now() < settleBy && (stateAt.size < probes || webhook.firstFiringAt.size < probes)) await sleep(50);
    const webhookSettleBy = now() + WEBHOOK_SETTLE_MS;
    while (now() < webhookSettleBy && webhook.firstFiringAt.size < stateAt.size) await sleep(50);

    const stateLatency: number[] = [];
    if (options.probeLog) {
      // Times from the engine process's start, as --trace-gc prints them (within a few ms of its spawn).
      const lines = [...publishedAt].map(([source, sentAt]) => `${(sentAt - engine.startedAt).toFixed(1)} ${((stateAt.get(source) ?? NaN) - sentAt).toFixed(1)}`);
      await writeFile(options.probeLog, `${lines.join("\n")}\n`);
    }
    const channelLatency: number[] = [];
    for (const [source, sentAt] of publishedAt) {
      const changedAt = stateAt.get(source);
      if (changedAt === undefined) continue;
      stateLatency.push(changedAt - sentAt);
      const requestedAt = webhook.firstFiringAt.get(source);
      if (requestedAt !== undefined) channelLatency.push(requestedAt - changedAt - GROUP_WAIT_MS);
    }
    const memory = engine.memory();
    const common = {
      rules: options.rules.length,
      events: sent,
      seconds: publishSeconds,
      eventsPerSecond: sent / publishSeconds,
      peakRssMb: memory?.peakRssMb,
      cpuPercent: undefined,
      serverCpuPercent: undefined,
      ratios: {},
    };
    return [
      {
        ...common,
        row: "4",
        label: "latency: publish → alert state change",
        details: {
          p50Ms: percentile(stateLatency, 50),
          p99Ms: percentile(stateLatency, 99),
          probes,
          lostProbes: probes - stateLatency.length,
          startupSeconds,
          warmupSeconds: options.warmupSeconds,
          backlogAtEnd: lag,
          benchLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
          benchLoopDelayMaxMs: loopDelay.max / 1e6,
        },
        note: `rate ${options.rateSource}`,
      },
      {
        ...common,
        row: "4",
        label: "latency: firing → first webhook request, beyond group_wait",
        details: { p50Ms: percentile(channelLatency, 50), p99Ms: percentile(channelLatency, 99), probes: channelLatency.length, lostProbes: stateLatency.length - channelLatency.length },
        note: `group_wait ${GROUP_WAIT_MS / 1_000} s subtracted; notify stage → webhook channel on this machine`,
      },
    ];
  });
}
