import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { AckPolicy, DeliverPolicy, JetStreamApiError, type JsMsg } from "@nats-io/jetstream";
import { withEmbedded, text, sleep } from "./support.js";

const MS_NS = 1_000_000;

describe("embedded JetStream consumers, through the v3 client", () => {
  test("an unacknowledged message is redelivered after ack_wait with a higher delivery count, until max_deliver", () =>
    withEmbedded(async ({ js, jsm }) => {
      await jsm.streams.add({ name: "WORK", subjects: ["work.*"] });
      await jsm.consumers.add("WORK", { durable_name: "worker", ack_policy: AckPolicy.Explicit, ack_wait: 500 * MS_NS, max_deliver: 2 });
      await js.publish("work.a", "job");
      const consumer = await js.consumers.get("WORK", "worker");
      const first = await consumer.next({ expires: 2_000 });
      assert.equal(first?.info.deliveryCount, 1);
      const second = await consumer.next({ expires: 5_000 });
      assert.equal(second?.seq, first?.seq, "the same message again");
      assert.equal(second?.info.deliveryCount, 2);
      assert.equal(second?.redelivered, true);
      assert.equal(await consumer.next({ expires: 2_000 }), null, "max_deliver 2: not a third time");
      const info = await consumer.info();
      assert.equal(info.num_ack_pending, 0);
      assert.equal(info.delivered.stream_seq, 1);
    }));

  test("acked messages move the ack floor; a NAK redelivers at once; +WPI and +TERM are understood", () =>
    withEmbedded(async ({ js, jsm }) => {
      await jsm.streams.add({ name: "Q", subjects: ["q"] });
      await jsm.consumers.add("Q", { durable_name: "c", ack_policy: AckPolicy.Explicit, ack_wait: 30_000 * MS_NS });
      for (let i = 1; i <= 4; i++) await js.publish("q", String(i));
      const consumer = await js.consumers.get("Q", "c");
      const got: JsMsg[] = [];
      for await (const m of await consumer.fetch({ max_messages: 4, expires: 2_000 })) got.push(m);
      assert.deepEqual(got.map((m) => text(m.data)), ["1", "2", "3", "4"]);
      assert.equal(got[3]?.info.pending, 0);
      await got[0]?.ackAck();
      got[1]?.nak();
      got[2]?.working();
      got[3]?.term();
      const again = await consumer.next({ expires: 2_000 });
      assert.equal(text(again?.data ?? new Uint8Array()), "2");
      assert.equal(again?.info.deliveryCount, 2);
      await again?.ackAck();
      await got[2]?.ackAck();
      const info = await consumer.info();
      assert.equal(info.num_ack_pending, 0);
      assert.equal(info.ack_floor.stream_seq, 4);
      assert.equal(info.num_pending, 0);
    }));

  test("a NAK with a delay holds the redelivery back for that delay", () =>
    withEmbedded(async ({ js, jsm }) => {
      await jsm.streams.add({ name: "N", subjects: ["n"] });
      await jsm.consumers.add("N", { durable_name: "c", ack_policy: AckPolicy.Explicit, ack_wait: 30_000 * MS_NS });
      await js.publish("n", "retry me");
      const consumer = await js.consumers.get("N", "c");
      const first = await consumer.next({ expires: 2_000 });
      first?.nak(2_000);
      assert.equal(await consumer.next({ expires: 1_000 }), null, "not during the delay");
      const again = await consumer.next({ expires: 5_000 });
      assert.equal(text(again?.data ?? new Uint8Array()), "retry me");
      assert.equal(again?.info.deliveryCount, 2);
    }));

  test("a fetch limited by max_bytes stops with an error when the next message does not fit", () =>
    withEmbedded(async ({ js, jsm }) => {
      await jsm.streams.add({ name: "B", subjects: ["b"] });
      await jsm.consumers.add("B", { durable_name: "c", ack_policy: AckPolicy.Explicit });
      await js.publish("b", "x".repeat(2_000));
      const consumer = await js.consumers.get("B", "c");
      await assert.rejects(async () => {
        for await (const m of await consumer.fetch({ max_bytes: 100, expires: 2_000 })) m.ack();
      }, /message size exceeds maxbytes/);
    }));

  test("AckPolicy.All: one ack settles everything delivered before it", () =>
    withEmbedded(async ({ js, jsm }) => {
      await jsm.streams.add({ name: "E", subjects: ["e.>"] });
      await jsm.consumers.add("E", { durable_name: "all", ack_policy: AckPolicy.All });
      for (let i = 1; i <= 5; i++) await js.publish("e.x", String(i));
      const consumer = await js.consumers.get("E", "all");
      const got: JsMsg[] = [];
      for await (const m of await consumer.fetch({ max_messages: 5, expires: 2_000 })) got.push(m);
      assert.equal((await consumer.info()).num_ack_pending, 5);
      await got[2]?.ackAck();
      let info = await consumer.info();
      assert.equal(info.num_ack_pending, 2);
      assert.equal(info.ack_floor.stream_seq, 3);
      await got[4]?.ackAck();
      info = await consumer.info();
      assert.equal(info.num_ack_pending, 0);
      assert.equal(info.ack_floor.stream_seq, 5);
    }));

  test("max_ack_pending holds deliveries back until acks come; num_pending counts what is left", () =>
    withEmbedded(async ({ js, jsm }) => {
      await jsm.streams.add({ name: "M", subjects: ["m"] });
      await jsm.consumers.add("M", { durable_name: "c", ack_policy: AckPolicy.Explicit, max_ack_pending: 2 });
      for (let i = 1; i <= 5; i++) await js.publish("m", String(i));
      const consumer = await js.consumers.get("M", "c");
      const got: JsMsg[] = [];
      for await (const m of await consumer.fetch({ max_messages: 5, expires: 1_500 })) got.push(m);
      assert.equal(got.length, 2);
      let info = await consumer.info();
      assert.equal(info.num_pending, 3);
      assert.equal(info.num_ack_pending, 2);
      for (const m of got) await m.ackAck();
      const rest: JsMsg[] = [];
      for await (const m of await consumer.fetch({ max_messages: 2, expires: 1_500 })) rest.push(m);
      assert.deepEqual(rest.map((m) => text(m.data)), ["3", "4"]);
      info = await consumer.info();
      assert.equal(info.num_pending, 1);
    }));

  test("deliver policies and filters choose where a consumer starts and what it sees", () =>
    withEmbedded(async ({ js, jsm }) => {
      await jsm.streams.add({ name: "P", subjects: ["p.*"] });
      for (const [subject, value] of [["p.a", "a1"], ["p.b", "b1"], ["p.a", "a2"], ["p.c", "c1"], ["p.b", "b2"]]) await js.publish(subject as string, value as string);
      const read = async (config: Parameters<typeof jsm.consumers.add>[1]): Promise<string[]> => {
        const info = await jsm.consumers.add("P", { ack_policy: AckPolicy.None, ...config });
        const consumer = await js.consumers.get("P", info.name);
        const out: string[] = [];
        if (info.num_pending === 0) return out;
        for await (const m of await consumer.fetch({ max_messages: info.num_pending, expires: 2_000 })) out.push(text(m.data));
        return out;
      };
      assert.deepEqual(await read({ deliver_policy: DeliverPolicy.All, filter_subject: "p.a" }), ["a1", "a2"]);
      assert.deepEqual(await read({ deliver_policy: DeliverPolicy.Last }), ["b2"]);
      assert.deepEqual(await read({ deliver_policy: DeliverPolicy.Last, filter_subject: "p.a" }), ["a2"]);
      assert.deepEqual(await read({ deliver_policy: DeliverPolicy.LastPerSubject, filter_subject: "p.*" }), ["a2", "c1", "b2"]);
      await assert.rejects(read({ deliver_policy: DeliverPolicy.LastPerSubject }), /filter subject is not set/);
      assert.deepEqual(await read({ deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: 4 }), ["c1", "b2"]);
      assert.deepEqual(await read({ deliver_policy: DeliverPolicy.New }), []);
      const start = new Date();
      await sleep(5);
      await js.publish("p.c", "c2");
      assert.deepEqual(await read({ deliver_policy: DeliverPolicy.StartTime, opt_start_time: start.toISOString() }), ["c2"]);
    }));

  test("a durable under an existing name with another config is refused on create; an unknown consumer is 10014", () =>
    withEmbedded(async ({ jsm }) => {
      await jsm.streams.add({ name: "D", subjects: ["d"] });
      await jsm.consumers.add("D", { durable_name: "c", ack_policy: AckPolicy.Explicit });
      await jsm.consumers.add("D", { durable_name: "c", ack_policy: AckPolicy.Explicit });
      const updated = await jsm.consumers.update("D", "c", { max_deliver: 7 });
      assert.equal(updated.config.max_deliver, 7);
      await assert.rejects(jsm.consumers.info("D", "nope"), (error: unknown) => error instanceof JetStreamApiError && error.code === 10014);
      const names: string[] = [];
      for await (const info of jsm.consumers.list("D")) names.push(info.name);
      assert.deepEqual(names, ["c"]);
      assert.equal(await jsm.consumers.delete("D", "c"), true);
    }));

  test("consume() keeps pulling: messages published later still arrive", () =>
    withEmbedded(async ({ js, jsm }) => {
      await jsm.streams.add({ name: "LIVE", subjects: ["live"] });
      await jsm.consumers.add("LIVE", { durable_name: "c", ack_policy: AckPolicy.Explicit });
      const consumer = await js.consumers.get("LIVE", "c");
      const messages = await consumer.consume({ max_messages: 10, expires: 1_000, idle_heartbeat: 500 });
      const seen: string[] = [];
      const done = (async () => {
        for await (const m of messages) {
          seen.push(text(m.data));
          m.ack();
          if (seen.length === 30) break;
        }
      })();
      for (let i = 0; i < 30; i++) {
        await js.publish("live", String(i));
        if (i % 10 === 0) await sleep(1_200); // across request expiries
      }
      await done;
      assert.deepEqual(seen, Array.from({ length: 30 }, (_, i) => String(i)));
    }));
});
