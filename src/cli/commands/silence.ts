import { hostname, userInfo } from "node:os";
import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { formatMatcher } from "../../alerts/matchers.js";
import type { Silence } from "../../alerts/silences.js";
import { SilenceService } from "../../app/silence-service.js";
import { loadConfig } from "../../config/load.js";
import { systemClock } from "../../core/clock.js";
import { KvAlertStateStore } from "../../store/jetstream/alert-state-store.js";
import { JetStreamAuditSink } from "../../store/jetstream/sinks.js";
import type { Output } from "../output.js";

export interface SilenceCliOptions {
  nats?: string;
  author?: string;
}

/** Run `action` against the silences of the NATS the config points at; the running engines see the change at once. */
async function withSilences<T>(options: SilenceCliOptions, action: (service: SilenceService, actor: string) => Promise<T>): Promise<T> {
  const config = await loadConfig({ env: process.env, overrides: options.nats ? { nats: { servers: options.nats.split(",") } } : {} });
  const nc = await connect({ servers: config.nats.servers });
  try {
    const store = await KvAlertStateStore.open(nc, config.state.alertBucket);
    const service = new SilenceService(store, new JetStreamAuditSink(jetstream(nc), config.subjects.audit), systemClock);
    return await action(service, options.author ?? `${userInfo().username}@${hostname()}`);
  } finally {
    await nc.close();
  }
}

export function describeSilence(s: Silence & { state?: string }): string {
  return `${s.id}  ${s.state ?? ""}  ${new Date(s.startsAtMs).toISOString()} → ${new Date(s.endsAtMs).toISOString()}  {${s.matchers.map(formatMatcher).join(", ")}}  by ${s.createdBy}: ${s.comment}`;
}

export async function silenceAddCommand(matchers: string[], options: SilenceCliOptions & { duration?: string; end?: string; start?: string; comment: string }, out: Output): Promise<number> {
  const silence = await withSilences(options, (service, actor) =>
    service.create(
      { matchers, comment: options.comment, ...(options.start ? { startsAt: options.start } : {}), ...(options.end ? { endsAt: options.end } : { duration: options.duration ?? "1h" }) },
      actor,
      "cli",
    ),
  );
  out.log(`created silence ${describeSilence(silence)}`);
  return 0;
}

export async function silenceListCommand(options: SilenceCliOptions & { all?: boolean }, out: Output): Promise<number> {
  const silences = await withSilences(options, (service) => service.list());
  const shown = options.all ? silences : silences.filter((s) => s.state !== "expired");
  if (shown.length === 0) out.log(options.all ? "no silences" : "no active or pending silences (--all shows expired ones)");
  for (const s of shown) out.log(describeSilence(s));
  return 0;
}

export async function silenceExpireCommand(id: string, options: SilenceCliOptions, out: Output): Promise<number> {
  const result = await withSilences(options, (service, actor) => service.expire(id, actor, "cli"));
  out.log(result.alreadyExpired ? `silence ${id} had already expired` : `expired silence ${describeSilence(result.silence)}`);
  return 0;
}
