// Setting up the events stream every row drains: created as Klaxon provisions it, filled once.
import type { JetStreamClient, JetStreamManager, PubAck } from "@nats-io/jetstream";
import type { Config } from "../src/config/index.js";
import { streamConfigs } from "../src/store/jetstream/provision.js";
import type { GeneratedEvent } from "./generate.js";
import { now } from "./measure.js";

/** Create KLAXON_EVENTS (subjects events.>) exactly as src/store/jetstream/provision.ts would. */
export async function createEventsStream(jsm: JetStreamManager, config: Config): Promise<void> {
  const events = streamConfigs(config).find((s) => s.name === config.streams.events);
  if (!events) throw new Error(`no stream config for ${config.streams.events}`);
  await jsm.streams.add(events);
}

/**
 * Publish every event with JetStream acks, pipelined: up to `window` publishes in flight, never one await per
 * message. Returns the last stream sequence and the publish rate.
 */
export async function prefill(js: JetStreamClient, events: readonly GeneratedEvent[], window = 2_000): Promise<{ lastSeq: number; seconds: number }> {
  const started = now();
  const inFlight = new Set<Promise<PubAck>>();
  let lastSeq = 0;
  const record = (ack: PubAck): void => {
    if (ack.seq > lastSeq) lastSeq = ack.seq;
  };
  for (const event of events) {
    const p = js.publish(event.subject, event.json);
    inFlight.add(p);
    void p.then(record, () => undefined).finally(() => inFlight.delete(p));
    if (inFlight.size >= window) await Promise.race(inFlight);
  }
  for (const ack of await Promise.all(inFlight)) record(ack);
  return { lastSeq, seconds: (now() - started) / 1_000 };
}
