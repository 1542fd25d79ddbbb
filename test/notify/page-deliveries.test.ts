import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import type { Engine } from "../../src/app/engine.js";
import { NotifyStore, type DeliveryRecord } from "../../src/app/notify-store.js";
import type { Incident } from "../../src/escalate/incident.js";
import { KvEscalationStore } from "../../src/store/jetstream/escalation-store.js";
import { client, eventually, startEngine, useNatsServer } from "../support/engine.js";
import { startNotifyEnv, type NotifyEnv } from "./notify-env.js";

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("a page on a real nats-server never runs out of deliveries", () => {
  const nats = useNatsServer();
  let env: NotifyEnv;
  let engine: Engine;
  before(async () => {
    // A short lease and ack wait, so that a page waiting for another holder is nak'ed and redelivered every few seconds.
    env = await startNotifyEnv(nats.current.url, { consumer: { ackWaitMs: 2_000 }, notify: { deliveryLeaseMs: 1_000, requestTimeoutMs: 500 } });
    engine = await startEngine(env.config);
  });
  after(async () => {
    await engine?.stop();
    await env?.close();
  });

  test("held by a live replica for more than consumer.maxDeliver deliveries, the page is still sent once the holder stops", async () => {
    // With JetStream's max_deliver at consumer.maxDeliver (5), the server stopped delivering the page after its
    // fifth wait for the holder's lease, and nobody sent it.
    const { nc, js } = await client(nats.current.url);
    const now = Date.now();
    const incident: Incident = { id: "held-1", groupId: "g-held", receiver: "ops", title: "db-9 is down", alertFingerprints: [], policyId: "ops-policy", state: "triggered", openedAtMs: now, level: 0, round: 0, nextStepAtMs: now + 3_600_000, steps: 1 };
    assert.ok(await (await KvEscalationStore.open(nc, env.config.state.escalationBucket)).createIncident(incident));
    const pageId = "held-1.r0l0.alice.slack";
    // Another replica holds the delivery and keeps renewing it, as a live one does.
    const store = await NotifyStore.open(nc, env.config.notify.bucket, 60_000);
    let record: DeliveryRecord = { id: pageId, kind: "page", status: "sending", incidentId: "held-1", groupId: "g-held", user: "alice", channel: "slack", address: "U0ALICE", tried: [], startedAtMs: now, heartbeatAtMs: now };
    let revision = (await store.createDelivery(record)) as number;
    assert.ok(revision > 0);
    let holding = true;
    const holder = (async () => {
      while (holding) {
        record = { ...record, heartbeatAtMs: Date.now() };
        revision = (await store.updateDelivery(record, revision)) as number;
        await sleep(200);
      }
    })();
    const page = { id: pageId, incidentId: "held-1", round: 0, level: 0, user: "alice", channel: "slack", address: "U0ALICE", dueAtMs: now, title: "db-9 is down", receiver: "ops", groupId: "g-held", alertFingerprints: [] };
    const { seq } = await js.publish(`${env.config.subjects.pages}.slack`, JSON.stringify(page));

    // The only message on the pages stream: the consumer's delivery sequence counts its deliveries.
    const jsm = await js.jetstreamManager();
    const deliveriesOfPage = async (): Promise<number> => (await jsm.consumers.info(env.config.streams.pages, env.config.consumer.notifyDurable)).delivered.consumer_seq;
    assert.equal(seq, 1);
    await eventually("consumer.maxDeliver deliveries of the page", async () => ((await deliveriesOfPage()) >= env.config.consumer.maxDeliver ? true : undefined), 60_000);
    await sleep(4_000); // one more wait for the lease and nak at least
    assert.equal(env.slack.messages().filter((m) => m.channel === "D0ALICE").length, 0, "nothing sent while the holder lives");
    holding = false;
    await holder;

    const dm = await eventually("alice's Slack page once the holder stopped", () => env.slack.messages().find((m) => m.channel === "D0ALICE"), 30_000);
    assert.ok((await deliveriesOfPage()) > env.config.consumer.maxDeliver, `delivered ${await deliveriesOfPage()} times`);
    assert.match(dm.text, /db-9 is down/);
    await eventually("the delivery recorded as sent", async () => ((await store.getDelivery(pageId))?.value.status === "sent" ? true : undefined));
    assert.equal(env.slack.messages().filter((m) => m.channel === "D0ALICE").length, 1, "sent once");
    await nc.close();
  });
});
