import type { JetStreamClient } from "@nats-io/jetstream";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface FiredAlert {
  source: string;
  firedAtMs: number;
  resolvedAtMs?: number;
}

/**
 * A steady stream of events: every alert fires (load 99), stays firing for `holdMs`, then resolves (load 10);
 * between them, ordinary readings from quiet hosts. A publish that fails (the server is being restarted) is retried
 * until JetStream acknowledges it, and every retry is counted: the driver itself must not lose an event.
 */
export class EventDriver {
  readonly fired: FiredAlert[] = [];
  publishRetries = 0;
  published = 0;

  constructor(private readonly js: JetStreamClient) {}

  async run(options: { alerts: number; ratePerSecond: number; holdMs: number; noisePerAlert: number; stopping: () => boolean }): Promise<void> {
    const pending: Array<Promise<void>> = [];
    const intervalMs = 1_000 / options.ratePerSecond;
    const started = Date.now();
    for (let i = 0; i < options.alerts && !options.stopping(); i++) {
      const dueAt = started + i * intervalMs;
      if (dueAt > Date.now()) await sleep(dueAt - Date.now());
      const alert: FiredAlert = { source: `chaos-${i}`, firedAtMs: Date.now() };
      this.fired.push(alert);
      await this.publish(alert.source, 99, alert.firedAtMs);
      for (let n = 0; n < options.noisePerAlert; n++) await this.publish(`quiet-${(i * options.noisePerAlert + n) % 97}`, 20 + (n % 30), Date.now());
      pending.push(
        sleep(options.holdMs).then(async () => {
          alert.resolvedAtMs = Date.now();
          await this.publish(alert.source, 10, alert.resolvedAtMs);
        }),
      );
    }
    await Promise.all(pending);
  }

  private async publish(source: string, value: number, timeMs: number): Promise<void> {
    const event = JSON.stringify({ type: "metric", source, name: "load", value, time: new Date(timeMs).toISOString() });
    for (let attempt = 0; ; attempt++) {
      try {
        // The message id makes a retried publish that did land harmless.
        await this.js.publish(`events.metric.${source}`, event, { msgID: `${source}:${timeMs}:${value}`, timeout: 2_000 });
        this.published++;
        return;
      } catch {
        this.publishRetries++;
        await sleep(Math.min(1_000, 50 * 2 ** Math.min(attempt, 5)));
      }
    }
  }
}
