// Row 5: an alert storm. N distinct alerts fire within a minute (one probe event each, spread over 50 services);
// the engine groups them by service. Measured: the engine process's peak RSS, how long until every alert's state
// change was published, and how many group notifications went out for them.
import type { RuleJson, World } from "../generate.js";
import { now, sleep, type RowResult } from "../measure.js";
import { withProbeEngine } from "../probe-engine.js";
import { PROBE_RULE_ID, probeEvent } from "../probes.js";

export async function stormRow(options: {
  rules: readonly RuleJson[];
  world: World;
  alerts: number;
  /** Seconds over which the alerts fire (60 for the "within a minute"). */
  seconds: number;
  groupWaitSeconds: number;
  groupIntervalSeconds: number;
  onProgress: (text: string) => void;
}): Promise<RowResult> {
  const { alerts, seconds } = options;
  const route = { groupBy: ["alertname", "service"], groupWait: `${options.groupWaitSeconds}s`, groupInterval: `${options.groupIntervalSeconds}s` };
  return withProbeEngine({ rules: options.rules, route, clientName: "klaxon-bench-storm" }, async ({ nc, webhook, engine, startupSeconds }) => {
    // Distinct alerts: a transition published again (a retried publish) is seen again here, JetStream drops it.
    const firing = new Set<string>();
    let lastChangeAt = 0;
    nc.subscribe("klaxon.alerts.>", {
      callback: (_err, m) => {
        const alert = m.json<{ status: string; labels: Record<string, string> }>();
        if (alert.labels.alertname === PROBE_RULE_ID && alert.status === "firing" && alert.labels.source !== undefined && !firing.has(alert.labels.source)) {
          firing.add(alert.labels.source);
          lastChangeAt = now();
        }
      },
    });
    const notifiedGroups = new Set<string>();
    let notifications = 0;
    nc.subscribe("klaxon.notifications.bench-probe", {
      callback: (_err, m) => {
        notifications++;
        notifiedGroups.add(m.json<{ groupId?: string }>().groupId ?? "");
      },
    });

    options.onProgress(`  ${alerts.toLocaleString("en-US")} alerts firing over ${seconds} s, grouped by service`);
    const services = options.world.services;
    const began = now();
    let sent = 0;
    while (sent < alerts) {
      const due = Math.min(alerts, Math.ceil(((now() - began) / (seconds * 1_000)) * alerts));
      for (; sent < due; sent++) {
        const probe = probeEvent(`storm-${sent}`, services[sent % services.length] as string, Date.now());
        nc.publish(probe.subject, probe.json);
      }
      await sleep(5);
    }
    const publishSeconds = (now() - began) / 1_000;
    // Every alert's state change, then one group interval for the last ones to be notified.
    const deadline = now() + 300_000;
    while (firing.size < alerts && now() < deadline) await sleep(100);
    const allFiringSeconds = (lastChangeAt - began) / 1_000;
    await sleep((options.groupWaitSeconds + options.groupIntervalSeconds + 2) * 1_000);
    const memory = engine.memory();
    return {
      row: "5",
      label: "storm: distinct alerts firing",
      rules: options.rules.length + 1,
      events: sent,
      seconds: publishSeconds,
      eventsPerSecond: sent / publishSeconds,
      peakRssMb: memory?.peakRssMb,
      cpuPercent: undefined,
      serverCpuPercent: undefined,
      ratios: {},
      details: {
        alertsFiring: firing.size,
        allFiringAfterSeconds: allFiringSeconds,
        groupNotifications: notifications,
        groups: notifiedGroups.size,
        webhookRequests: webhook.requests,
        startupSeconds,
        rssAtEndMb: memory?.rssMb ?? Number.NaN,
      },
      note: `engine process RSS; grouped by service (${services.length} services), group_wait ${options.groupWaitSeconds} s, group_interval ${options.groupIntervalSeconds} s`,
    };
  });
}
