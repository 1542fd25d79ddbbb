import { connect } from "@nats-io/transport-node";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import { NatsServerProcess } from "../test/support/nats-server.js";
import { parseConfig } from "../src/config/index.js";
import { buildWorld, generateEvents } from "./generate.js";
import { createEventsStream, prefill } from "./stream.js";
const N = 100_000;
const server = await NatsServerProcess.start();
try {
  const config = parseConfig({ nats: { servers: [server.url] } });
  const nc = await connect({ servers: server.url });
  const jsm = await jetstreamManager(nc);
  await createEventsStream(jsm, config);
  const set = generateEvents(buildWorld(42), N, 42, Date.now());
  const { lastSeq } = await prefill(jetstream(nc), set.events);
  for (const mode of ["per-message", "setImmediate-batch", "ackAll-immediate", "per-message"]) {
    const durable = `exp-${mode}-${Math.random().toString(36).slice(2)}`;
    await jsm.consumers.add(config.streams.events, { durable_name: durable, ack_policy: mode.startsWith("ackAll") ? AckPolicy.All : AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: 4000, ack_wait: 10_000_000_000 });
    const c2 = await connect({ servers: server.url });
    const consumer = await jetstream(c2).consumers.get(config.streams.events, durable);
    const dec = new TextDecoder();
    const t = performance.now();
    const messages = await consumer.consume({ max_messages: 1000 });
    let pending: JsMsg[] = [];
    let scheduled = false;
    const flush = () => { scheduled = false; if (mode === "ackAll-immediate") { pending[pending.length - 1]?.ack(); } else for (const m of pending) m.ack(); pending = []; };
    for await (const m of messages) {
      JSON.parse(dec.decode(m.data));
      if (mode === "per-message") m.ack();
      else { pending.push(m); if (!scheduled) { scheduled = true; setImmediate(flush); } }
      if (m.seq >= lastSeq) break;
    }
    flush();
    await c2.flush();
    const s = (performance.now() - t) / 1000;
    const info = await jsm.consumers.info(config.streams.events, durable);
    console.log(mode, Math.round(N / s), "events/s", "ack floor", info.ack_floor.stream_seq);
    await messages.close(); await c2.close();
  }
  await nc.close();
} finally { await server.stop(); }
