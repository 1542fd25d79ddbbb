import type { PipelineTiming } from "./timing.js";

/** One message a channel stand-in received, attributed to the alert it is about. */
export interface Delivery {
  channel: string;
  source: string;
  atMs: number;
  /**
   * Copies sharing this key are one message to the person: an e-mail sent twice with the same Message-ID shows once
   * in their mail client, so it is not a duplicate they see.
   */
  copyKey?: string;
}

export interface ChaosReport {
  alerts: number;
  expected: number;
  /** Distinct messages people received (copies of one e-mail, by Message-ID, count once). */
  delivered: number;
  /** Page e-mails as the SMTP server received them, copies included: the raw figure behind `delivered`. */
  emailCopies: number;
  lost: number;
  duplicated: number;
  lostPages: string[];
  duplicatedPages: string[];
  /** Page delivery after the alert fired, beyond group_wait. */
  lateness: Quantiles;
  /** The same, per channel: one channel's outage should not make the others' pages late. */
  latenessByChannel: Record<string, Quantiles>;
  /**
   * The same for the firings of each tenth of the run (by when they fired), with the wall-clock second each tenth
   * starts: set beside the faults' log lines, it shows which fault made pages late.
   */
  latenessOverRun: Array<{ from: string } & Quantiles>;
  kills: number;
  /** Replicas stopped (SIGSTOP) and let go on (SIGCONT) past their leases. */
  pauses: number;
  natsRestarts: number;
  publishRetries: number;
  /** How long the pipeline took before the channels: evaluation, then grouping (see PipelineTiming). */
  pipeline?: PipelineTiming;
  /** Alerts of the run still firing in the alert state once every one of them had resolved (see stillFiringAtEnd). */
  stillFiring?: string[];
  /** Where each lost alert stopped in the pipeline (only when pages were lost). */
  lostTrace?: Record<string, string>;
  /** Alerts that fired again before their resolve was told: one incident with the first firing (see owedFirings). */
  continued?: string[];
}

/**
 * The firings owed pages of their own. An alert that fired again before its group told of its resolve never looked
 * resolved to the person paged: the group still lists it as told firing, so it goes on as the same alert (as
 * Alertmanager's does) and its incident stays open, with no new page. That happens when faults delay the resolve's
 * notification past the re-firing (chaos waits 10 s, group_interval is 5 s), so a second firing is owed pages only
 * if a notification told the first one's resolve (an alert resolved whose start lies between the two firings).
 */
export function owedFirings<F extends { source: string; firedAtMs: number }>(fired: readonly F[], resolvesTold: ReadonlyArray<{ source: string; startsAtMs: number }>): { owed: F[]; continued: F[] } {
  const told = new Map<string, number[]>();
  for (const r of resolvesTold) appendTo(told, r.source, r.startsAtMs);
  const previous = new Map<string, number>();
  const owed: F[] = [];
  const continued: F[] = [];
  for (const firing of [...fired].sort((a, b) => a.firedAtMs - b.firedAtMs)) {
    const before = previous.get(firing.source);
    previous.set(firing.source, firing.firedAtMs);
    const resolveTold = before === undefined || (told.get(firing.source) ?? []).some((startsAtMs) => startsAtMs >= before && startsAtMs < firing.firedAtMs);
    (resolveTold ? owed : continued).push(firing);
  }
  return { owed, continued };
}

const quantile = (sorted: number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

export interface Quantiles {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Add `value` to the list kept under `key`. */
export function appendTo<T>(lists: Map<string, T[]>, key: string, value: T): void {
  const list = lists.get(key);
  if (list) list.push(value);
  else lists.set(key, [value]);
}

/** p50, p99 and the maximum of some durations (sorted here). */
export function quantiles(durations: number[]): Quantiles {
  const sorted = [...durations].sort((a, b) => a - b);
  return { p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), maxMs: sorted.at(-1) ?? 0 };
}

/**
 * Compare what each channel received with what should have been: exactly one per (firing, person, channel). An alert
 * that fired twice (it resolved in between) is owed two pages per channel, paired with its firings in order.
 */
export function tally(input: {
  fired: ReadonlyArray<{ source: string; firedAtMs: number }>;
  deliveries: readonly Delivery[];
  channels: readonly string[];
  kills: number;
  pauses?: number;
  natsRestarts: number;
  publishRetries: number;
  groupWaitMs: number;
}): ChaosReport {
  const times = new Map<string, number[]>();
  const seenCopies = new Set<string>();
  let delivered = 0;
  for (const d of input.deliveries) {
    if (d.copyKey !== undefined) {
      const copy = `${d.source}/${d.channel}/${d.copyKey}`;
      if (seenCopies.has(copy)) continue;
      seenCopies.add(copy);
    }
    delivered++;
    const key = `${d.source}/${d.channel}`;
    appendTo(times, key, d.atMs);
  }
  const firings = new Map<string, number[]>();
  for (const alert of input.fired) appendTo(firings, alert.source, alert.firedAtMs);
  const lostPages: string[] = [];
  const lateness: number[] = [];
  const byChannel = new Map<string, number[]>();
  const firedTimes = input.fired.map((f) => f.firedAtMs);
  const runStart = Math.min(...firedTimes);
  const tenth = Math.max(1, (Math.max(...firedTimes) - runStart) / 10);
  const overRun = Array.from({ length: 10 }, (): number[] => []);
  const counts = new Map<string, { got: number; owed: number }>();
  for (const [source, firedAt] of firings) {
    firedAt.sort((a, b) => a - b);
    for (const channel of input.channels) {
      const key = `${source}/${channel}`;
      const at = (times.get(key) ?? []).sort((a, b) => a - b);
      counts.set(key, { got: at.length, owed: firedAt.length });
      firedAt.forEach((fired, k) => {
        const page = at[k];
        if (page === undefined) lostPages.push(key);
        else {
          const late = Math.max(0, page - fired - input.groupWaitMs);
          lateness.push(late);
          appendTo(byChannel, channel, late);
          overRun[Math.min(9, Math.floor((fired - runStart) / tenth))]?.push(late);
        }
      });
    }
  }
  const duplicatedPages = [...counts].filter(([, c]) => c.got > c.owed).map(([key, c]) => `${key} ×${c.got}${c.owed > 1 ? ` (fired ${c.owed} times)` : ""}`);
  return {
    alerts: input.fired.length,
    expected: input.fired.length * input.channels.length,
    delivered,
    emailCopies: input.deliveries.filter((d) => d.channel === "email").length,
    lost: lostPages.length,
    duplicated: [...counts.values()].reduce((sum, c) => sum + Math.max(0, c.got - c.owed), 0),
    lostPages,
    duplicatedPages,
    lateness: quantiles(lateness),
    latenessByChannel: Object.fromEntries([...byChannel].map(([channel, late]) => [channel, quantiles(late)])),
    latenessOverRun: overRun.map((late, i) => ({ from: new Date(runStart + i * tenth).toISOString().slice(11, 19), ...quantiles(late) })),
    kills: input.kills,
    pauses: input.pauses ?? 0,
    natsRestarts: input.natsRestarts,
    publishRetries: input.publishRetries,
  };
}
