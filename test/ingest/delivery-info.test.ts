import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AckPolicy, jetstreamManager } from "@nats-io/jetstream";
import { deliveryOf, parseAckSubject, replySubjectOf } from "../../src/ingest/delivery-info.js";
import { client, useNatsServer } from "../support/engine.js";

describe("parseAckSubject", () => {
  test("reads the layout with domain and account, with and without trailing tokens", () => {
    assert.deepEqual(parseAckSubject("$JS.ACK._.ACCHASH.EVENTS.klaxon-evaluate.3.1234567.99.1796553648933000000.42.Zx9"), { seq: 1234567, deliveryCount: 3, pending: 42 });
    assert.deepEqual(parseAckSubject("$JS.ACK.hub.ACCHASH.EVENTS.c.1.7.7.1796553648933000000.0"), { seq: 7, deliveryCount: 1, pending: 0 });
  });

  test("reads the older layout without them", () => {
    assert.deepEqual(parseAckSubject("$JS.ACK.EVENTS.klaxon-evaluate.2.900719925474099.5.1796553648933000000.10"), { seq: 900719925474099, deliveryCount: 2, pending: 10 });
  });

  test("refuses what is not an ack subject, so the client's parse can say why", () => {
    for (const subject of ["", "_INBOX.abc", "$JS.ACK.EVENTS.c.1.2.3", "$JS.ACK.EVENTS.c.x.2.3.4.5", "$JS.ACK._.A.EVENTS.c.1..3.4.5", "$JS.ACK._.A.EVENTS.c.1.2.3.4.-5"]) {
      assert.equal(parseAckSubject(subject), undefined, subject);
    }
  });
});

describe("deliveryOf on a real nats-server", () => {
  const nats = useNatsServer();

  test("agrees with the client's own parse for every message, first deliveries and redeliveries", async () => {
    const { nc, js } = await client(nats.current.url);
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "DELIVERY_INFO", subjects: ["delivery-info.>"] });
      await jsm.consumers.add("DELIVERY_INFO", { durable_name: "reader", ack_policy: AckPolicy.Explicit, ack_wait: 1_000_000_000 });
      for (let i = 0; i < 20; i++) await js.publish(`delivery-info.${i}`, `${i}`);
      const consumer = await js.consumers.get("DELIVERY_INFO", "reader");
      const seen: string[] = [];
      // First deliveries, left unacknowledged, come again after the ack wait (1 s) with a higher delivery count.
      for (let round = 0; round < 2; round++) {
        const batch = await consumer.fetch({ max_messages: 20, expires: 5_000 });
        for await (const m of batch) {
          const ours = deliveryOf(m);
          assert.deepEqual(ours, { seq: m.info.streamSequence, deliveryCount: m.info.deliveryCount, pending: m.info.pending });
          // The fast path is the one taken: the reply subject is there and parses.
          const reply = replySubjectOf(m);
          assert.notEqual(reply === undefined ? undefined : parseAckSubject(reply), undefined, reply);
          seen.push(`${ours.seq}/${ours.deliveryCount}`);
          if (round === 1) m.ack();
        }
      }
      assert.ok(seen.includes("1/1") && seen.includes("1/2") && seen.includes("20/2"), seen.join(" "));
    } finally {
      await nc.close();
    }
  });
});
