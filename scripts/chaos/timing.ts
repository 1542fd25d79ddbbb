// Where the time went between an alert's first event and its group notification, read off the streams after the
// run: a page late or missing because of Slack or SMTP trouble looks different from one held up in the pipeline.
import type { JetStreamClient } from "@nats-io/jetstream";
import { readStream } from "../../test/support/engine.js";
import { appendTo, quantiles, type Quantiles } from "./tally.js";

/** An alert as the alerts and notifications streams carry it, as far as the chaos reports read it. */
export interface Labelled {
  labels: Record<string, string>;
  status?: string;
  fingerprint?: string;
}

export interface PipelineTiming {
  /** First event published → its firing alert message stored (evaluation, failovers of its partition included). */
  evaluated: Quantiles;
  /** First event published → the first group notification listing the alert firing, beyond group_wait. */
  notified: Quantiles;
  /** First event published → the first page about it published for the notify stage (escalation done), beyond group_wait. */
  paged: Quantiles;
  /**
   * Alerts that fired and resolved and were never listed firing by a notification, each with when its firing and
   * then its resolution reached the alerts stream. A resolution within about group_wait of the firing is an alert
   * that had resolved by the time its group was due, which is rightly never paged (as Alertmanager would not); a
   * later one is a notification lost.
   */
  neverNotified: string[];
}

/** Every alert a group notification told resolved: its source and when that episode started. */
export async function resolvesTold(js: JetStreamClient): Promise<Array<{ source: string; startsAtMs: number }>> {
  const out: Array<{ source: string; startsAtMs: number }> = [];
  for (const m of await readStream(js, "KLAXON_NOTIFICATIONS")) {
    for (const alert of m.json<{ resolved?: Array<Labelled & { startsAtMs?: number }> }>().resolved ?? []) {
      const source = alert.labels["source"];
      if (source !== undefined && alert.startsAtMs !== undefined) out.push({ source, startsAtMs: alert.startsAtMs });
    }
  }
  return out;
}

export async function pipelineTiming(js: JetStreamClient, fired: ReadonlyArray<{ source: string; firedAtMs: number }>, groupWaitMs: number): Promise<PipelineTiming> {
  // Per source, in order: when each firing and each resolution was stored, and each notification listing it firing.
  const firingAt = new Map<string, number[]>();
  const resolvedAt = new Map<string, number[]>();
  const notifiedAt = new Map<string, number[]>();
  const pagedAt = new Map<string, number[]>();
  const sourceOf = new Map<string, string>();
  const add = (into: Map<string, number[]>, source: string | undefined, atMs: number): void => {
    if (source !== undefined) appendTo(into, source, atMs);
  };
  for (const m of await readStream(js, "KLAXON_ALERTS")) {
    const alert = m.json<Labelled>();
    add(alert.status === "firing" ? firingAt : resolvedAt, alert.labels["source"], m.storedAtMs);
    const source = alert.labels["source"];
    if (alert.fingerprint !== undefined && source !== undefined) sourceOf.set(alert.fingerprint, source);
  }
  for (const m of await readStream(js, "KLAXON_NOTIFICATIONS")) {
    for (const alert of m.json<{ firing?: Labelled[] }>().firing ?? []) add(notifiedAt, alert.labels["source"], m.storedAtMs);
  }
  // Pages name the alerts of their incident; incident updates (klaxon.pages.update) are not pages.
  for (const m of await readStream(js, "KLAXON_PAGES")) {
    if (m.subject.endsWith(".update")) continue;
    for (const fp of new Set(m.json<{ alertFingerprints?: string[] }>().alertFingerprints ?? [])) add(pagedAt, sourceOf.get(fp), m.storedAtMs);
  }
  const evaluated: number[] = [];
  const notified: number[] = [];
  const paged: number[] = [];
  const neverNotified: string[] = [];
  for (const { source, firedAtMs } of fired) {
    // This firing's messages: the first stored after its event (an earlier firing's came before it).
    const firing = (firingAt.get(source) ?? []).find((at) => at >= firedAtMs);
    if (firing === undefined) continue;
    const next = (firingAt.get(source) ?? []).find((at) => at > firing) ?? Infinity;
    const resolved = (resolvedAt.get(source) ?? []).find((at) => at >= firing);
    // A notification of the next firing lists the source too: only those before it count.
    const notifiedAtMs = (notifiedAt.get(source) ?? []).find((at) => at >= firing && at < next);
    evaluated.push(firing - firedAtMs);
    if (notifiedAtMs !== undefined) notified.push(Math.max(0, notifiedAtMs - firedAtMs - groupWaitMs));
    const pagedAtMs = notifiedAtMs === undefined ? undefined : (pagedAt.get(source) ?? []).find((at) => at >= notifiedAtMs && at < next);
    if (pagedAtMs !== undefined) paged.push(Math.max(0, pagedAtMs - firedAtMs - groupWaitMs));
    else if (resolved !== undefined) neverNotified.push(`${source} (firing stored ${firing - firedAtMs} ms after its event, resolved ${resolved - firing} ms after that)`);
  }
  return { evaluated: quantiles(evaluated), notified: quantiles(notified), paged: quantiles(paged), neverNotified };
}
