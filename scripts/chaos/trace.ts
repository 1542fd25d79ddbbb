// When a chaos run loses pages, say where each lost alert stopped: evaluated (its firing transition on the alerts
// stream), grouped (in a group notification), escalated (a page planned) or delivered. A lost page must be a lead
// to follow, not a number.
import type { JetStreamClient } from "@nats-io/jetstream";
import { readStream } from "../../test/support/engine.js";

interface Labelled {
  labels: Record<string, string>;
  status?: string;
}

/** One line per lost alert, e.g. "chaos-84: fired yes, notified no, pages planned 0". */
export async function traceLost(js: JetStreamClient, lostPages: readonly string[]): Promise<Record<string, string>> {
  const sources = [...new Set(lostPages.map((page) => page.split("/")[0] as string))];
  if (sources.length === 0) return {};
  const alerts = (await readStream(js, "KLAXON_ALERTS")).map((m) => m.json<Labelled>());
  const notifications = (await readStream(js, "KLAXON_NOTIFICATIONS")).map((m) => m.json<{ firing?: Labelled[] }>());
  const pages = (await readStream(js, "KLAXON_PAGES")).map((m) => m.json<{ title?: string; channel?: string }>());
  const out: Record<string, string> = {};
  for (const source of sources) {
    const fired = alerts.some((a) => a.labels["source"] === source && a.status === "firing");
    const notified = notifications.some((n) => (n.firing ?? []).some((a) => a.labels["source"] === source));
    const planned = pages.filter((p) => p.title?.includes(`${source} `) === true).map((p) => p.channel ?? "?");
    out[source] = `fired ${fired ? "yes" : "no"}, notified ${notified ? "yes" : "no"}, pages planned ${planned.length ? planned.join("+") : "none"}`;
  }
  return out;
}
