import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Kvm } from "@nats-io/kv";
import { NotifyStore } from "../../src/app/notify-store.js";
import { useNatsWithClient } from "../support/engine.js";
import { losingReplies } from "../support/lost-reply.js";

describe("NotifyStore SMS reply codes on a real KV bucket", () => {
  const nats = useNatsWithClient();

  for (const [which, skipping] of [["the code's", 0], ["the incident's", 1]] as const) {
    test(`a reply code survives a lost reply on ${which} key: kept, and mapped both ways`, async () => {
      const store = await NotifyStore.open(nats.nc, `codes-${skipping}`, 60_000);
      const replies = losingReplies(store, "create");
      replies.loseNext(skipping);
      const code = await store.replyCodeFor("incident-7");
      assert.equal(replies.lost, 1, "a reply was lost");
      assert.equal(await store.replyCodeFor("incident-7"), code, "the incident keeps its code");
      const kv = await new Kvm(nats.nc).open(`codes-${skipping}`);
      assert.equal((await kv.get(`smscode.${code}`))?.string(), "incident-7", "the code still leads to the incident");
      const codes = [];
      for await (const key of await kv.keys("smscode.*")) codes.push(key);
      assert.deepEqual(codes, [`smscode.${code}`], "no code left behind");
    });
  }
});
