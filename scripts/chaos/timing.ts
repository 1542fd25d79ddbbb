// Where the time went between an alert's first event and its group notification, read off the streams after the
// run: a page late or missing because of Slack or SMTP trouble looks different from one held up in the pipeline.
import type { JetStreamClient } from "@nats-io/jetstream";
import { readStream } from "../../test/support/engine.js";
import { quantiles, type Quantiles } from "./tally.js";

interface Labelled {
  labels: Record<string, string>;
  status?: string;
}

export interface PipelineTiming {
  /** First event published → its firing alert message stored (evaluation, failovers of its partition included). */
  evaluated: Quantiles;
  /** First event published → the first group notification listing the alert firing, beyond group_wait. */
  notified: Quantiles;
  /**
   * Alerts that fired and resolved and were never listed firing by a notification, each with when its firing and
   * then its resolution reached the alerts stream. A resolution within about group_wait of the firing is an alert
   * that had resolved by the time its group was due, which is rightly never paged (as Alertmanager would not); a
   * later one is a notification lost.
   */
  neverNotified: string[];
}

export async function pipelineTiming(js: JetStreamClient, fired: ReadonlyArray<{ source: string; firedAtMs: number }>, groupWaitMs: number): Promise<PipelineTiming> {
  const firingAt = new Map<string, number>();
  const resolvedAt = new Map<string, number>();
  for (const m of await readStream(js, "KLAXON_ALERTS")) {
    const alert = m.json<Labelled>();
    const source = alert.labels["source"];
    if (source === undefined) continue;
    const seen = alert.status === "firing" ? firingAt : resolvedAt;
    if (!seen.has(source)) seen.set(source, m.storedAtMs);
  }
  const notifiedAt = new Map<string, number>();
  for (const m of await readStream(js, "KLAXON_NOTIFICATIONS")) {
    for (const alert of m.json<{ firing?: Labelled[] }>().firing ?? []) {
      const source = alert.labels["source"];
      if (source !== undefined && !notifiedAt.has(source)) notifiedAt.set(source, m.storedAtMs);
    }
  }
  const evaluated: number[] = [];
  const notified: number[] = [];
  const neverNotified: string[] = [];
  for (const { source, firedAtMs } of fired) {
    const firing = firingAt.get(source);
    const notifiedAtMs = notifiedAt.get(source);
    const resolved = resolvedAt.get(source);
    if (firing !== undefined) evaluated.push(firing - firedAtMs);
    if (notifiedAtMs !== undefined) notified.push(Math.max(0, notifiedAtMs - firedAtMs - groupWaitMs));
    else if (firing !== undefined && resolved !== undefined) neverNotified.push(`${source} (firing stored ${firing - firedAtMs} ms after its event, resolved ${resolved - firing} ms after that)`);
  }
  return { evaluated: quantiles(evaluated), notified: quantiles(notified), neverNotified };
}
