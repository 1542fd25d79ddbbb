import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { AuditSink } from "../store/ports.js";
import type { Metrics } from "./metrics.js";
import { retryUntilDone } from "./retry.js";

/**
 * Writes audit records for one actor, retrying until each is stored: every retry is counted, and logged on the
 * first attempt and every twentieth, so a stuck audit stream is visible rather than silent.
 */
export class AuditWriter {
  constructor(
    private readonly sink: AuditSink,
    private readonly actor: string,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly isStopped: () => boolean,
  ) {}

  record(action: string, details: Record<string, unknown>, subject?: string): Promise<void> {
    const entry = { action, actor: this.actor, timeMs: this.clock.now(), details, ...(subject === undefined ? {} : { subject }) };
    return retryUntilDone(
      () => this.sink.record(entry),
      (attempt, error) => {
        this.metrics.publishRetries.inc({ what: "audit" });
        if (attempt === 1 || attempt % 20 === 0) this.logger.warn({ err: String(error), action, attempt }, "audit record not stored yet; retrying");
      },
      this.isStopped,
    );
  }
}
