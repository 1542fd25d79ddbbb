import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { client, eventually, metricEvent, publishEvent, readStream, startEngine, useNatsServer } from "../support/engine.js";
import { FakeClock } from "../../src/core/clock.js";
import type { Engine } from "../../src/app/engine.js";
import type { Incident } from "../../src/escalate/incident.js";
import { signSlackRequest, slackClickBody, type SlackCall } from "../support/fake-slack.js";
import { inboundSmsParams, signTwilioRequest } from "../support/fake-twilio.js";
import { PHONES, PUBLIC_SMS_URL, SECRETS, SMS_FROM, startNotifyEnv, type NotifyEnv } from "./notify-env.js";
import { auditRecords } from "../support/audit-records.js";

type Audit = { action: string; actor: string; subject?: string; details: Record<string, unknown> };

describe("notify stage on a real nats-server, with local Slack, Twilio, SMTP and webhook servers", () => {
  const nats = useNatsServer();
  let env: NotifyEnv;
  let engine: Engine;
  let js: Awaited<ReturnType<typeof client>>["js"];
  let closeClient: () => Promise<void>;
  const clock = new FakeClock(Date.now());

  before(async () => {
    env = await startNotifyEnv(nats.current.url);
    engine = await startEngine(env.config, clock);
    const c = await client(nats.current.url);
    js = c.js;
    closeClient = () => c.nc.close();
  });
  after(async () => {
    await closeClient?.();
    await env?.close();
  });

  const audit = async (): Promise<Audit[]> => auditRecords<Audit>(js);
  const incidents = (): Promise<Incident[]> => engine.incidents.list();
  const incidentOf = async (source: string): Promise<Incident> =>
    eventually(`the incident for ${source}`, async () => (await incidents()).find((i) => i.title.includes(`${source} is down`)));
  const fire = (source: string, team: string): Promise<number> => publishEvent(js, metricEvent(source, "db_up", 0, clock.now(), { labels: { team } }));
  /** Wait until the notify stage has settled (acknowledged) every page and notification up to `pagesSeq`. */
  const settled = (pagesSeq = 0): Promise<boolean> =>
    eventually(
      "the notify stage to settle every message",
      async () => {
        const jsm = await js.jetstreamManager();
        const pages = await jsm.consumers.info("KLAXON_PAGES", "klaxon-notify");
        const groups = await jsm.consumers.info("KLAXON_NOTIFICATIONS", "klaxon-notify");
        const done = [pages, groups].every((info) => info.num_pending === 0 && info.num_ack_pending === 0) && pages.ack_floor.stream_seq >= pagesSeq;
        return done ? true : undefined;
      },
      30_000,
    );
  const http = (path: string, init: RequestInit): Promise<Response> => fetch(`http://127.0.0.1:${engine.httpPort}${path}`, init);
  const click = (body: string, headers: Record<string, string>): Promise<Response> => http("/slack/interactivity", { method: "POST", headers, body });
  const sms = (params: Record<string, string>, signature = signTwilioRequest(SECRETS.twilioToken, PUBLIC_SMS_URL, params)): Promise<Response> =>
    http("/twilio/sms", { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", "x-twilio-signature": signature }, body: new URLSearchParams(params).toString() });

  test("a page reaches Slack, e-mail and SMS, and the receiver's own Slack channel, e-mail list and signed webhook get the group", async () => {
    await fire("db-1", "ops");
    const incident = await incidentOf("db-1");
    const dm = await eventually("alice's Slack DM", () => env.slack.messages().find((m) => m.channel === "D0ALICE"));
    assert.match(dm.text, /\[CRITICAL\] db-down: db-1 is down/);
    const buttons = JSON.stringify(dm.blocks);
    assert.match(buttons, /klaxon_ack/);
    assert.match(buttons, new RegExp(incident.id));
    const mail = await eventually("alice's e-mail", () => env.smtp.mails.find((m) => m.to.includes("alice@example.com")));
    assert.equal(mail.subject, "[Klaxon] db-down: db-1 is down");
    assert.match(mail.text, /Alice|alice, you are being paged/);
    assert.match(mail.html, /<table/);
    assert.equal(mail.messageId, `<${incident.id}.r0l0.alice.email@example.com>`);
    const text = await eventually("alice's SMS", () => env.twilio.messages.find((m) => m.to === PHONES.alice));
    assert.equal(text.from, SMS_FROM);
    const code = /reply ACK (\d{4}) to ack/.exec(text.body)?.[1];
    assert.ok(code, text.body);
    assert.ok(text.body.length <= 160);

    const channelMessage = await eventually("the #ops-alerts message", () => env.slack.messages().find((m) => m.channel === "Cops-alerts"));
    assert.match(JSON.stringify(channelMessage.blocks), /klaxon_silence_1h/);
    const listMail = await eventually("the ops list e-mail", () => env.smtp.mails.find((m) => m.to.includes("ops-list@example.com")));
    assert.equal(listMail.references, mail.references, "the list's mail and alice's page thread together: same group");
    const hook = await eventually("the webhook", () => env.webhook.requests[0]);
    assert.equal(hook.headers["klaxon-signature"], `sha256=${createHmac("sha256", SECRETS.webhookSecret).update(hook.body).digest("hex")}`);
    const payload = JSON.parse(hook.body) as { version: number; receiver: string; status: string; alerts: Array<{ labels: Record<string, string> }> };
    assert.deepEqual([payload.version, payload.receiver, payload.status, payload.alerts[0]?.labels.source], [1, "ops", "firing", "db-1"]);

    const sent = (await eventually("every delivery audited", async () => {
      const records = (await audit()).filter((r) => r.action === "notify.sent");
      return records.length >= 6 ? records : undefined;
    })).map((r) => r.details.channel).sort();
    assert.deepEqual(sent, ["email", "email", "slack", "slack", "sms", "webhook"]);
    const metrics = await (await http("/metrics", {})).text();
    assert.match(metrics, /klaxon_notifications_total\{channel="sms",outcome="sent"\} 1/);
    assert.doesNotMatch(JSON.stringify(await audit()), new RegExp(Object.values(SECRETS).join("|")), "no secret reaches the audit trail");
  });
  test("forged, stale and replayed Slack clicks are refused with 401 and change nothing; a signed click acknowledges as that user and every message is updated", async () => {
    const incident = await incidentOf("db-1");
    const value = JSON.stringify({ incident: incident.id, group: incident.groupId });
    const nowSeconds = Math.floor(clock.now() / 1_000);
    const resolveBody = slackClickBody({ userId: "U0ALICE", actionId: "klaxon_resolve", value });
    const forged = await click(resolveBody, signSlackRequest("not-the-signing-secret", resolveBody, nowSeconds));
    assert.equal(forged.status, 401);
    assert.match(((await forged.json()) as { error: string }).error, /signature does not match/);
    const stale = await click(resolveBody, signSlackRequest(SECRETS.slackSigningSecret, resolveBody, nowSeconds - 6 * 60));
    assert.equal(stale.status, 401);
    assert.match(((await stale.json()) as { error: string }).error, /more than 5 minutes/);
    const tampered = signSlackRequest(SECRETS.slackSigningSecret, resolveBody, nowSeconds);
    assert.equal((await click(resolveBody.replace("klaxon_resolve", "klaxon_ack"), tampered)).status, 401, "a signature covers the exact body");
    const stranger = slackClickBody({ userId: "U0NOBODY", actionId: "klaxon_ack", value, responseUrl: env.slack.responseUrl() });
    const strangerAnswer = await click(stranger, signSlackRequest(SECRETS.slackSigningSecret, stranger, nowSeconds));
    assert.equal(strangerAnswer.status, 200);
    assert.match(((await strangerAnswer.json()) as { text: string }).text, /Klaxon does not know Slack member U0NOBODY.*Nothing was changed/);
    assert.match(String(env.slack.responses.at(-1)?.text), /does not know Slack member U0NOBODY/);
    assert.equal((await incidentOf("db-1")).state, "triggered", "nothing changed");

    const ackBody = slackClickBody({ userId: "U0ALICE", actionId: "klaxon_ack", value, responseUrl: env.slack.responseUrl() });
    const signed = signSlackRequest(SECRETS.slackSigningSecret, ackBody, nowSeconds);
    const ack = await click(ackBody, signed);
    assert.equal(ack.status, 200);
    assert.match(((await ack.json()) as { text: string }).text, /^Acknowledged by alice/);
    assert.equal(env.slack.responses.at(-1)?.response_type, "ephemeral");
    const acked = await incidentOf("db-1");
    assert.deepEqual([acked.state, acked.acknowledgedBy, acked.acknowledgedVia], ["acknowledged", "alice", "slack"]);
    const replay = await click(ackBody, signed);
    assert.equal(replay.status, 401, "the same signed request twice is a replay");
    assert.match(((await replay.json()) as { error: string }).error, /replay/);

    const dm = env.slack.messages().find((m) => m.channel === "D0ALICE");
    const updated = await eventually("alice's DM rewritten with chat.update", () => (dm?.updates.length ? dm.updates.at(-1) : undefined));
    assert.match(updated.text, /^Acknowledged by alice/);
    assert.doesNotMatch(JSON.stringify(updated.blocks), /klaxon_ack/, "no Acknowledge button any more");
    assert.match(JSON.stringify(updated.blocks), /klaxon_resolve/);
    // chat.update and the thread reply are two calls: the reply lands a moment after the rewrite.
    const replies = await eventually("the thread reply under alice's DM", () => {
      const texts = env.slack.threadReplies(dm as { channel: string; ts: string }).map((m) => m.text.replace(/ at .*/, ""));
      return texts.length > 0 ? texts : undefined;
    });
    assert.deepEqual(replies, [":eyes: Acknowledged by alice via slack"]);
    const channelMessage = env.slack.messages().find((m) => m.channel === "Cops-alerts");
    await eventually("the #ops-alerts message rewritten too", () => (channelMessage?.updates.some((u) => u.text.startsWith("Acknowledged by alice")) ? true : undefined));
    const followUp = await eventually("alice's e-mail follow-up", () => env.smtp.mails.find((m) => m.to.includes("alice@example.com") && m.subject.startsWith("Re: ")));
    const firstMail = env.smtp.mails.find((m) => m.to.includes("alice@example.com"));
    assert.equal(followUp.references, firstMail?.references, "threaded with the page");
    assert.match(followUp.text, /Acknowledged by alice via slack/);
    await eventually("alice's SMS follow-up", () => env.twilio.messages.find((m) => m.to === PHONES.alice && m.body.startsWith("ACKED by alice")));
    const records = (await audit()).filter((r) => r.subject === incident.id).map((r) => `${r.action}${r.action === "incident.acknowledged" ? ` ${r.actor} ${String(r.details.via)}` : ""}`);
    assert.ok(records.includes("incident.acknowledged alice slack"));
    assert.equal((await audit()).filter((r) => r.action === "incident.resolved" && r.subject === incident.id).length, 0, "the refused resolve clicks changed nothing");
  });

  test("SMS ACK <code> acknowledges; unknown numbers, unknown codes and bad signatures get a clear reply and change nothing", async () => {
    await fire("db-2", "ops");
    const incident = await incidentOf("db-2");
    const page = await eventually("the SMS page for db-2", () => env.twilio.messages.find((m) => m.body.includes("db-2 is down") && /reply ACK \d{4}/.test(m.body)));
    const code = /reply ACK (\d{4})/.exec(page.body)?.[1] as string;
    const twiml = async (response: Response): Promise<string> => {
      assert.equal(response.status, 200);
      assert.match(response.headers.get("content-type") ?? "", /text\/xml/);
      return response.text();
    };
    assert.equal((await sms(inboundSmsParams(PHONES.alice, SMS_FROM, `ACK ${code}`), "forged")).status, 401);
    assert.match(await twiml(await sms(inboundSmsParams("+15550000000", SMS_FROM, `ACK ${code}`))), /<Message>Klaxon: this number is not in Klaxon's users file, so nothing was changed\.<\/Message>/);
    const unknownCode = code === "9999" ? "9998" : "9999";
    assert.match(await twiml(await sms(inboundSmsParams(PHONES.alice, SMS_FROM, `ACK ${unknownCode}`))), new RegExp(`no open incident has code ${unknownCode}\\. Nothing was changed`));
    assert.match(await twiml(await sms(inboundSmsParams(PHONES.alice, SMS_FROM, "what is going on?"))), /reply ACK &lt;code&gt; to acknowledge/);
    assert.equal((await incidentOf("db-2")).state, "triggered", "nothing changed");

    assert.match(await twiml(await sms(inboundSmsParams(PHONES.alice, SMS_FROM, `ack ${code}`))), new RegExp(`Klaxon: acknowledged ${code} \\(db-down: db-2 is down\\)`));
    const acked = await incidentOf("db-2");
    assert.deepEqual([acked.state, acked.acknowledgedBy, acked.acknowledgedVia], ["acknowledged", "alice", "sms"]);
    assert.match(await twiml(await sms(inboundSmsParams(PHONES.alice, SMS_FROM, `RES ${code}`))), new RegExp(`Klaxon: resolved ${code}`));
    assert.equal((await incidentOf("db-2")).resolvedVia, "sms");
    assert.match(await twiml(await sms(inboundSmsParams(PHONES.alice, SMS_FROM, `RES ${code}`))), /nothing to do|no open incident/, "a resolved incident's code is done");
    assert.equal(incident.id, acked.id);
  });

  test("Slack answering 429 then 200: the page is delivered once, after the Retry-After delay, and the retry is counted in /metrics", async () => {
    await settled();
    const before = env.slack.calls().length;
    const scrape = async (): Promise<string> => (await http("/metrics", {})).text();
    // Counted from here: what earlier tests retried is theirs.
    const count = (metrics: string, series: RegExp): number => Number(metrics.match(series)?.[1] ?? 0);
    const RETRIES = /klaxon_notification_retries_total\{channel="slack"\} (\d+)/;
    const RETRY_OUTCOMES = /klaxon_notifications_total\{channel="slack",outcome="retry"\} (\d+)/;
    const metricsBefore = await scrape();
    env.slack.failNext(1, { status: 429, retryAfterSeconds: 1 }, "chat.postMessage");
    await fire("db-3", "chat");
    const dm = await eventually("carol's DM", () => env.slack.messages().find((m) => m.channel === "D0CAROL"), 15_000);
    const calls = env.slack.calls().slice(before);
    const posts = calls.filter((c) => c.method === "chat.postMessage" && c.params.channel === "D0CAROL");
    assert.deepEqual(posts.map((c) => c.status), [429, 200], "one rate-limited attempt, then one that went through");
    const [limited, retried] = [posts[0] as SlackCall, posts[1] as SlackCall];
    assert.ok(retried.atMs - limited.atMs >= 1_000, `the retry waited for Retry-After (${retried.atMs - limited.atMs} ms)`);
    assert.equal(env.slack.messages().filter((m) => m.channel === "D0CAROL").length, 1, "delivered once");
    assert.match(dm.text, /db-3 is down/);
    const metrics = await scrape();
    const counted = metrics.split("\n").filter((line) => line.startsWith("klaxon_notification")).join("\n");
    assert.equal(count(metrics, RETRIES) - count(metricsBefore, RETRIES), 1, counted);
    assert.equal(count(metrics, RETRY_OUTCOMES) - count(metricsBefore, RETRY_OUTCOMES), 1, counted);
    const retry = (await audit()).find((r) => r.action === "notify.retry");
    assert.equal(retry?.details.delayMs, 1_000);
    assert.match(String(retry?.details.error), /rate limited, retry after 1 s/);
  });

  test("SMTP down: the e-mail page is retried, then falls back to SMS, and every step is audited", async () => {
    await settled(); // earlier e-mails (follow-ups) must not meet the outage and blur the counts
    await env.smtp.down();
    try {
      await fire("db-4", "mail");
      const text = await eventually("dave's fallback SMS", () => env.twilio.messages.find((m) => m.to === PHONES.dave), 15_000);
      assert.match(text.body, /db-4 is down - reply ACK \d{4}/);
    } finally {
      await env.smtp.up();
    }
    const incident = await incidentOf("db-4");
    const steps = await eventually("the delivery's audit records", async () => {
      const records = (await audit()).filter((r) => r.subject === incident.id && r.action.startsWith("notify."));
      return records.some((r) => r.action === "notify.sent") ? records : undefined;
    });
    assert.deepEqual(
      steps.map((r) => `${r.action} ${String(r.details.channel ?? `${String(r.details.from)}->${String(r.details.to)}`)}`),
      ["notify.attempt email", "notify.retry email", "notify.attempt email", "notify.retry email", "notify.attempt email", "notify.failed email", "notify.fallback email->sms", "notify.attempt sms", "notify.sent sms"],
    );
    assert.equal(steps.find((r) => r.action === "notify.failed")?.details.why, "exhausted");
    assert.deepEqual(steps.find((r) => r.action === "notify.sent")?.details.fallbackFrom, ["email"]);
    assert.equal(env.smtp.mails.filter((m) => m.to.includes("dave@example.com")).length, 0);
    const metrics = await (await http("/metrics", {})).text();
    assert.match(metrics, /klaxon_notifications_total\{channel="email",outcome="fallback"\} 1/);
    assert.match(metrics, /klaxon_notification_retries_total\{channel="email"\} 2/);
  });

  test("when the group's alerts resolve, its channel message is rewritten with a thread reply and the webhook says resolved", async () => {
    await publishEvent(js, metricEvent("db-1", "db_up", 1, clock.now(), { labels: { team: "ops" } }));
    // The group's next flush waits for its groupInterval (1m). The alert stage must hold the resolve before the clock
    // gets there: a flush that finds nothing new sets the next one a groupInterval later, which this clock never reaches.
    const resolve = await eventually("db-1's resolve on the alerts stream", async () =>
      (await readStream(js, "KLAXON_ALERTS")).find((m) => {
        const alert = m.json<{ status: string; labels: Record<string, string> }>();
        return alert.status === "resolved" && alert.labels.source === "db-1";
      }),
    );
    const jsm = await js.jetstreamManager();
    await eventually("the alert stage's ack of the resolve", async () => ((await jsm.consumers.info("KLAXON_ALERTS", "klaxon-alerts")).ack_floor.stream_seq >= resolve.seq ? true : undefined));
    clock.advance(61_000);
    const resolvedHook = await eventually("the resolved webhook", () => env.webhook.requests.map((r) => JSON.parse(r.body) as { status: string; groupLabels: Record<string, string> }).find((p) => p.status === "resolved" && p.groupLabels.source === "db-1"));
    assert.equal(resolvedHook.status, "resolved");
    const channelMessage = env.slack.messages().find((m) => m.channel === "Cops-alerts" && m.text.includes("db-1"));
    assert.ok(channelMessage, "the group's #ops-alerts message");
    await eventually("the channel message shows the resolve", () => (channelMessage.updates.some((u) => u.text.startsWith("Resolved")) ? true : undefined));
    // chat.update and the thread reply are two calls: the reply lands a moment after the rewrite.
    await eventually("the thread reply announcing the resolve", () => (env.slack.threadReplies(channelMessage).some((r) => r.text.startsWith(":white_check_mark: Resolved")) ? true : undefined));
    assert.equal(env.slack.messages().filter((m) => m.channel === "Cops-alerts" && m.text.includes("db-1")).length, 1, "one message per group, updated in place");
  });

  test("a page delivered again after a crash is not sent twice; one a crash interrupted mid-send is sent once its lease expires", async () => {
    const pages = (await readStream(js, "KLAXON_PAGES")).filter((m) => m.subject === "klaxon.pages.slack");
    const carolsPage = pages.map((m) => ({ subject: m.subject, data: m.data, page: m.json<{ id: string; user: string }>() })).find((p) => p.page.user === "carol");
    assert.ok(carolsPage);
    await engine.crash();
    engine = await startEngine(env.config, clock);
    // JetStream hands a page over again when its ack was lost: the same page (same id) arrives once more.
    const again = await js.publish(carolsPage.subject, carolsPage.data, { msgID: `${carolsPage.page.id}:redelivered` });
    // An interrupted send: a record left "sending" by an engine that died before it could write "sent".
    const { Kvm } = await import("@nats-io/kv");
    const kv = await new Kvm(js).open("klaxon-notify");
    const record = JSON.parse(new TextDecoder().decode((await kv.get(`delivery.${carolsPage.page.id}`))?.value)) as Record<string, unknown>;
    assert.equal(record.status, "sent");
    const interruptedId = String(carolsPage.page.id).replace(".slack", ".slackcopy");
    await kv.put(`delivery.${interruptedId}`, JSON.stringify({ ...record, id: interruptedId, status: "sending", heartbeatAtMs: clock.now(), receipt: undefined }));
    await js.publish(carolsPage.subject, new TextEncoder().encode(JSON.stringify({ ...carolsPage.page, id: interruptedId })), { msgID: `${interruptedId}:first` });
    // Until the lease of the interrupted send is over, it is left alone: another engine might still be sending it.
    await eventually("the copy and the interrupted page are delivered to the notify stage", async () => {
      const info = await (await js.jetstreamManager()).consumers.info("KLAXON_PAGES", "klaxon-notify");
      return info.delivered.stream_seq >= again.seq + 1 ? true : undefined;
    });
    assert.equal(env.slack.messages().filter((m) => m.channel === "D0CAROL").length, 1, "nothing is sent while the lease is live");
    clock.advance(env.config.notify.deliveryLeaseMs + 1_000);
    await settled(again.seq + 1);
    assert.equal(env.slack.messages().filter((m) => m.channel === "D0CAROL").length, 2, "the interrupted page was sent once; the redelivered copy of the sent page was not sent again");
    const resumed = (await audit()).find((r) => r.action === "notify.resumed");
    assert.equal(resumed?.details.delivery, interruptedId);
    await engine.stop();
  });
});
