import type { AlertTransition } from "../alerts/alert.js";
import type { Logger } from "../core/logger.js";
import type { AlertSink } from "../store/ports.js";
import { backoffMs, sleep } from "./retry.js";

interface Pending {
  transition: AlertTransition;
  done: () => void;
}

/**
 * Publishes alert transitions in order, pipelined, retrying until each is stored. A caller awaits its own batch
 * (to ack the event that caused it); `drained()` waits for everything (to take a consistent snapshot).
 */
export class AlertOutbox {
  private readonly queue: Pending[] = [];
  private pumping = false;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(
    private readonly sink: AlertSink,
    private readonly hooks: { logger: Logger; onRetry: () => void; onPublished: (t: AlertTransition) => void },
    private readonly maxInFlight = 256,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  enqueue(transitions: readonly AlertTransition[]): Promise<void> {
    if (transitions.length === 0) return Promise.resolve();
    const all = transitions.map((transition) => new Promise<void>((done) => this.queue.push({ transition, done })));
    void this.pump();
    return Promise.all(all).then(() => undefined);
  }

  drained(): Promise<void> {
    if (this.queue.length === 0 && !this.pumping) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop retrying; what is left is rebuilt by replay on the next start. */
  stop(): void {
    this.stopped = true;
  }

  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    let attempt = 0;
    while (this.queue.length > 0 && !this.stopped) {
      const batch = this.queue.slice(0, this.maxInFlight);
      const results = await Promise.allSettled(batch.map((p) => this.sink.publish(p.transition)));
      // Keep order: everything up to the first failure is done; the rest goes round again.
      let settled = 0;
      for (const result of results) {
        if (result.status === "rejected") break;
        settled++;
      }
      for (const done of this.queue.splice(0, settled)) {
        this.hooks.onPublished(done.transition);
        done.done();
      }
      if (settled < batch.length) {
        attempt++;
        this.hooks.onRetry();
        const failure = results[settled] as PromiseRejectedResult;
        this.hooks.logger.warn({ err: String(failure.reason), attempt, pending: this.queue.length }, "alert publish failed; retrying");
        await sleep(backoffMs(attempt));
      } else {
        attempt = 0;
      }
    }
    this.pumping = false;
    if (this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
