import { Counter, type Registry } from "prom-client";

/** One label value's count: `inc()` adds to a plain number, handed to prom-client when metrics are read. */
export class DeferredCount {
  value = 0;

  inc(): void {
    this.value++;
  }
}

/**
 * A counter with one label, incremented on the event path. prom-client's own `inc()` hashes the label set and
 * returns an object on every call (~120 bytes an event, measured in row 4); these counts stay in plain numbers
 * until a scrape (or any read of the registry) collects them, so what is read is exact.
 */
export class DeferredCounter {
  private readonly counts = new Map<string, DeferredCount>();

  constructor(registry: Registry, name: string, help: string, labelName: string) {
    const counts = this.counts;
    new Counter({
      name,
      help,
      labelNames: [labelName],
      registers: [registry],
      collect() {
        for (const [value, count] of counts) {
          if (count.value === 0) continue;
          this.inc({ [labelName]: value }, count.value);
          count.value = 0;
        }
      },
    });
  }

  /** The count of one label value: the same object for the same value, so a caller need not keep its own. */
  child(value: string): DeferredCount {
    let count = this.counts.get(value);
    if (count === undefined) this.counts.set(value, (count = new DeferredCount()));
    return count;
  }
}
