import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { Kvm, type KvEntry } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import { withEmbedded, text } from "./support.js";

const wrongLastSequence = (error: unknown): boolean => error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamWrongLastSequence;

describe("embedded KV and object store, through the v3 client", () => {
  test("create refuses an existing key; update needs the current revision; a deleted key can be created again", () =>
    withEmbedded(async ({ js }) => {
      const kv = await new Kvm(js).create("locks", { history: 3 });
      const first = await kv.create("lease", "engine-a");
      await assert.rejects(kv.create("lease", "engine-b"), wrongLastSequence);
      const second = await kv.update("lease", "engine-a again", first);
      await assert.rejects(kv.update("lease", "engine-b", first), wrongLastSequence, "a stale revision loses");
      assert.equal(text((await kv.get("lease"))?.value ?? new Uint8Array()), "engine-a again");
      assert.equal((await kv.get("lease"))?.revision, second);
      await kv.delete("lease");
      assert.equal((await kv.get("lease"))?.operation, "DEL");
      await kv.create("lease", "engine-b");
      assert.equal(text((await kv.get("lease"))?.value ?? new Uint8Array()), "engine-b");
      assert.equal(await kv.get("missing"), null);
    }));

  test("keys, history, purge and a watch that sees current values and then updates", () =>
    withEmbedded(async ({ js }) => {
      const kv = await new Kvm(js).create("state", { history: 5 });
      await kv.put("a.1", "x");
      await kv.put("a.1", "y");
      await kv.put("b.2", "z");
      const keys: string[] = [];
      for await (const key of await kv.keys()) keys.push(key);
      assert.deepEqual(keys.sort(), ["a.1", "b.2"]);
      const history: string[] = [];
      for await (const entry of await kv.history({ key: "a.1" })) history.push(text(entry.value));
      assert.deepEqual(history, ["x", "y"]);
      await kv.purge("b.2");
      const after: string[] = [];
      for await (const key of await kv.keys()) after.push(key);
      assert.deepEqual(after, ["a.1"]);

      const watch = await kv.watch({ key: "a.>" });
      const seen: KvEntry[] = [];
      const watched = (async () => {
        for await (const entry of watch) {
          seen.push(entry);
          if (seen.length === 2) break;
        }
      })();
      await kv.put("a.2", "new");
      await watched;
      assert.deepEqual(seen.map((e) => [e.key, text(e.value)]), [["a.1", "y"], ["a.2", "new"]]);
    }));

  test("an object of several chunks (multibyte content) comes back byte for byte, with its digest checked", () =>
    withEmbedded(async ({ js }) => {
      const os = await new Objm(js).create("snapshots");
      const chunk = Buffer.from("état ☃ évaluation ", "utf8");
      const data = Buffer.alloc(700_000);
      for (let offset = 0; offset < data.length; offset += chunk.length) chunk.copy(data, offset);
      const info = await os.putBlob({ name: "state.json" }, data);
      assert.equal(info.size, data.length);
      assert.ok(info.chunks > 1, `several chunks, got ${info.chunks}`);
      const back = await os.getBlob("state.json");
      assert.ok(back !== null && Buffer.from(back).equals(data));
      await os.putBlob({ name: "state.json" }, Buffer.from("small"));
      assert.equal(text((await os.getBlob("state.json")) ?? new Uint8Array()), "small", "a new version replaces the old");
      assert.equal((await os.info("state.json"))?.chunks, 1);
    }));
});
