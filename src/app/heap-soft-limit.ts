import { PerformanceObserver, constants, performance } from "node:perf_hooks";
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import type { Logger } from "../core/logger.js";

const MIB = 1024 * 1024;

/** The least growth ever set: a full collection for every tenth of the live heap allocated anew. */
export const MIN_GROWTH_PERCENT = 10;
/** V8 grows the heap 10-300% past its live data by itself: where even 300% stays under the limit, its choice stands. */
const V8_MAX_GROWTH_PERCENT = 300;

/** What a full collection left: the live heap, and when (monotonic ms). */
export interface FullCollection {
  atMs: number;
  liveBytes: number;
}

/**
 * How far V8 may let the heap grow past its live data at its next full collection, so that it stays under
 * `softLimitBytes`; 0 means V8's own choice. V8 reads the percent when a full collection ends, to set where the next
 * one starts, so it is judged for the live heap expected then: the last collection's, grown since at the rate it grew
 * between the last two (a storm's alerts keep adding to it). Above the limit it stays at MIN_GROWTH_PERCENT: a soft
 * limit costs collections, never a crash.
 */
export function growthPercentFor(last: FullCollection, before: FullCollection | undefined, nowMs: number, softLimitBytes: number): number {
  if (softLimitBytes <= 0 || last.liveBytes <= 0) return 0;
  const bytesPerMs = before !== undefined && last.atMs > before.atMs ? Math.max(0, (last.liveBytes - before.liveBytes) / (last.atMs - before.atMs)) : 0;
  const expectedLive = last.liveBytes + bytesPerMs * Math.max(0, nowMs - last.atMs);
  const roomPercent = ((softLimitBytes - expectedLive) / expectedLive) * 100;
  if (roomPercent >= V8_MAX_GROWTH_PERCENT) return 0;
  return Math.max(MIN_GROWTH_PERCENT, Math.floor(roomPercent));
}

/** Sets V8's heap growth between full collections (`--heap-growing-percent`; 0: V8's own), read as each one ends. */
export function setHeapGrowthPercent(percent: number): void {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap growth must be a whole percent >= 0, got ${percent}`);
  setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/**
 * `memory.heapSoftLimitMb` (Go's GOMEMLIMIT, for V8): a storm's heap stays near the limit instead of growing to 2-4
 * times its live data between full collections, while an engine whose heap is small enough keeps V8's own choice.
 * The growth is judged again after every collection, young ones included, so that the value V8 finds when its next
 * full collection ends is a recent one. Process-wide: `klaxon run` starts one; an Engine never does, since tests run
 * many engines in one process.
 */
export class HeapSoftLimit {
  private observer: PerformanceObserver | undefined;
  private last: FullCollection | undefined;
  private before: FullCollection | undefined;
  private percent = 0;
  private readonly softLimitBytes: number;

  constructor(
    softLimitMb: number,
    private readonly logger: Pick<Logger, "debug" | "info">,
    private readonly nowMs: () => number = () => performance.now(),
  ) {
    this.softLimitBytes = softLimitMb * MIB;
  }

  /** The growth set now, in percent (0: V8's own). */
  get growthPercent(): number {
    return this.percent;
  }

  start(): void {
    if (this.softLimitBytes <= 0 || this.observer) return;
    this.observer = new PerformanceObserver((list) => {
      const full = list.getEntries().some((entry) => (entry as { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR);
      this.afterCollection(full ? getHeapStatistics().used_heap_size : undefined);
    });
    this.observer.observe({ entryTypes: ["gc"] });
    this.logger.info({ heapSoftLimitMb: Math.round(this.softLimitBytes / MIB) }, "heap soft limit set");
  }

  stop(): void {
    this.observer?.disconnect();
    this.observer = undefined;
  }

  /** After a collection: a full one gives the live heap it left (what is in use just after it). */
  afterCollection(liveBytesAfterFull: number | undefined): void {
    const now = this.nowMs();
    if (liveBytesAfterFull !== undefined) {
      this.before = this.last;
      this.last = { atMs: now, liveBytes: liveBytesAfterFull };
    }
    if (this.last === undefined) return;
    const percent = growthPercentFor(this.last, this.before, now, this.softLimitBytes);
    if (percent === this.percent) return;
    setHeapGrowthPercent(percent);
    this.percent = percent;
    this.logger.debug({ liveMb: Math.round(this.last.liveBytes / MIB), softLimitMb: Math.round(this.softLimitBytes / MIB), growthPercent: percent }, "heap growth set");
  }
}
