import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { SlackChannel } from "../../src/notify/channels/slack.js";
import { SmsChannel } from "../../src/notify/channels/sms.js";
import { contentDigest } from "../../src/notify/content-digest.js";
import { FakeClock } from "../../src/core/clock.js";
import { FakeSlack } from "../support/fake-slack.js";
import { FakeTwilio } from "../support/fake-twilio.js";
import { failure } from "./delivery-failure.js";

const message = { text: "[CRITICAL] db-down", blocks: [], thread: "Acknowledged by alice" };

describe("Slack lookups: finding a delivery's message by its metadata (what a takeover asks)", () => {
  const clock = new FakeClock(Date.parse("2026-03-02T10:00:00Z"));
  let slack: FakeSlack;
  let channel: SlackChannel;
  before(async () => {
    slack = await FakeSlack.start({ token: "xoxb-test-token", now: () => clock.now() });
    channel = new SlackChannel({ apiUrl: slack.apiUrl, token: "xoxb-test-token", timeoutMs: 2_000 });
  });
  after(() => slack.close());

  test("a DM carries its delivery id as message metadata and is found by it through conversations.open and conversations.history", async () => {
    const startedAt = clock.now();
    const posted = await channel.post("U0ALICE", message, "inc-1.r0l0.alice.slack");
    assert.deepEqual(slack.messages().at(-1)?.metadata, { event_type: "klaxon_delivery", event_payload: { delivery: "inc-1.r0l0.alice.slack" } });
    clock.advance(5_000);
    await channel.post("U0ALICE", message, "inc-2.r0l0.alice.slack");

    assert.deepEqual(await channel.findPosted("U0ALICE", "inc-1.r0l0.alice.slack", startedAt - 60_000), posted.slack);
    assert.equal(await channel.findPosted("U0ALICE", "inc-3.r0l0.alice.slack", startedAt - 60_000), undefined, "another delivery's message is not ours");
    assert.equal(await channel.findPosted("U0ALICE", "inc-1.r0l0.alice.slack", startedAt + 1_000), undefined, "only messages after `oldest` are read");
    const history = slack.calls("conversations.history").at(-1);
    assert.deepEqual([history?.params.channel, history?.params.oldest, history?.params.include_all_metadata], ["D0ALICE", ((startedAt + 1_000) / 1_000).toFixed(6), "true"]);
  });

  test("a channel known by name is found through conversations.list, and the search reads page after page", async () => {
    const startedAt = clock.now();
    const ours = await channel.post("#ops", message, "n.g1-1.slack");
    for (let i = 0; i < 230; i++) await channel.post("#ops", message, `n.other-${i}.slack`);
    assert.deepEqual(await channel.findPosted("#ops", "n.g1-1.slack", startedAt - 60_000), ours.slack);
    assert.equal(slack.calls("conversations.list").length, 1);
    assert.ok(slack.calls("conversations.history").filter((c) => c.params.channel === "Cops").length >= 2, "newest first: ours is on the second page");
    await assert.rejects(channel.findPosted("#nobody-posts-here", "n.g1-1.slack", startedAt), /conversations.list: no channel named nobody-posts-here/);
  });

  test("an update's thread reply carries its delivery id and is found in the thread", async () => {
    const startedAt = clock.now();
    const posted = await channel.post("#ops", { ...message, thread: null }, "n.g2-1.slack");
    await channel.update(posted.slack, message, "inc-9.u-acknowledged.group-slack");
    assert.deepEqual(await channel.findReply(posted.slack, "inc-9.u-acknowledged.group-slack", startedAt - 60_000), { channel: posted.slack.channel, ts: slack.threadReplies(posted.slack)[0]?.ts });
    assert.equal(await channel.findReply(posted.slack, "inc-9.u-resolved.group-slack", startedAt - 60_000), undefined);
  });

  test("Slack failing a lookup is a DeliveryError that names the method", async () => {
    slack.failNext(1, { status: 503 }, "conversations.history");
    const error = await failure(channel.findPosted("U0ALICE", "inc-1.r0l0.alice.slack", 0));
    assert.equal(error.message, "Slack conversations.history: HTTP 503");
  });
});

describe("SMS lookups: finding a sent message in Twilio's message log by the digest of its body", () => {
  const sid = `AC${"0123456789abcdef".repeat(2)}`;
  const clock = new FakeClock(Date.parse("2026-03-02T10:00:00Z"));
  const phone = "+4915112345678";
  let twilio: FakeTwilio;
  let sms: SmsChannel;
  before(async () => {
    twilio = await FakeTwilio.start({ accountSid: sid, authToken: "twilio-token", now: () => clock.now() });
    sms = new SmsChannel({ apiUrl: twilio.apiUrl, accountSid: sid, authToken: "twilio-token", from: "+15005550006", timeoutMs: 2_000 });
  });
  after(() => twilio.close());

  test("finds the message across pages of the log (To, From and DateSent> filters), not one sent before `since`, not another body", async () => {
    const earlier = await sms.send(phone, "CRITICAL: db-1 is down - reply ACK 1111 to ack");
    clock.advance(10 * 60_000);
    const startedAt = clock.now();
    const ours = await sms.send(phone, "CRITICAL: db-2 is down - reply ACK 2222 to ack");
    for (let i = 0; i < 150; i++) await sms.send(phone, `CRITICAL: noise-${i} is down`);
    await sms.send("+12125550123", "CRITICAL: db-3 is down");

    assert.deepEqual(await sms.findSent(phone, contentDigest("CRITICAL: db-2 is down - reply ACK 2222 to ack"), startedAt - 60_000), ours.sms);
    const lists = twilio.requests.filter((r) => r.method === "GET");
    assert.ok(lists.length >= 2 && lists.every((r) => r.status === 200), "newest first: ours is on the second page");
    assert.equal(await sms.findSent(phone, contentDigest("CRITICAL: db-1 is down - reply ACK 1111 to ack"), startedAt - 60_000), undefined, "sent the same day but before `since`: Twilio's day filter lets it through, we do not");
    assert.equal(await sms.findSent(phone, contentDigest("CRITICAL: db-3 is down"), startedAt - 60_000), undefined, "sent to someone else");
    assert.equal(await sms.findSent(phone, contentDigest("CRITICAL: db-1 is down - reply ACK 1111 to ack"), startedAt - 20 * 60_000).then((m) => m?.sid), earlier.sms.sid);
  });

  test("Twilio failing the list is a DeliveryError", async () => {
    twilio.failNext(1, { status: 503, code: 20500 }, "list");
    const error = await failure(sms.findSent(phone, contentDigest("x"), clock.now()));
    assert.deepEqual([error.message, error.retryable], ["Twilio answered HTTP 503 (error 20500)", true]);
  });
});
