import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { client, eventually, rulesDir, startEngine, testConfig, useNatsServer } from "../support/engine.js";
import { auditRecords } from "../support/audit-records.js";

describe("notify stage: redeliveries", () => {
  const nats = useNatsServer();

  test("a page message taken by a consumer that died before acknowledging it comes again, and the redelivery is audited", async () => {
    const config = testConfig(nats.current.url, await rulesDir([]));
    const { nc, js } = await client(nats.current.url);
    // The first start provisions the streams and consumers; then a dead holder's delivery: taken, never acknowledged.
    let engine = await startEngine(config);
    await engine.stop();
    const published = await js.publish("klaxon.pages.slack", JSON.stringify({ not: "a page" }));
    const taken = await (await js.consumers.get("KLAXON_PAGES", "klaxon-notify")).next({ expires: 2_000 });
    assert.equal(taken?.seq, published.seq, "the test took the message from the notify stage's consumer");
    engine = await startEngine(config);
    try {
      const record = await eventually(
        "the notify stage's redelivery audited",
        async () => (await auditRecords(js)).find((r) => r.action === "jetstream.redelivery" && (r.details as { consumer?: string }).consumer === "klaxon-notify"),
        20_000,
      );
      const { stream, redeliveries } = record.details as { stream: string; redeliveries: Array<{ sequence: number; deliveryCount: number }> };
      assert.equal(stream, "KLAXON_PAGES");
      assert.deepEqual(redeliveries.map((r) => [r.sequence, r.deliveryCount]), [[published.seq, 2]]);
    } finally {
      await engine.stop();
      await nc.close();
    }
  });
});
