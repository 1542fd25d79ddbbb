import { connect } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { loadConfig } from "../../config/load.js";
import { formatIssue, ValidationError } from "../../core/errors.js";
import { eventSchema } from "../../ingest/event.schema.js";
import { zodIssues } from "../../rules/loader.js";
import type { Output } from "../output.js";

/** `klaxon emit '{"type":"metric",...}'`: publish one event (time defaults to now), for trying rules by hand. */
export async function emitCommand(json: string, options: { nats?: string }, out: Output): Promise<number> {
  const config = await loadConfig({ env: process.env, overrides: options.nats ? { nats: { servers: options.nats.split(",") } } : {} });
  let value: Record<string, unknown>;
  try {
    value = { time: new Date().toISOString(), ...(JSON.parse(json) as Record<string, unknown>) };
  } catch (error) {
    out.err(`error: the event is not valid JSON: ${(error as Error).message}`);
    return 1;
  }
  const parsed = eventSchema.safeParse(value);
  if (!parsed.success) {
    for (const issue of new ValidationError(zodIssues("event", parsed.error)).issues) out.err(`error: ${formatIssue(issue)}`);
    return 1;
  }
  const subject = `${config.subjects.events}.${parsed.data.type}.${parsed.data.source}`;
  const nc = await connect({ servers: config.nats.servers });
  try {
    const ack = await jetstream(nc).publish(subject, JSON.stringify(value));
    out.log(`published on ${subject} (stream ${ack.stream}, seq ${ack.seq})`);
  } finally {
    await nc.close();
  }
  return 0;
}
