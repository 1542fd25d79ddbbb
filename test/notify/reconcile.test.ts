import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { Kvm, type KV } from "@nats-io/kv";
import { client, eventually, metricEvent, publishEvent, readStream, startEngine, useNatsServer } from "../support/engine.js";
import { FakeClock } from "../../src/core/clock.js";
import type { Engine } from "../../src/app/engine.js";
import type { DeliveryRecord } from "../../src/app/notify-store.js";
import { SlackChannel } from "../../src/notify/channels/slack.js";
import { SmsChannel } from "../../src/notify/channels/sms.js";
import { contentDigest } from "../../src/notify/content-digest.js";
import { ACCOUNT_SID, PHONES, SECRETS, SMS_FROM, startNotifyEnv, type NotifyEnv } from "./notify-env.js";
import { auditRecords } from "../support/audit-records.js";

type Audit = { action: string; subject?: string; details: Record<string, unknown> };
type Page = { id: string; incidentId: string; groupId: string; user: string; channel: string; address: string; level: number; title: string };

/**
 * A replica that died mid-send leaves its delivery record `sending`. These tests play that replica: they write the
 * record it would have left and, where the story says it got that far, send through the real channel code what it
 * would have sent. The engine under test then finds the record stale and must ask Slack or Twilio before sending.
 */
describe("reconcile before re-send: a delivery taken over from a dead replica asks the provider first", () => {
  const nats = useNatsServer();
  const clock = new FakeClock(Date.now());
  let env: NotifyEnv;
  let engine: Engine;
  let js: Awaited<ReturnType<typeof client>>["js"];
  let closeClient: () => Promise<void>;
  let kv: KV;
  let deadSlack: SlackChannel;
  let deadSms: SmsChannel;

  before(async () => {
    env = await startNotifyEnv(nats.current.url, {}, { now: () => clock.now() });
    engine = await startEngine(env.config, clock);
    const c = await client(nats.current.url);
    js = c.js;
    closeClient = () => c.nc.close();
    kv = await new Kvm(js).open("klaxon-notify");
    deadSlack = new SlackChannel({ apiUrl: env.slack.apiUrl, token: SECRETS.slackToken, timeoutMs: 2_000 });
    deadSms = new SmsChannel({ apiUrl: env.twilio.apiUrl, accountSid: ACCOUNT_SID, authToken: SECRETS.twilioToken, from: SMS_FROM, timeoutMs: 2_000 });
  });
  after(async () => {
    await engine?.stop();
    await closeClient?.();
    await env?.close();
  });

  const audit = async (): Promise<Audit[]> => auditRecords<Audit>(js);
  const metrics = async (): Promise<string> => (await fetch(`http://127.0.0.1:${engine.httpPort}/metrics`)).text();
  const record = async (id: string): Promise<DeliveryRecord | undefined> => (await kv.get(`delivery.${id}`))?.json<DeliveryRecord>();
  /** Slack messages (top level or in a thread) that carry `deliveryId` in their metadata. */
  const slackMessagesOf = (deliveryId: string) => env.slack.calls("chat.postMessage").filter((c) => c.status === 200 && (c.params.metadata as { event_payload?: { delivery?: string } } | undefined)?.event_payload?.delivery === deliveryId);

  /** Fire an alert and wait until its page for `user` on `channel` has been delivered; returns that page. */
  async function pagedOn(source: string, team: string, user: string, channel: string): Promise<{ subject: string; page: Page }> {
    await publishEvent(js, metricEvent(source, "db_up", 0, clock.now(), { labels: { team } }));
    const found = await eventually(`${user}'s ${channel} page for ${source}`, async () => {
      const pages = (await readStream(js, "KLAXON_PAGES")).filter((m) => m.subject === `klaxon.pages.${channel}`).map((m) => ({ subject: m.subject, page: m.json<Page>() }));
      return pages.find((p) => p.page.user === user && p.page.title.includes(`${source} is down`));
    });
    await eventually(`${found.page.id} delivered`, async () => ((await record(found.page.id))?.status === "sent" ? true : undefined));
    return found;
  }

  /** The record a replica leaves when it dies after claiming a delivery: `sending`, lease just renewed. */
  async function leaveInterrupted(page: Page, extra: Partial<DeliveryRecord> = {}): Promise<void> {
    const now = clock.now();
    const interrupted: DeliveryRecord = { id: page.id, kind: "page", status: "sending", incidentId: page.incidentId, groupId: page.groupId, user: page.user, channel: page.channel as DeliveryRecord["channel"], address: page.address, tried: [], startedAtMs: now, heartbeatAtMs: now, ...extra };
    await kv.put(`delivery.${page.id}`, JSON.stringify(interrupted));
  }

  /** JetStream hands the page to the engine (the dead replica never acknowledged it); its lease runs out; it settles. */
  async function redeliverAfterLease(stream: string, subject: string, message: { id: string }): Promise<void> {
    const ack = await js.publish(subject, JSON.stringify(message), { msgID: `${message.id}:redelivered` });
    const jsm = await js.jetstreamManager();
    await eventually("the message reaches the notify stage", async () => ((await jsm.consumers.info(stream, "klaxon-notify")).delivered.stream_seq >= ack.seq ? true : undefined));
    clock.advance(env.config.notify.deliveryLeaseMs + 1_000);
    await eventually(
      "the notify stage to settle it",
      async () => {
        const info = await jsm.consumers.info(stream, "klaxon-notify");
        return info.num_ack_pending === 0 && info.ack_floor.stream_seq >= ack.seq ? true : undefined;
      },
      30_000,
    );
  }

  test("Slack: the dead replica's message is found by its metadata, the delivery is recorded sent and nothing is posted again", async () => {
    const { subject, page } = await pagedOn("db-21", "chat", "carol", "slack");
    const interrupted = { ...page, id: `${page.id}-t1` };
    const posted = await deadSlack.post("U0CAROL", { text: "CRITICAL db-down: db-21 is down", blocks: [], thread: null }, interrupted.id);
    await leaveInterrupted(interrupted);
    assert.equal(env.slack.calls("conversations.history").length, 0, "deliveries that were not taken over asked Slack nothing");

    await redeliverAfterLease("KLAXON_PAGES", subject, interrupted);
    assert.equal(slackMessagesOf(interrupted.id).length, 1, "only the dead replica's message: not posted again");
    const settled = await record(interrupted.id);
    assert.deepEqual([settled?.status, settled?.receipt?.slack], ["sent", posted.slack]);
    const reconciled = (await audit()).find((r) => r.action === "notify.reconciled" && r.details.delivery === interrupted.id);
    assert.deepEqual(reconciled?.details.found, { slack: posted.slack });
    assert.equal(reconciled?.subject, page.incidentId);
    assert.match(await metrics(), /klaxon_notification_reconcile_total\{channel="slack",outcome="found"\} 1/);
  });

  test("Slack: when the dead replica never got its message out, the page is sent once", async () => {
    const { subject, page } = await pagedOn("db-22", "chat", "carol", "slack");
    const interrupted = { ...page, id: `${page.id}-t2` };
    await leaveInterrupted(interrupted);

    await redeliverAfterLease("KLAXON_PAGES", subject, interrupted);
    const sent = slackMessagesOf(interrupted.id);
    assert.equal(sent.length, 1);
    assert.equal(sent[0]?.params.channel, "D0CAROL");
    assert.equal((await record(interrupted.id))?.status, "sent");
    const resumed = (await audit()).find((r) => r.action === "notify.resumed" && r.details.delivery === interrupted.id);
    assert.equal(resumed?.details.lookup, "not_found");
    assert.match(await metrics(), /klaxon_notification_reconcile_total\{channel="slack",outcome="not_found"\} 1/);
  });

  test("Slack: when the lookup itself fails, the page is sent again (a duplicate beats a lost page) and the failure is counted", async () => {
    const { subject, page } = await pagedOn("db-23", "chat", "carol", "slack");
    const interrupted = { ...page, id: `${page.id}-t3` };
    await deadSlack.post("U0CAROL", { text: "CRITICAL db-down: db-23 is down", blocks: [], thread: null }, interrupted.id);
    await leaveInterrupted(interrupted);
    env.slack.failNext(1, { status: 503 }, "conversations.history");

    await redeliverAfterLease("KLAXON_PAGES", subject, interrupted);
    assert.equal(slackMessagesOf(interrupted.id).length, 2, "the dead replica's message and the one sent again");
    const resumed = (await audit()).find((r) => r.action === "notify.resumed" && r.details.delivery === interrupted.id);
    assert.deepEqual([resumed?.details.lookup, resumed?.details.lookupError], ["failed", "Slack conversations.history: HTTP 503"]);
    assert.match(await metrics(), /klaxon_notification_reconcile_total\{channel="slack",outcome="failed"\} 1/);
  });

  /** What the engine renders for an escalated page to alice (level 1 of the incident, its reply code). */
  async function escalatedBody(source: string): Promise<string> {
    const first = await eventually(`alice's first SMS for ${source}`, () => env.twilio.messages.find((m) => m.to === PHONES.alice && m.body.includes(`${source} is down`)));
    const code = /reply ACK (\d+)/.exec(first.body)?.[1];
    return `ESCALATED L1 CRITICAL: db-down: ${source} is down - reply ACK ${code} to ack`;
  }

  test("SMS: the dead replica's text is found in Twilio's log by the digest it recorded, and not sent again", async () => {
    const { subject, page } = await pagedOn("db-24", "ops", "alice", "sms");
    // An escalation page of the same incident, so its text differs from the first page's.
    const interrupted = { ...page, id: `${page.id}-t4`, level: 1 };
    const body = await escalatedBody("db-24");
    const sent = await deadSms.send(PHONES.alice, body);
    await leaveInterrupted(interrupted, { contentDigest: contentDigest(body) });
    assert.equal(env.twilio.requests.filter((r) => r.method === "GET").length, 0, "deliveries that were not taken over read no message log");

    await redeliverAfterLease("KLAXON_PAGES", subject, interrupted);
    assert.equal(env.twilio.messages.filter((m) => m.body === body).length, 1, "only the dead replica's text");
    const settled = await record(interrupted.id);
    assert.deepEqual([settled?.status, settled?.receipt?.sms?.sid], ["sent", sent.sms.sid]);
    const reconciled = (await audit()).find((r) => r.action === "notify.reconciled" && r.details.delivery === interrupted.id);
    assert.deepEqual(reconciled?.details.found, { sms: sent.sms });
    assert.ok(env.twilio.requests.some((r) => r.method === "GET" && r.status === 200), "Twilio's message log was read");
    assert.match(await metrics(), /klaxon_notification_reconcile_total\{channel="sms",outcome="found"\} 1/);
  });

  test("SMS: a text that never reached Twilio is sent once, with the very body the dead replica recorded", async () => {
    const { subject, page } = await pagedOn("db-25", "ops", "alice", "sms");
    const interrupted = { ...page, id: `${page.id}-t5`, level: 1 };
    const body = await escalatedBody("db-25");
    await leaveInterrupted(interrupted, { contentDigest: contentDigest(body) });

    await redeliverAfterLease("KLAXON_PAGES", subject, interrupted);
    assert.deepEqual(env.twilio.messages.filter((m) => m.body.startsWith("ESCALATED") && m.body.includes("db-25")).map((m) => m.body), [body], "sent once; a re-render gives the same text");
    assert.equal((await record(interrupted.id))?.status, "sent");
    assert.match(await metrics(), /klaxon_notification_reconcile_total\{channel="sms",outcome="not_found"\} 1/);
  });

  test("SMS: when Twilio's log cannot be read, the text is sent again and the failure is counted", async () => {
    const { subject, page } = await pagedOn("db-26", "ops", "alice", "sms");
    const interrupted = { ...page, id: `${page.id}-t6`, level: 1 };
    const body = await escalatedBody("db-26");
    await deadSms.send(PHONES.alice, body);
    await leaveInterrupted(interrupted, { contentDigest: contentDigest(body) });
    env.twilio.failNext(1, { status: 503, code: 20500 }, "list");

    await redeliverAfterLease("KLAXON_PAGES", subject, interrupted);
    assert.equal(env.twilio.messages.filter((m) => m.body === body).length, 2);
    const resumed = (await audit()).find((r) => r.action === "notify.resumed" && r.details.delivery === interrupted.id);
    assert.deepEqual([resumed?.details.lookup, resumed?.details.lookupError], ["failed", "Twilio answered HTTP 503 (error 20500)"]);
    assert.match(await metrics(), /klaxon_notification_reconcile_total\{channel="sms",outcome="failed"\} 1/);
  });

  test("a delivery left half-done for an incident that is over by now is settled, not left sending: sent if it went out, skipped if not", async () => {
    const { subject, page } = await pagedOn("db-24", "chat", "carol", "slack");
    const wentOut = { ...page, id: `${page.id}-t5` };
    const never = { ...page, id: `${page.id}-t6` };
    const posted = await deadSlack.post("U0CAROL", { text: "CRITICAL db-down: db-24 is down", blocks: [], thread: null }, wentOut.id);
    await leaveInterrupted(wentOut);
    await leaveInterrupted(never);
    await engine.incidents.resolve(page.incidentId, "tester", "cli");

    await redeliverAfterLease("KLAXON_PAGES", subject, wentOut);
    await redeliverAfterLease("KLAXON_PAGES", subject, never);
    const settledOut = await record(wentOut.id);
    assert.deepEqual([settledOut?.status, settledOut?.receipt?.slack], ["sent", posted.slack], "found at Slack: recorded sent, so later updates edit it");
    assert.equal((await record(never.id))?.status, "skipped", "not at Slack: skipped, the incident being over");
    assert.equal(slackMessagesOf(wentOut.id).length, 1, "nothing posted again");
    assert.equal(slackMessagesOf(never.id).length, 0, "nothing posted for an incident that is over");
  });

  test("a group's first message in a receiver channel named #ops-alerts is found too, and remembered so the next notification edits it", async () => {
    await pagedOn("db-27", "ops", "alice", "slack");
    const notifications = (await readStream(js, "KLAXON_NOTIFICATIONS")).map((m) => ({ subject: m.subject, n: m.json<{ id: string; groupId: string; firing: Array<{ labels: Record<string, string> }> }>() }));
    const original = notifications.find((x) => x.n.firing.some((a) => a.labels.source === "db-27"));
    assert.ok(original);
    const notification = { ...original.n, id: `${original.n.id}-t7`, groupId: `${original.n.groupId}-t7` };
    const deliveryId = `n.${notification.id.replace(/[^A-Za-z0-9_-]/g, "-")}.slack`;
    const posted = await deadSlack.post("#ops-alerts", { text: "db-down: db-27 is down", blocks: [], thread: null }, deliveryId);
    const now = clock.now();
    const interrupted: DeliveryRecord = { id: deliveryId, kind: "group", status: "sending", groupId: notification.groupId, channel: "slack", address: "#ops-alerts", tried: [], startedAtMs: now, heartbeatAtMs: now };
    await kv.put(`delivery.${deliveryId}`, JSON.stringify(interrupted));

    await redeliverAfterLease("KLAXON_NOTIFICATIONS", original.subject, notification);
    assert.equal(slackMessagesOf(deliveryId).length, 1, "not posted again");
    assert.deepEqual((await kv.get(`slackgroup.${notification.groupId}`))?.json(), posted.slack);
    assert.equal((await record(deliveryId))?.status, "sent");
    assert.ok(env.slack.calls("conversations.list").length > 0, "the channel name was looked up: conversations.history takes ids");
  });
});
