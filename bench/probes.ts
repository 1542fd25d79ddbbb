// Probe alerts for rows 4 and 5: one rule that fires on the first event of each probe source, and a routing file
// that sends those alerts, grouped as the row asks, to a webhook on this machine.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { RuleJson } from "./generate.js";
import { now } from "./measure.js";

export const PROBE_RULE_ID = "bench-probe";
export const PROBE_METRIC = "bench_probe";

/** Fires at once (no `for`) for every new probe source: one event, one alert, one state change to time. */
export const PROBE_RULE: RuleJson = {
  id: PROBE_RULE_ID,
  version: 1,
  kind: "threshold",
  event: "metric",
  match: { all: [{ fact: "name", operator: "equal", value: PROBE_METRIC }] },
  keyBy: ["source", "service"],
  when: { all: [{ fact: "value", operator: "greaterThan", value: 0 }] },
  severity: "warning",
  annotations: { summary: "bench probe {{ source }}" },
};

/** A probe event as a producer publishes it: subject and JSON text. */
export function probeEvent(source: string, service: string, timeMs: number): { subject: string; json: string } {
  return {
    subject: `events.metric.${source}`,
    json: JSON.stringify({ type: "metric", source, service, name: PROBE_METRIC, value: 1, time: new Date(timeMs).toISOString() }),
  };
}

/**
 * routes/routes.json: probe alerts go to receiver "bench-probe" (a webhook), grouped by `groupBy`; every other alert
 * (the generated rules fire too) to a receiver without channels.
 */
export function probeRouting(webhookUrl: string, route: { groupBy: string[]; groupWait: string; groupInterval: string }): Record<string, unknown> {
  return {
    version: 1,
    route: {
      receiver: "bench-sink",
      groupBy: ["alertname"],
      routes: [{ matchers: [`alertname="${PROBE_RULE_ID}"`], receiver: "bench-probe", repeatInterval: "4h", ...route }],
    },
    receivers: [{ name: "bench-sink" }, { name: "bench-probe", webhook: { url: webhookUrl } }],
  };
}

interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
}

/** Records when each probe source first reached the webhook as firing, and how many requests came. */
export class ProbeWebhook {
  readonly firstFiringAt = new Map<string, number>();
  requests = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<ProbeWebhook> {
    const webhook: ProbeWebhook = new ProbeWebhook(
      createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          const at = now();
          webhook.requests++;
          try {
            const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as { alerts?: WebhookAlert[] };
            for (const alert of body.alerts ?? []) {
              const source = alert.labels.source;
              if (alert.status === "firing" && source !== undefined && !webhook.firstFiringAt.has(source)) webhook.firstFiringAt.set(source, at);
            }
          } catch {
            // not a notification: counted, otherwise ignored
          }
          res.writeHead(204).end();
        });
      }),
    );
    await new Promise<void>((resolve) => webhook.server.listen(0, "127.0.0.1", resolve));
    return webhook;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/bench`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

/** The p-th percentile (0-100) of `values`, nearest rank; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}
