import type { JetStreamClient } from "@nats-io/jetstream";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface FiredAlert {
  source: string;
  firedAtMs: number;
  resolvedAtMs?: number;
}

/** Which alerts fire a second time, and how long after resolving: their group is gone by then and forms again. */
export interface Refire {
  /** Of the first `among` alerts, every `every`-th fires again. */
  every: number;
  among: number;
  afterMs: number;
}

/**
 * A steady stream of events: every alert fires (load 99), stays firing for `holdMs`, then resolves (load 10);
 * between them, ordinary readings from quiet hosts. Some fire again once resolved (`refire`), each firing a page of
 * its own. A publish that fails (the server is being restarted) is retried until JetStream acknowledges it, and every
 * retry is counted: the driver itself must not lose an event.
 */
export class EventDriver {
  readonly fired: FiredAlert[] = [];
  publishRetries = 0;
  published = 0;

  constructor(private readonly js: JetStreamClient) {}

  async run(options: { alerts: number; ratePerSecond: number; holdMs: number; noisePerAlert: number; refire?: Refire; stopping: () => boolean }): Promise<void> {
    const pending: Array<Promise<void>> = [];
    const intervalMs = 1_000 / options.ratePerSecond;
    const started = Date.now();
    for (let i = 0; i < options.alerts && !options.stopping(); i++) {
      const dueAt = started + i * intervalMs;
      if (dueAt > Date.now()) await sleep(dueAt - Date.now());
      const source = `chaos-${i}`;
      const firing = this.fire(source, options.holdMs);
      for (let n = 0; n < options.noisePerAlert; n++) await this.publish(`quiet-${(i * options.noisePerAlert + n) % 97}`, 20 + (n % 30), Date.now());
      const { refire } = options;
      const again = refire !== undefined && i < refire.among && i % refire.every === 0;
      pending.push(again ? firing.then(() => sleep(refire.afterMs)).then(() => (options.stopping() ? undefined : this.fire(source, options.holdMs))) : firing);
    }
    await Promise.all(pending);
  }

  /** Fire `source`, then resolve it `holdMs` later; settles once resolved. */
  private async fire(source: string, holdMs: number): Promise<void> {
    const alert: FiredAlert = { source, firedAtMs: Date.now() };
    this.fired.push(alert);
    await this.publish(source, 99, alert.firedAtMs);
    await sleep(holdMs);
    alert.resolvedAtMs = Date.now();
    await this.publish(source, 10, alert.resolvedAtMs);
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
