import { hostname, userInfo } from "node:os";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { EscalationService } from "../../app/escalation-service.js";
import { loadDirectory } from "../../app/directory-loader.js";
import { loadConfig } from "../../config/load.js";
import { systemClock } from "../../core/clock.js";
import { formatIssue } from "../../core/errors.js";
import type { Incident } from "../../escalate/incident.js";
import { EMPTY_DIRECTORY } from "../../escalate/directory.js";
import { loadRouting } from "../../rules/routing-loader.js";
import { KvEscalationStore } from "../../store/jetstream/escalation-store.js";
import { JetStreamAuditSink } from "../../store/jetstream/sinks.js";
import type { Output } from "../output.js";

export interface IncidentCliOptions {
  nats?: string;
  author?: string;
  rules?: string;
}

async function withIncidents<T>(options: IncidentCliOptions, out: Output, action: (service: EscalationService, actor: string) => Promise<T>): Promise<T> {
  const config = await loadConfig({ env: process.env, overrides: { ...(options.nats ? { nats: { servers: options.nats.split(",") } } : {}), ...(options.rules ? { rulesDir: options.rules } : {}) } });
  // The policies say whether an acknowledgment times out; without readable rules an ack still works, without a timeout.
  const routing = await loadRouting(config.rulesDir);
  const directory = routing.loaded ? await loadDirectory(config.rulesDir, routing.loaded.routing) : undefined;
  for (const issue of directory?.issues ?? routing.issues) out.err(`warning: ${formatIssue(issue)}`);
  const nc = await connect({ servers: config.nats.servers });
  try {
    const store = await KvEscalationStore.open(nc, config.state.escalationBucket);
    const service = new EscalationService(store, new JetStreamAuditSink(jetstream(nc), config.subjects.audit), systemClock, () => directory?.directory ?? EMPTY_DIRECTORY);
    return await action(service, options.author ?? `${userInfo().username}@${hostname()}`);
  } finally {
    await nc.close();
  }
}

export function describeIncident(i: Incident): string {
  const who = i.state === "acknowledged" ? ` by ${i.acknowledgedBy} via ${i.acknowledgedVia}` : i.state === "resolved" ? ` by ${i.resolvedBy} via ${i.resolvedVia}` : ` level ${i.level + 1}, round ${i.round + 1}`;
  return `${i.id}  ${i.state}${who}  opened ${new Date(i.openedAtMs).toISOString()}  ${i.receiver}/${i.policyId}  ${i.title}`;
}

export async function incidentsCommand(options: IncidentCliOptions & { all?: boolean }, out: Output): Promise<number> {
  const incidents = await withIncidents(options, out, (service) => service.list());
  const shown = options.all ? incidents : incidents.filter((i) => i.state !== "resolved");
  if (shown.length === 0) out.log(options.all ? "no incidents" : "no open incidents (--all shows resolved ones)");
  for (const incident of shown) out.log(describeIncident(incident));
  return 0;
}

export async function ackCommand(id: string, options: IncidentCliOptions, out: Output): Promise<number> {
  const result = await withIncidents(options, out, (service, actor) => service.acknowledge(id, actor, "cli"));
  out.log(result.changed ? `acknowledged ${describeIncident(result.incident)}` : `nothing to do: ${result.reason}`);
  return 0;
}

export async function resolveCommand(id: string, options: IncidentCliOptions, out: Output): Promise<number> {
  const result = await withIncidents(options, out, (service, actor) => service.resolve(id, actor, "cli"));
  out.log(result.changed ? `resolved ${describeIncident(result.incident)}` : `nothing to do: ${result.reason}`);
  return 0;
}
