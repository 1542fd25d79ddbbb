import type { AlertTransition } from "../alerts/alert.js";
import type { Logger } from "../core/logger.js";
import type { AlertSink } from "../store/ports.js";
import { backoffMs, sleep } from "./retry.js";

interface Pending {
  transition: AlertTransition;
  done: () => void;
  /** queued: not sent yet (or to be sent again); sent: waiting for the store's answer; stored: answered. */
  state: "queued" | "sent" | "stored";
}

/**
 * Publishes alert transitions in order, pipelined, retrying until each is stored. Each transition is sent as soon as
 * it comes (up to `maxInFlight` awaiting their answer): waiting for a whole batch's answers before sending the next
 * held a new transition back by a round trip, tens of milliseconds when the server was busy. Callers learn of their
 * transitions in the order they were enqueued; a caller awaits its own (to ack the event that caused it);
 * `drained()` waits for everything (to take a consistent snapshot).
 */
export class AlertOutbox {
  private readonly queue: Pending[] = [];
  private inFlight = 0;
  /** Every entry before this index has been sent (a storm queues thousands: no scan from the start each time). */
  private cursor = 0;
  /** A send failed: send nothing new until what is in flight has answered and the backoff has passed. */
  private retrying = false;
  private attempt = 0;
  private idleWaiters: Array<() => void> = [];
  private stopped = false;

  constructor(
    private readonly sink: AlertSink,
    private readonly hooks: {
      logger: Logger;
      onRetry: () => void;
      onPublished: (t: AlertTransition) => void;
      /** The backoff between retries; tests pass their own to decide when it has passed. */
      wait?: (ms: number) => Promise<void>;
    },
    private readonly maxInFlight = 256,
  ) {}

  get pending(): number {
    return this.queue.length;
  }

  enqueue(transitions: readonly AlertTransition[]): Promise<void> {
    if (transitions.length === 0) return Promise.resolve();
    const all = transitions.map((transition) => new Promise<void>((done) => this.queue.push({ transition, done, state: "queued" })));
    this.send();
    return Promise.all(all).then(() => undefined);
  }

  drained(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop retrying; what is left is rebuilt by replay on the next start. */
  stop(): void {
    this.stopped = true;
  }

  /** Send queued transitions, oldest first, while the window allows. */
  private send(): void {
    if (this.retrying || this.stopped) return;
    for (; this.cursor < this.queue.length && this.inFlight < this.maxInFlight; this.cursor++) {
      const entry = this.queue[this.cursor] as Pending;
      if (entry.state !== "queued") continue;
      entry.state = "sent";
      this.inFlight++;
      this.sink.publish(entry.transition).then(
        () => this.answered(entry, undefined),
        (error: unknown) => this.answered(entry, error),
      );
    }
  }

  private answered(entry: Pending, error: unknown): void {
    this.inFlight--;
    if (error === undefined) {
      entry.state = "stored";
      this.release();
    } else {
      entry.state = "queued";
      this.cursor = Math.min(this.cursor, this.queue.indexOf(entry));
      if (!this.retrying) {
        this.retrying = true;
        this.attempt++;
        this.hooks.onRetry();
        this.hooks.logger.warn({ err: String(error), attempt: this.attempt, pending: this.queue.length }, "alert publish failed; retrying");
        // Resend once the backoff has passed; what is still in flight by then answers on its own.
        void (this.hooks.wait ?? sleep)(backoffMs(this.attempt)).then(() => {
          this.retrying = false;
          this.send();
        });
      }
    }
    this.send();
  }

  /** Hand back, in order, the stored transitions at the head of the queue. */
  private release(): void {
    let released = 0;
    while (released < this.queue.length && (this.queue[released] as Pending).state === "stored") released++;
    if (released === 0) return;
    this.attempt = 0;
    this.cursor -= released;
    for (const entry of this.queue.splice(0, released)) {
      this.hooks.onPublished(entry.transition);
      entry.done();
    }
    if (this.queue.length === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }
}
