// Row 1: the raw limit. A bare durable pull consumer drains the stream; per message only JSON.parse and ack.
import { connect } from "@nats-io/transport-node";
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type JsMsg } from "@nats-io/jetstream";
import type { Config } from "../../src/config/index.js";
import { Probe, startCpuProfile, type RowResult } from "../measure.js";

const MS_TO_NS = 1_000_000;

/**
 * "each": `m.ack()` as each message is handled, which is what Klaxon does. nats.js flushes its outbound buffer in a
 * microtask, so acks made one `for await` step apart go out as one socket write each.
 * "coalesced": the same acks, made together once per macrotask (setImmediate): one write for many acks. A reference
 * for what batching acks would give, not a different protocol (still one explicit ack per message).
 */
export type AckMode = "each" | "coalesced";

export async function rawDrain(options: {
  url: string;
  config: Config;
  lastSeq: number;
  serverPid: number | undefined;
  ackMode: AckMode;
  profileDir?: string | undefined;
}): Promise<RowResult> {
  const { config, lastSeq, ackMode } = options;
  const nc = await connect({ servers: options.url, name: "klaxon-bench-raw" });
  try {
    const jsm = await jetstreamManager(nc);
    const durable = `bench-raw-${ackMode}`;
    // The same consumer settings Klaxon provisions for itself.
    await jsm.consumers.add(config.streams.events, {
      durable_name: durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `${config.subjects.events}.>`,
      max_deliver: config.consumer.maxDeliver,
      ack_wait: config.consumer.ackWaitMs * MS_TO_NS,
      max_ack_pending: Math.max(config.consumer.batch * 4, 1_000),
    });
    const consumer = await jetstream(nc).consumers.get(config.streams.events, durable);
    const decoder = new TextDecoder("utf-8", { fatal: true });

    let unacked: JsMsg[] = [];
    let flushScheduled = false;
    const ackUnacked = (): void => {
      flushScheduled = false;
      for (const m of unacked) m.ack();
      unacked = [];
    };

    const profile = options.profileDir ? await startCpuProfile(options.profileDir, `raw-${ackMode}`) : undefined;
    const probe = new Probe(options.serverPid);
    const messages = await consumer.consume({ max_messages: config.consumer.batch });
    let count = 0;
    let checksum = 0;
    for await (const m of messages) {
      const event = JSON.parse(decoder.decode(m.data)) as { type: string };
      checksum += event.type.length; // keep the parse observable
      if (ackMode === "each") {
        m.ack();
      } else {
        unacked.push(m);
        if (!flushScheduled) {
          flushScheduled = true;
          setImmediate(ackUnacked);
        }
      }
      count++;
      if (m.seq >= lastSeq) break;
    }
    ackUnacked();
    await nc.flush();
    const figures = probe.stop();
    const profileFile = await profile?.stop();
    await messages.close();
    await jsm.consumers.delete(config.streams.events, durable);
    return {
      row: "1",
      label: ackMode === "each" ? "raw: consume + JSON.parse + ack" : "raw, acks coalesced per macrotask (ref.)",
      rules: undefined,
      events: count,
      seconds: figures.seconds,
      eventsPerSecond: count / figures.seconds,
      peakRssMb: figures.peakRssMb,
      cpuPercent: figures.cpuPercent,
      serverCpuPercent: figures.serverCpuPercent,
      ratios: {},
      details: { checksum, ...(profileFile ? { profile: profileFile } : {}) },
    };
  } finally {
    await nc.close().catch(() => undefined);
  }
}
