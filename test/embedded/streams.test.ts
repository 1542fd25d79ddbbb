import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { headers as natsHeaders } from "@nats-io/transport-node";
import { DiscardPolicy, JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { withEmbedded, text } from "./support.js";

const SECOND_NS = 1_000_000_000;

async function apiCode(promise: Promise<unknown>): Promise<number> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof JetStreamApiError) return error.code;
    throw error;
  }
  assert.fail("expected a JetStream API error");
}

describe("embedded JetStream streams, through the v3 client", () => {
  test("create is idempotent; a different config under the same name, an unknown stream and overlapping subjects are refused", () =>
    withEmbedded(async ({ jsm }) => {
      await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
      await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
      assert.equal(await apiCode(jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"], max_msgs: 5 })), 10058);
      assert.equal(await apiCode(jsm.streams.add({ name: "OTHER", subjects: ["orders.eu.*"] })), 10065);
      assert.equal(await apiCode(jsm.streams.info("MISSING")), JetStreamApiCodes.StreamNotFound);
      const names: string[] = [];
      for await (const name of jsm.streams.names()) names.push(name);
      assert.deepEqual(names, ["ORDERS"]);
      assert.equal((await jsm.streams.update("ORDERS", { max_msgs: 5 })).config.max_msgs, 5);
      assert.equal(await jsm.streams.delete("ORDERS"), true);
      assert.equal((await jsm.getAccountInfo()).streams, 0);
    }));

  test("per-subject, message and age limits drop the oldest; discard new refuses instead", () =>
    withEmbedded(async ({ js, jsm }) => {
      await jsm.streams.add({ name: "KEEP", subjects: ["keep.>"], max_msgs_per_subject: 2, max_msgs: 5 });
      for (const subject of ["keep.a", "keep.a", "keep.a", "keep.b", "keep.c", "keep.c", "keep.d"]) await js.publish(subject, subject);
      const info = await jsm.streams.info("KEEP", { subjects_filter: ">" });
      assert.equal(info.state.messages, 5);
      assert.equal(info.state.last_seq, 7);
      assert.deepEqual(info.state.subjects, { "keep.a": 1, "keep.b": 1, "keep.c": 2, "keep.d": 1 });
      assert.equal(info.state.first_seq, 3);

      await jsm.streams.add({ name: "FULL", subjects: ["full"], max_msgs: 2, discard: DiscardPolicy.New });
      await js.publish("full", "1");
      await js.publish("full", "2");
      await assert.rejects(js.publish("full", "3"), /maximum messages exceeded/);

      await jsm.streams.add({ name: "AGED", subjects: ["aged"], max_age: SECOND_NS });
      await js.publish("aged", "old");
      for (let i = 0; i < 100 && (await jsm.streams.info("AGED")).state.messages > 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
      assert.equal((await jsm.streams.info("AGED")).state.messages, 0, "the message expired after max_age");
    }));

  test("Nats-Msg-Id within the duplicate window is stored once; expected stream, sequences and last id are checked", () =>
    withEmbedded(async ({ js, jsm }) => {
      await jsm.streams.add({ name: "PAY", subjects: ["pay.*"], duplicate_window: 60 * SECOND_NS });
      const first = await js.publish("pay.x", "1", { msgID: "m-1" });
      const again = await js.publish("pay.x", "1", { msgID: "m-1" });
      assert.equal(again.duplicate, true);
      assert.equal(again.seq, first.seq);
      assert.equal((await jsm.streams.info("PAY")).state.messages, 1);

      assert.equal(await apiCode(js.publish("pay.x", "2", { expect: { streamName: "OTHER" } })), 10060);
      assert.equal(await apiCode(js.publish("pay.x", "2", { expect: { lastSequence: 7 } })), JetStreamApiCodes.StreamWrongLastSequence);
      assert.equal((await js.publish("pay.x", "2", { expect: { lastSequence: 1 } })).seq, 2);
      assert.equal(await apiCode(js.publish("pay.y", "3", { expect: { lastSubjectSequence: 1 } })), JetStreamApiCodes.StreamWrongLastSequence);
      assert.equal((await js.publish("pay.y", "3", { expect: { lastSubjectSequence: 0 } })).seq, 3);
      await js.publish("pay.y", "4", { msgID: "m-4" });
      assert.equal(await apiCode(js.publish("pay.y", "5", { expect: { lastMsgID: "nope" } })), 10070);
      assert.equal((await js.publish("pay.y", "5", { expect: { lastMsgID: "m-4" } })).seq, 5);
    }));

  test("a roll-up keeps only the newest message of its subject; deny_delete and deny_purge hold", () =>
    withEmbedded(async ({ js, jsm }) => {
      await jsm.streams.add({ name: "ROLL", subjects: ["roll.*"], allow_rollup_hdrs: true });
      for (const subject of ["roll.a", "roll.a", "roll.b"]) await js.publish(subject, "v");
      const rollup = natsHeaders();
      rollup.set("Nats-Rollup", "sub");
      await js.publish("roll.a", "latest", { headers: rollup });
      const info = await jsm.streams.info("ROLL", { subjects_filter: ">" });
      assert.deepEqual(info.state.subjects, { "roll.a": 1, "roll.b": 1 });
      assert.equal(text((await jsm.streams.getMessage("ROLL", { last_by_subj: "roll.a" }))?.data ?? new Uint8Array()), "latest");

      await jsm.streams.add({ name: "AUDIT", subjects: ["audit.>"], deny_delete: true, deny_purge: true });
      await js.publish("audit.x", "record");
      await assert.rejects(jsm.streams.deleteMessage("AUDIT", 1), /message delete not permitted/);
      await assert.rejects(jsm.streams.purge("AUDIT"), /purge not permitted/);
      await assert.rejects(jsm.streams.update("AUDIT", { deny_delete: false }), /can not cancel deny message deletes/);
      assert.equal((await jsm.streams.info("AUDIT")).state.messages, 1);
    }));

  test("message reads: by sequence, last by subject, and none", () =>
    withEmbedded(async ({ js, jsm }) => {
      await jsm.streams.add({ name: "READ", subjects: ["read.*"] });
      const h = natsHeaders();
      h.set("X-Trace", "t-1");
      await js.publish("read.a", "één", { headers: h });
      await js.publish("read.b", "two");
      const bySeq = await jsm.streams.getMessage("READ", { seq: 1 });
      assert.equal(bySeq?.subject, "read.a");
      assert.equal(text(bySeq?.data ?? new Uint8Array()), "één");
      assert.equal(bySeq?.header.get("X-Trace"), "t-1");
      assert.equal((await jsm.streams.getMessage("READ", { last_by_subj: "read.b" }))?.seq, 2);
      assert.equal(await jsm.streams.getMessage("READ", { seq: 99 }), null);
      assert.equal((await jsm.streams.purge("READ", { filter: "read.a" })).purged, 1);
      assert.equal((await jsm.streams.info("READ")).state.messages, 1);
    }));
});
