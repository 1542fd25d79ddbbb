import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { client, eventually, metricEvent, publishEvent, readStream, startEngine, stopAllEngines, useNatsServer } from "../support/engine.js";
import { PHONES, startNotifyEnv, type NotifyEnv } from "../notify/notify-env.js";
import { KvEscalationStore } from "../../src/store/jetstream/escalation-store.js";
import type { Incident } from "../../src/escalate/incident.js";

describe("escalation: an engine that dies between deciding a step and paging it", () => {
  const nats = useNatsServer();
  let env: NotifyEnv | undefined;
  after(async () => {
    await stopAllEngines();
    await env?.close();
  });

  test("the next engine pages the decided level, each page once", async () => {
    env = await startNotifyEnv(nats.current.url);
    const { nc, js } = await client(nats.current.url);
    const first = await startEngine(env.config);
    await publishEvent(js, metricEvent("db-1", "db_up", 0, Date.now(), { labels: { team: "ops" } }));
    const store = await KvEscalationStore.open(nc, env.config.state.escalationBucket);
    const opened = await eventually("an incident", async () => (await store.listIncidents())[0]);
    await first.crash();

    // What a dead engine leaves when it died right after writing a new incident, before claiming any page of it.
    const planted: Incident = {
      ...opened,
      id: "planted-1",
      groupId: "planted-group",
      title: "planted incident: db-9 is down",
      steps: 0,
      pendingPages: [{ incidentId: "planted-1", round: 0, level: 0, atMs: Date.now(), targets: [{ user: "alice" }] }],
    };
    assert.equal(await store.createIncident(planted), true);

    await startEngine(env.config);
    const e = env;
    await eventually("alice paged about the planted incident on every channel", () =>
      e.slack.messages().some((m) => m.text.includes("planted incident")) && e.smtp.mails.some((m) => m.subject.includes("planted incident")) && e.twilio.messages.some((m) => m.body.includes("planted incident")) ? true : undefined,
    );
    await eventually("the level marked planned", async () => ((await store.getIncident("planted-1"))?.incident.pendingPages === undefined ? true : undefined));
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(e.slack.messages().filter((m) => m.text.includes("planted incident")).length, 1);
    assert.equal(e.smtp.mails.filter((m) => m.subject.includes("planted incident")).length, 1);
    assert.equal(e.twilio.messages.filter((m) => m.body.includes("planted incident")).length, 1);
    await nc.close();
  });

  test("a page claim that landed but whose reply was lost (NATS restarting) is still sent, once", async () => {
    env ??= await startNotifyEnv(nats.current.url);
    const e = env;
    await stopAllEngines(); // the test before leaves its engine running
    const { nc, js } = await client(nats.current.url);
    await startEngine(e.config);
    await publishEvent(js, metricEvent("db-2", "db_up", 0, Date.now(), { labels: { team: "ops" } }));
    const store = await KvEscalationStore.open(nc, e.config.state.escalationBucket);
    const opened = await eventually("db-2's incident", async () => (await store.listIncidents()).find((i) => i.title.includes("db-2")));
    const notification = await eventually("db-2's group notification", async () =>
      (await readStream(js, "KLAXON_NOTIFICATIONS")).find((m) => m.json<{ groupId: string }>().groupId === opened.groupId),
    );

    // An incident whose level the engine decided, and whose pages it claimed: each create landed on the server, and
    // the engine, its reply lost, believed nothing. Then the group's notification comes again (redelivered).
    const planted: Incident = { ...opened, id: "planted-2", groupId: "planted-group-2", title: "planted incident: db-8 is down", steps: 0, pendingPages: [{ incidentId: "planted-2", round: 0, level: 0, atMs: Date.now(), targets: [{ user: "alice" }] }] };
    assert.equal(await store.createIncident(planted), true);
    await store.setOpen("planted-group-2", "planted-2");
    for (const [channel, address] of [["slack", "U0ALICE"], ["email", "alice@example.com"], ["sms", PHONES.alice]] as const) {
      const intent = { id: `planted-2.r0l0.alice.${channel}`, incidentId: "planted-2", round: 0, level: 0, user: "alice", channel, address, dueAtMs: Date.now() };
      assert.equal(await store.claimPage(intent), "claimed");
    }
    const again = { ...notification.json<Record<string, unknown>>(), id: "planted-group-2:1", groupId: "planted-group-2" };
    await js.publish(notification.subject, JSON.stringify(again));

    await eventually("alice paged about the planted incident on every channel", () =>
      e.slack.messages().some((m) => m.text.includes("planted incident: db-8")) && e.smtp.mails.some((m) => m.subject.includes("planted incident: db-8")) && e.twilio.messages.some((m) => m.body.includes("planted incident: db-8")) ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(e.slack.messages().filter((m) => m.text.includes("planted incident: db-8")).length, 1);
    assert.equal(e.smtp.mails.filter((m) => m.subject.includes("planted incident: db-8")).length, 1);
    assert.equal(e.twilio.messages.filter((m) => m.body.includes("planted incident: db-8")).length, 1);
    await nc.close();
  });
});
