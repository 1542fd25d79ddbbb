import type { Aggregate } from "../rules/rule.schema.js";
import { ExactAccumulator } from "./exact-sum.js";

/**
 * Samples of one series over a sliding time window `(end - span, end]`, kept sorted by time. Sum and counter increase
 * are maintained as samples enter and leave, exactly (see ExactSum), so the common in-order case costs O(1) per sample
 * and the figures depend on the samples alone; an out-of-order sample is inserted in place and the figures rebuilt.
 */
export class SlidingWindow {
  private times: number[] = [];
  private values: number[] = [];
  private head = 0;
  /** The samples' sum, where the rule's aggregate reads it (sum, avg). */
  private readonly sum: ExactAccumulator | undefined;
  /** Counter increase between consecutive samples, resets counted from zero (as Prometheus does), where read (rate). */
  private readonly increase: ExactAccumulator | undefined;
  /**
   * When the oldest sample leaves the window (Infinity when it is empty): the window's next timer. A field kept up
   * to date rather than a getter, because the evaluator reads it on every event and a computed time is boxed.
   */
  expiresAtMs = Number.POSITIVE_INFINITY;
  constructor(
    readonly spanMs: number,
    aggregate?: Aggregate,
  ) {
    // Only the sums the rule's aggregate reads are kept as samples come and go (both when not told); another
    // aggregate is still answered, from the samples.
    this.sum = aggregate === undefined || aggregate === "sum" || aggregate === "avg" ? new ExactAccumulator() : undefined;
    this.increase = aggregate === undefined || aggregate === "rate" ? new ExactAccumulator() : undefined;
  }

  get count(): number {
    return this.times.length - this.head;
  }

  get oldestTimeMs(): number | undefined {
    return this.head < this.times.length ? this.times[this.head] : undefined;
  }

  get newestTimeMs(): number | undefined {
    return this.head < this.times.length ? this.times[this.times.length - 1] : undefined;
  }

  add(timeMs: number, value: number): void {
    const n = this.times.length;
    if (this.head === n) {
      this.times.push(timeMs);
      this.values.push(value);
      this.sum?.add(value);
      this.expiresAtMs = timeMs + this.spanMs;
    } else if (timeMs >= (this.times[n - 1] as number)) {
      this.increase?.add(step(this.values[n - 1] as number, value));
      this.times.push(timeMs);
      this.values.push(value);
      this.sum?.add(value);
    } else {
      this.insert(timeMs, value);
    }
  }

  // Apart from `add`, so that `add` stays small enough for V8 to inline into the evaluator: called, it would box
  // both numbers it is given, for every sample.
  private insert(timeMs: number, value: number): void {
    let lo = this.head;
    let hi = this.times.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.times[mid] as number) <= timeMs) lo = mid + 1;
      else hi = mid;
    }
    this.times.splice(lo, 0, timeMs);
    this.values.splice(lo, 0, value);
    this.rebuild();
  }

  /** Drop samples at or before `endMs - span`: they have left the window ending at `endMs`. */
  evict(endMs: number): void {
    const cutoff = endMs - this.spanMs;
    while (this.head < this.times.length && (this.times[this.head] as number) <= cutoff) {
      const value = this.values[this.head] as number;
      this.sum?.add(-value);
      if (this.increase !== undefined && this.head + 1 < this.times.length) this.increase.add(-step(value, this.values[this.head + 1] as number));
      this.head++;
    }
    if (this.head === this.times.length) this.clear();
    else {
      this.expiresAtMs = (this.times[this.head] as number) + this.spanMs;
      if (this.head > 1024 && this.head * 2 > this.times.length) this.compact();
    }
  }

  /** The aggregate over the samples in the window; undefined where it has no meaning (avg of nothing). */
  aggregate(kind: Aggregate, eventKind: "metric" | "log"): number | undefined {
    const count = this.count;
    switch (kind) {
      case "count":
        return count;
      case "sum":
        return this.figure("sum");
      case "avg":
        return count === 0 ? undefined : this.figure("sum") / count;
      case "min":
      case "max": {
        if (count === 0) return undefined;
        let best = this.values[this.head] as number;
        for (let i = this.head + 1; i < this.values.length; i++) {
          const v = this.values[i] as number;
          if (kind === "min" ? v < best : v > best) best = v;
        }
        return best;
      }
      case "rate":
        // Logs: events per second over the window. Metrics: counter increase per second over the window.
        return (eventKind === "log" ? count : this.figure("increase")) / (this.spanMs / 1000);
    }
  }

  /**
   * The value of one of the window's sums. A sum it does not keep is summed from the samples. Partials that
   * overflowed (samples near Number.MAX_VALUE) give no finite value: the sum is then taken afresh from the samples in
   * the window, which may no longer overflow, and one that still does is what a plain running sum would say.
   */
  private figure(which: "sum" | "increase"): number {
    const kept = which === "sum" ? this.sum : this.increase;
    const value = kept === undefined ? Number.NaN : kept.value;
    if (Number.isFinite(value)) return value;
    // Summed afresh into the kept accumulator, which this heals, or into one of its own.
    const fresh = kept ?? new ExactAccumulator();
    const plain = this.sumSamples(which, fresh);
    return Number.isFinite(fresh.value) ? fresh.value : plain;
  }

  /**
   * Adds to `into`, emptied first, what the samples in the window give to one sum: each value, or each step between
   * consecutive values. Returns the plain running sum of the same terms.
   */
  private sumSamples(which: "sum" | "increase", into: ExactAccumulator): number {
    into.reset();
    let plain = 0;
    for (let i = this.head; i < this.values.length; i++) {
      const v = this.values[i] as number;
      const term = which === "sum" ? v : i > this.head ? step(this.values[i - 1] as number, v) : 0;
      into.add(term);
      plain += term;
    }
    return plain;
  }

  samples(): Array<[number, number]> {
    const out: Array<[number, number]> = [];
    for (let i = this.head; i < this.times.length; i++) out.push([this.times[i] as number, this.values[i] as number]);
    return out;
  }

  /**
   * The samples for a snapshot: base64 of one Float64Array, every time then every value. A window at a few samples a
   * second holds hundreds; as `[time, value]` pairs they were a third of a snapshot's text and most of its cost.
   */
  encode(): string {
    const n = this.count;
    const packed = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      packed[i] = this.times[this.head + i] as number;
      packed[n + i] = this.values[this.head + i] as number;
    }
    return Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength).toString("base64");
  }

  /** Whether `text` is what `encode` makes (base64 of a whole number of time-and-value pairs). */
  static isEncoding(text: string): boolean {
    return /^[A-Za-z0-9+/]*={0,2}$/.test(text) && Buffer.byteLength(text, "base64") % 16 === 0;
  }

  /** Undoes `encode`; `text` must pass `isEncoding`. */
  static decode(spanMs: number, text: string, aggregate?: Aggregate): SlidingWindow {
    const bytes = Buffer.from(text, "base64");
    const packed = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    const n = packed.length / 2;
    const samples: Array<[number, number]> = [];
    for (let i = 0; i < n; i++) samples.push([packed[i] as number, packed[n + i] as number]);
    return SlidingWindow.fromSamples(spanMs, samples, aggregate);
  }

  static fromSamples(spanMs: number, samples: ReadonlyArray<readonly [number, number]>, aggregate?: Aggregate): SlidingWindow {
    const window = new SlidingWindow(spanMs, aggregate);
    const sorted = [...samples].sort((a, b) => a[0] - b[0]);
    window.times = sorted.map((s) => s[0]);
    window.values = sorted.map((s) => s[1]);
    window.rebuild();
    return window;
  }

  private clear(): void {
    this.times = [];
    this.values = [];
    this.head = 0;
    this.sum?.reset();
    this.increase?.reset();
    this.expiresAtMs = Number.POSITIVE_INFINITY;
  }

  private compact(): void {
    this.times = this.times.slice(this.head);
    this.values = this.values.slice(this.head);
    this.head = 0;
  }

  private rebuild(): void {
    this.compact();
    this.expiresAtMs = this.times.length > 0 ? (this.times[0] as number) + this.spanMs : Number.POSITIVE_INFINITY;
    if (this.sum !== undefined) this.sumSamples("sum", this.sum);
    if (this.increase !== undefined) this.sumSamples("increase", this.increase);
  }
}

/** Increase of a counter from one sample to the next; a drop means the counter restarted from zero. */
function step(previous: number, next: number): number {
  return next >= previous ? next - previous : next;
}
