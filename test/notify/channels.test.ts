import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { createHmac } from "node:crypto";
import { SlackChannel } from "../../src/notify/channels/slack.js";
import { TemplateSet } from "../../src/notify/templates.js";
import { buildContext } from "../../src/notify/context.js";
import { EmailChannel } from "../../src/notify/channels/email.js";
import { SmsChannel } from "../../src/notify/channels/sms.js";
import { WebhookChannel } from "../../src/notify/channels/webhook.js";
import { ChannelNotConfiguredError } from "../../src/notify/errors.js";
import { FakeSlack } from "../support/fake-slack.js";
import { FakeTwilio } from "../support/fake-twilio.js";
import { failure } from "./delivery-failure.js";
import { SmtpSink } from "../support/smtp.js";

const message = { text: "[CRITICAL] db-down", blocks: [{ type: "section", text: { type: "mrkdwn", text: "*db-down*" } }], thread: "Acknowledged by alice" };

describe("Slack channel (the @slack/web-api client against a local Slack)", () => {
  let slack: FakeSlack;
  before(async () => {
    slack = await FakeSlack.start({ token: "xoxb-test-token" });
  });
  after(() => slack.close());

  test("a direct message opens the DM channel and posts there with the bot token; update rewrites it and replies in its thread", async () => {
    const channel = new SlackChannel({ apiUrl: slack.apiUrl, token: "xoxb-test-token", timeoutMs: 2_000 });
    const receipt = await channel.post("U0ALICE", message, "inc-1.r0l0.alice.slack");
    assert.equal(receipt.slack.channel, "D0ALICE");
    assert.deepEqual(slack.calls().map((c) => [c.method, c.token]), [["conversations.open", "xoxb-test-token"], ["chat.postMessage", "xoxb-test-token"]]);
    assert.deepEqual(slack.messages()[0]?.blocks, message.blocks);
    await channel.update(receipt.slack, { ...message, text: "Acknowledged" }, "inc-1.u-acknowledged.r0l0.alice.slack");
    assert.equal(slack.messages()[0]?.updates[0]?.text, "Acknowledged");
    assert.deepEqual(slack.threadReplies(receipt.slack).map((m) => m.text), ["Acknowledged by alice"]);
    const toChannel = await channel.post("#ops", message, "n.g1-1.slack");
    assert.equal(toChannel.slack.channel, "Cops");
  });

  test("429 is retryable with Retry-After, 5xx is retryable, a platform error such as channel_not_found is permanent", async () => {
    const channel = new SlackChannel({ apiUrl: slack.apiUrl, token: "xoxb-test-token", timeoutMs: 2_000 });
    slack.failNext(1, { status: 429, retryAfterSeconds: 7 });
    const limited = await failure(channel.post("#ops", message, "inc-1.r0l0.alice.slack"));
    assert.deepEqual([limited.retryable, limited.retryAfterMs, limited.message], [true, 7_000, "Slack chat.postMessage: rate limited, retry after 7 s"]);
    slack.failNext(1, { status: 503 });
    assert.deepEqual(await failure(channel.post("#ops", message, "inc-1.r0l0.alice.slack")).then((e) => [e.retryable, e.message]), [true, "Slack chat.postMessage: HTTP 503"]);
    const missing = await failure(channel.post("#nowhere", message, "inc-1.r0l0.alice.slack"));
    assert.deepEqual([missing.retryable, missing.message], [false, "Slack chat.postMessage: channel_not_found"]);
    const badToken = await failure(new SlackChannel({ apiUrl: slack.apiUrl, token: "xoxb-wrong", timeoutMs: 2_000 }).post("#ops", message, "inc-1.r0l0.alice.slack"));
    assert.deepEqual([badToken.retryable, badToken.message], [false, "Slack chat.postMessage: invalid_auth"]);
    const down = await failure(new SlackChannel({ apiUrl: "http://127.0.0.1:9/api/", token: "xoxb-test-token", timeoutMs: 2_000 }).post("#ops", message, "inc-1.r0l0.alice.slack"));
    assert.equal(down.retryable, true);
    assert.doesNotMatch(down.message, /xoxb/, "the token never appears in an error");
  });

  test("a group of 40 alerts, as the shipped templates render it, is posted: Slack would refuse the section unfitted", async () => {
    const { templates } = await TemplateSet.load("templates");
    const alerts = Array.from({ length: 40 }, (_, i) => ({
      fingerprint: `f${i}`,
      status: "firing" as const,
      labels: { alertname: "HighLatency", severity: "critical", source: `api-${i}.prod.example.com`, region: "eu-west-1" },
      annotations: { summary: `p99 latency on api-${i} is 2.3 s (threshold 1 s)` },
      startsAtMs: 0,
    }));
    const context = buildContext({ purpose: "firing", title: "HighLatency and 39 more", receiver: "ops", groupId: "g40", groupLabels: { alertname: "HighLatency" }, alerts, atMs: 0 });
    const rendered = (templates as TemplateSet).slack("firing", context);
    const channel = new SlackChannel({ apiUrl: slack.apiUrl, token: "xoxb-test-token", timeoutMs: 2_000 });
    const receipt = await channel.post("#ops", rendered, "n.g40-1.slack");
    const posted = slack.messages().find((m) => m.ts === receipt.slack.ts);
    const list = JSON.stringify(posted?.blocks);
    assert.match(list, /api-0\.prod/, "the first alerts are shown");
    assert.match(list, /cut here to fit Slack's limit/, "and the cut is said");
    // The same message with the section as the template wrote it: what Slack (and its stand-in) refuse.
    const unfitted = { ...rendered, blocks: rendered.blocks.map((b, i) => (i === 2 ? { type: "section", text: { type: "mrkdwn", text: "x".repeat(3_001) } } : b)) };
    const refused = await failure(channel.post("#ops", unfitted, "n.g40-1b.slack"));
    assert.deepEqual([refused.retryable, refused.message], [false, "Slack chat.postMessage: invalid_blocks"]);
  });

  test("without a bot token Slack is not configured: a permanent failure", async () => {
    const error = await failure(new SlackChannel({ apiUrl: slack.apiUrl, token: undefined, timeoutMs: 2_000 }).post("#ops", message, "inc-1.r0l0.alice.slack"));
    assert.ok(error instanceof ChannelNotConfiguredError);
    assert.equal(error.retryable, false);
  });
});

describe("e-mail channel (nodemailer against a real SMTP server)", () => {
  let smtp: SmtpSink;
  before(async () => {
    smtp = await SmtpSink.start({ user: "klaxon", password: "smtp-secret" });
  });
  after(() => smtp.close());

  const options = () => ({ host: "127.0.0.1", port: smtp.port, secure: false, from: "Klaxon <klaxon@example.com>", user: "klaxon", password: "smtp-secret", timeoutMs: 2_000 });

  test("sends HTML and text, with a Message-ID per delivery and one thread root per group", async () => {
    const channel = new EmailChannel(options());
    await channel.send({ to: ["alice@example.com"], deliveryId: "g1-1.r0l0.alice.email", threadKey: "g1", followUp: false }, { subject: "[Klaxon] db-down: db-1 is down", text: "db-1 is down", html: "<p>db-1 is <b>down</b></p>" });
    await channel.send({ to: ["alice@example.com"], deliveryId: "g1-1.u-resolved.r0l0.alice.email", threadKey: "g1", followUp: true }, { subject: "[Klaxon] db-down: db-1 is down", text: "resolved", html: "<p>resolved</p>" });
    await channel.send({ to: ["bob@example.com"], deliveryId: "g2-1.r0l0.bob.email", threadKey: "g2", followUp: false }, { subject: "[Klaxon] other", text: "other", html: "<p>other</p>" });
    const [first, second, other] = smtp.mails;
    assert.deepEqual(smtp.logins, ["klaxon", "klaxon", "klaxon"]);
    assert.deepEqual(first?.to, ["alice@example.com"]);
    assert.equal(first?.subject, "[Klaxon] db-down: db-1 is down");
    assert.equal(first?.text, "db-1 is down");
    assert.equal(first?.html, "<p>db-1 is <b>down</b></p>");
    assert.equal(first?.messageId, "<g1-1.r0l0.alice.email@example.com>");
    assert.equal(second?.subject, "Re: [Klaxon] db-down: db-1 is down");
    assert.equal(second?.inReplyTo, first?.inReplyTo);
    assert.equal(second?.references, first?.references);
    assert.match(first?.references ?? "", /^<group-[0-9a-f]{24}@example\.com>$/);
    assert.notEqual(other?.references, first?.references);
  });

  test("a server that is down is a retryable failure; wrong credentials are permanent", async () => {
    await smtp.down();
    try {
      const down = await failure(new EmailChannel(options()).send({ to: ["a@example.com"], deliveryId: "x", threadKey: "g", followUp: false }, { subject: "s", text: "t", html: "h" }));
      assert.equal(down.retryable, true);
      assert.match(down.message, /^SMTP (ESOCKET|ECONNECTION), to CONN$/);
    } finally {
      await smtp.up();
    }
    const denied = await failure(new EmailChannel({ ...options(), password: "wrong" }).send({ to: ["a@example.com"], deliveryId: "x", threadKey: "g", followUp: false }, { subject: "s", text: "t", html: "h" }));
    assert.equal(denied.retryable, false);
    assert.doesNotMatch(denied.message, /wrong|smtp-secret/);
  });
});

describe("SMS channel (the twilio SDK against a local Messages API)", () => {
  const accountSid = `AC${"0123456789abcdef".repeat(2)}`;
  let fake: FakeTwilio;
  before(async () => {
    fake = await FakeTwilio.start({ accountSid, authToken: "twilio-token" });
  });
  after(() => fake.close());
  const channel = (authToken = "twilio-token") => new SmsChannel({ apiUrl: fake.apiUrl, accountSid, authToken, from: "+15005550006", timeoutMs: 2_000 });

  test("posts To, From and Body with basic auth and returns the message sid", async () => {
    const receipt = await channel().send("+4915112345678", "CRITICAL: db-down - reply ACK 4821 to ack");
    assert.match(receipt.sms.sid, /^SM[0-9a-f]{32}$/);
    assert.deepEqual(fake.messages.map((m) => [m.to, m.from, m.body]), [["+4915112345678", "+15005550006", "CRITICAL: db-down - reply ACK 4821 to ack"]]);
  });

  test("Twilio errors are classified: 429 and 5xx retryable, an invalid number or bad credentials permanent", async () => {
    fake.failNext(1, { status: 429, code: 20429 });
    assert.deepEqual(await failure(channel().send("+4915112345678", "x")).then((e) => [e.retryable, e.message]), [true, "Twilio answered HTTP 429 (error 20429)"]);
    fake.failNext(1, { status: 503, code: 20500 });
    assert.equal((await failure(channel().send("+4915112345678", "x"))).retryable, true);
    assert.deepEqual(await failure(channel().send("+0000", "x")).then((e) => [e.retryable, e.message]), [false, "Twilio answered HTTP 400 (error 21211)"]);
    const denied = await failure(channel("wrong-token").send("+4915112345678", "x"));
    assert.deepEqual([denied.retryable, denied.message], [false, "Twilio answered HTTP 401 (error 20003)"]);
  });
});

describe("webhook channel", () => {
  const received: Array<{ headers: IncomingMessage["headers"]; body: string }> = [];
  let status = 200;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(status).end();
    });
  });
  let url = "";
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test("posts the JSON with its delivery id and a signature the receiver can check over the exact body", async () => {
    await new WebhookChannel("hook-secret", 2_000).post(url, "n.g1-1.webhook", { version: 1, hello: "world" });
    const [request] = received;
    assert.equal(request?.body, '{"version":1,"hello":"world"}');
    assert.equal(request?.headers["klaxon-delivery"], "n.g1-1.webhook");
    assert.equal(request?.headers["klaxon-signature"], `sha256=${createHmac("sha256", "hook-secret").update(request?.body ?? "").digest("hex")}`);
  });

  test("5xx is retryable and 4xx permanent", async () => {
    status = 502;
    assert.equal((await failure(new WebhookChannel(undefined, 2_000).post(url, "d", {}))).retryable, true);
    status = 410;
    assert.deepEqual(await failure(new WebhookChannel(undefined, 2_000).post(url, "d", {})).then((e) => [e.retryable, e.message]), [false, "webhook answered HTTP 410"]);
    assert.equal(received.at(-1)?.headers["klaxon-signature"], undefined, "no secret: unsigned");
  });
});
