import type { Clock } from "../core/clock.js";
import { AppError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { AuditSink } from "../store/ports.js";
import type { Metrics } from "./metrics.js";
import { retryUntilDone } from "./retry.js";

/**
 * Audit records for actions that may happen before the engine reaches NATS (a log level changed while it is still
 * connecting) and in other people's names (the actor of an admin request). A record is stamped with the time of the
 * action, held until the audit stream is attached, then stored with retries, each retry counted.
 */
export class DeferredAudit {
  private sink: AuditSink | undefined;
  private waiting: Array<() => void> = [];
  private closed = false;

  constructor(private readonly deps: { clock: Clock; metrics: Metrics; logger: Logger; replica: string }) {}

  attach(sink: AuditSink): void {
    this.sink = sink;
    for (const release of this.waiting.splice(0)) release();
  }

  /** Stop retrying: records not stored by now are given up (and their promises reject). */
  close(): void {
    this.closed = true;
    for (const release of this.waiting.splice(0)) release();
  }

  async record(action: string, actor: string, details: Record<string, unknown>): Promise<void> {
    const timeMs = this.deps.clock.now();
    if (!this.sink && !this.closed) await new Promise<void>((resolve) => this.waiting.push(resolve));
    const sink = this.sink;
    if (!sink || this.closed) throw new AppError(`audit record ${action} not stored: the engine stopped before reaching the audit stream`);
    await retryUntilDone(
      () => sink.record({ action, actor, timeMs, details: { replica: this.deps.replica, ...details } }),
      (attempt, error) => {
        this.deps.metrics.publishRetries.inc({ what: "audit" });
        if (attempt === 1 || attempt % 20 === 0) this.deps.logger.warn({ err: String(error), action, attempt }, "audit record not stored yet; retrying");
      },
      () => this.closed,
    );
  }
}
