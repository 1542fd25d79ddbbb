// Row 4's reference: the least any engine could take on this path, measured the way row 4 measures Klaxon. A process
// of its own, like the engine, that takes events from the consumer Klaxon provisions (same settings, the same
// cumulative ack once per macrotask), parses each, and answers each probe with a state change published through
// JetStream on klaxon.alerts.*, as the engine's outbox does. No rules, no state: what is left is NATS, Node and the
// two cores they share with the publisher.
//
// `node --import tsx bench/relay.ts <nats url> [work µs]`: with a work time, each event also keeps the thread busy that
// long, standing in for an engine's work per event (`npm run bench -- --rows 4 --reference-work-us N`). Prints
// "ready" once it consumes, stops on SIGTERM.
import { connect } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { parseConfig } from "../src/config/index.js";
import { provision } from "../src/store/jetstream/provision.js";
import { LIVE_PULL } from "../src/store/jetstream/pull-options.js";
import { PROBE_METRIC, PROBE_RULE_ID } from "./probes.js";

async function main(): Promise<void> {
  const url = process.argv[2];
  if (!url) throw new Error("usage: relay.ts <nats url> [work µs per event]");
  const workMs = Number(process.argv[3] ?? 0) / 1_000;
  const config = parseConfig({ nats: { servers: [url] } });
  const nc = await connect({ servers: url, name: "klaxon-bench-relay" });
  await provision(await jetstreamManager(nc), config);
  const js = jetstream(nc);
  const consumer = await js.consumers.get(config.streams.events, config.consumer.durable);
  const messages = await consumer.consume({ max_messages: config.consumer.batch, ...LIVE_PULL });
  process.once("SIGTERM", () => void messages.close());

  const decoder = new TextDecoder("utf-8", { fatal: true });
  let newest: JsMsg | undefined;
  let ackScheduled = false;
  const ackNewest = (): void => {
    ackScheduled = false;
    newest?.ack();
    newest = undefined;
  };
  process.stdout.write("ready\n");
  for await (const m of messages) {
    const event = JSON.parse(decoder.decode(m.data)) as { name?: string; source?: string };
    if (workMs > 0) busyFor(workMs);
    if (event.name === PROBE_METRIC && event.source !== undefined) {
      const change = { status: "firing", labels: { alertname: PROBE_RULE_ID, source: event.source } };
      void js.publish(`${config.subjects.alerts}.${event.source}`, JSON.stringify(change)).catch((error: unknown) => console.error(`relay: publish failed: ${String(error)}`));
    }
    newest = m;
    if (!ackScheduled) {
      ackScheduled = true;
      setImmediate(ackNewest);
    }
  }
  ackNewest();
  await nc.drain();
}

/** Keeps the thread busy for `ms`, as work would: no sleeping, nothing else runs meanwhile. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
