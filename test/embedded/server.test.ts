import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { AckPolicy, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { EmbeddedNatsServer } from "../../src/store/embedded/index.js";
import { againstRealServer, withEmbedded, text } from "./support.js";

describe("embedded NATS server", () => {
  test("INFO advertises what the v3 client checks: headers, JetStream, version, payload limit", { skip: againstRealServer }, async () => {
    const server = await EmbeddedNatsServer.start();
    try {
      const nc = await connect({ servers: server.url });
      assert.equal(nc.info?.headers, true);
      assert.equal(nc.info?.jetstream, true);
      assert.equal(nc.info?.version, "2.9.10");
      assert.equal(nc.info?.proto, 1);
      assert.equal(nc.info?.max_payload, 1_048_576);
      assert.match(nc.info?.server_id ?? "", /^N[A-Z0-9]+$/);
      await nc.close();
    } finally {
      await server.stop();
    }
  });

  test("core publish/subscribe, request/reply, queue groups and a fast no-responders error", () =>
    withEmbedded(async ({ nc }) => {
      const got: string[] = [];
      nc.subscribe("greet.*", { callback: (_e, m) => void got.push(`${m.subject}:${m.string()}`) });
      nc.subscribe("svc", { queue: "workers", callback: (_e, m) => void m.respond(`one:${m.string()}`) });
      nc.subscribe("svc", { queue: "workers", callback: (_e, m) => void m.respond(`two:${m.string()}`) });
      await nc.flush();
      nc.publish("greet.world", "hallo wêreld");
      const reply = await nc.request("svc", "ping", { timeout: 2_000 });
      assert.match(reply.string(), /^(one|two):ping$/);
      await nc.flush();
      assert.deepEqual(got, ["greet.world:hallo wêreld"]);
      await assert.rejects(nc.request("nobody.home", "x", { timeout: 2_000 }), /no responders/);
    }));

  test("kill drops every client and stops listening; restart on the same port keeps streams, messages and consumers", () =>
    withEmbedded(async ({ server, nc, js, jsm }) => {
      await jsm.streams.add({ name: "KEEP", subjects: ["keep"] });
      await jsm.consumers.add("KEEP", { durable_name: "c", ack_policy: AckPolicy.Explicit });
      await js.publish("keep", "before the crash");
      await server.kill();
      await assert.rejects(connect({ servers: server.url, reconnect: false, timeout: 500 }));
      await server.restart();
      // The first client reconnects by itself.
      for (let attempt = 0; ; attempt++) {
        try {
          await nc.flush();
          break;
        } catch (error) {
          if (attempt > 50) throw error;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      }
      const other = await connect({ servers: server.url });
      try {
        const consumer = await jetstream(other).consumers.get("KEEP", "c");
        const m = await consumer.next({ expires: 2_000 });
        assert.equal(text(m?.data ?? new Uint8Array()), "before the crash");
        assert.equal((await (await jetstreamManager(other)).streams.info("KEEP")).state.messages, 1);
      } finally {
        await other.close();
      }
    }));
});
