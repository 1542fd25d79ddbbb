import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from "@nats-io/jetstream";
import type { Config } from "../config/config.schema.js";
import type { Logger } from "../core/logger.js";
import { evaluationPartitions } from "../cluster/partition.js";
import type { Metrics } from "./metrics.js";
import type { Readiness } from "./readiness.js";

/** How often consumer lag and alert counts are read: cheap server requests, fresh enough for a scrape. */
export const OPS_POLL_MS = 5_000;

/** The durable consumers the engine provisions (see provision.ts): whose lag is reported and whose presence readiness needs. */
export function engineConsumers(config: Config): Array<{ stream: string; durable: string }> {
  return [
    ...evaluationPartitions(config).map((p) => ({ stream: config.streams.events, durable: p.durable })),
    { stream: config.streams.alerts, durable: config.consumer.alertsDurable },
    { stream: config.streams.notifications, durable: config.consumer.escalateDurable },
    { stream: config.streams.pages, durable: config.consumer.notifyDurable },
    { stream: config.streams.notifications, durable: config.consumer.notifyDurable },
  ];
}

export interface OpsPollerDeps {
  jsm: JetStreamManager;
  consumers: Array<{ stream: string; durable: string }>;
  metrics: Metrics;
  readiness: Readiness;
  logger: Logger;
  /** The alert stage's counts by state when this replica runs it, else undefined (another replica reports them). */
  alertCounts: () => Promise<Readonly<Record<"firing" | "suppressed" | "resolved", number>>> | undefined;
}

/**
 * Every few seconds: each durable consumer's lag (`num_pending`) and unacknowledged count, read from the server, and
 * whether it still exists (readiness); and the alerts by state. Polled rather than computed per message, so the hot
 * path pays nothing for them.
 */
export class OpsPoller {
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  /** Consumers seen on the server: only one of these going missing makes the replica not ready (see pollConsumers). */
  private readonly seen = new Set<string>();

  constructor(private readonly deps: OpsPollerDeps) {}

  start(intervalMs = OPS_POLL_MS): void {
    void this.pollOnce();
    this.timer = setInterval(() => void this.pollOnce(), intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.polling;
  }

  pollOnce(): Promise<void> {
    this.polling ??= Promise.all([this.pollConsumers(), this.pollAlerts()])
      .then(() => undefined)
      .finally(() => {
        this.polling = undefined;
      });
    return this.polling;
  }

  private async pollConsumers(): Promise<void> {
    const { jsm, metrics, readiness } = this.deps;
    await Promise.all(
      this.deps.consumers.map(async ({ stream, durable }) => {
        const name = `${stream}/${durable}`;
        try {
          const info = await jsm.consumers.info(stream, durable);
          metrics.consumerPending.set({ stream, consumer: durable }, info.num_pending);
          metrics.consumerAckPending.set({ stream, consumer: durable }, info.num_ack_pending);
          readiness.consumerPresent(name, true);
          this.seen.add(name);
        } catch (error) {
          const gone = error instanceof JetStreamApiError && (error.code === JetStreamApiCodes.ConsumerNotFound || error.code === JetStreamApiCodes.StreamNotFound);
          if (gone) {
            // One that never existed here is not this engine's to judge (a configuration that does not provision it).
            if (this.seen.has(name)) readiness.consumerPresent(name, false, error.message);
            metrics.consumerPending.remove({ stream, consumer: durable });
            metrics.consumerAckPending.remove({ stream, consumer: durable });
          }
          // Anything else (a timeout while disconnected) says nothing about the consumer; the NATS check covers it.
          this.deps.logger.debug({ consumer: name, err: String(error) }, "consumer info not read");
        }
      }),
    );
  }

  private async pollAlerts(): Promise<void> {
    const gauge = this.deps.metrics.alertsByState;
    const pending = this.deps.alertCounts();
    if (!pending) {
      gauge.reset();
      return;
    }
    let counts: Awaited<typeof pending>;
    try {
      counts = await pending;
    } catch {
      return; // unknown this time: keep the last counts rather than report zeros
    }
    for (const [state, count] of Object.entries(counts)) gauge.set({ state }, count);
  }
}
