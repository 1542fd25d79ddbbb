import { Counter, Histogram, type Registry } from "prom-client";

/** Events between two timed ones: timing one in 16 keeps the cost off the hot path (~25k events/s). */
const SAMPLE_EVERY = 16;

/**
 * Rule evaluations (events run through the rule set) and how long one takes. The count is exact but kept in a plain
 * number and handed to prom-client at scrape time; the duration is sampled, one event in SAMPLE_EVERY, so neither a
 * clock read nor a histogram update is paid per event.
 */
export class EvaluationMeter {
  private unreported = 0;
  private countdown = 0;
  private readonly duration: Histogram;

  constructor(registry: Registry) {
    const pending = (): number => {
      const count = this.unreported;
      this.unreported = 0;
      return count;
    };
    new Counter({
      name: "klaxon_rule_evaluations_total",
      help: "Events evaluated against the rules the rule index selects for them",
      registers: [registry],
      collect() {
        const count = pending();
        if (count > 0) this.inc(count);
      },
    });
    this.duration = new Histogram({
      name: "klaxon_rule_evaluation_duration_seconds",
      help: `Time to evaluate one event against its candidate rules, sampled (one event in ${SAMPLE_EVERY})`,
      buckets: [0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.005, 0.025, 0.1],
      registers: [registry],
    });
  }

  /** Call before evaluating an event; pass what it returns to `end`. */
  begin(): number {
    this.unreported++;
    if (--this.countdown > 0) return -1;
    this.countdown = SAMPLE_EVERY;
    return performance.now();
  }

  end(mark: number): void {
    if (mark >= 0) this.duration.observe((performance.now() - mark) / 1_000);
  }
}
