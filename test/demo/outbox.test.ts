import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Outbox, outboxRoute, type OutboxEntry, type OutboxSources } from "../../scripts/demo/outbox.js";
import type { SlackPostedMessage } from "../../test/support/fake-slack.js";
import type { TwilioMessage } from "../../test/support/fake-twilio.js";
import type { ReceivedMail } from "../../test/support/smtp.js";
import type { HttpRequestContext } from "../../src/http/server.js";

/** Records shaped as the stand-ins keep them, appended to by the test as a provider would receive them. */
function sources(): OutboxSources & { posted: SlackPostedMessage[]; mails: ReceivedMail[]; sms: TwilioMessage[] } {
  const posted: SlackPostedMessage[] = [];
  const mails: ReceivedMail[] = [];
  const sms: TwilioMessage[] = [];
  return {
    posted,
    mails,
    sms,
    slack: {
      messages: () => posted.filter((m) => m.threadTs === undefined),
      threadReplies: (ref) => posted.filter((m) => m.channel === ref.channel && m.threadTs === ref.ts),
    },
    smtp: { mails },
    twilio: { messages: sms },
  };
}

const mail = (to: string, subject: string, text: string): ReceivedMail => ({ from: "klaxon@example.com", to: [to], headers: {}, subject, messageId: "<m@example.com>", inReplyTo: undefined, references: undefined, text, html: "", raw: "" });
const contacts = new Map([
  ["U012ABCDEF", "alice"],
  ["alice@example.com", "alice"],
  ["+4915112345678", "alice"],
]);

describe("demo outbox", () => {
  test("lists Slack messages, their edits and thread replies, e-mails and SMS once each, in arrival order, naming the person", () => {
    const src = sources();
    let clock = 1_000;
    const outbox = new Outbox(src, contacts, () => clock);
    const heard: OutboxEntry[] = [];
    outbox.onEntry((entry) => heard.push(entry));

    const dm: SlackPostedMessage = { channel: "D012ABCDEF", ts: "1.1", text: "[ERROR] orders", blocks: [], updates: [] };
    src.posted.push(dm);
    src.mails.push(mail("alice@example.com", "[Klaxon] orders", "FIRING orders"));
    assert.deepEqual(
      outbox.collect().map((e) => [e.seq, e.atMs, e.channel, e.kind, e.to, e.person, e.text]),
      [
        [1, 1_000, "slack", "message", "D012ABCDEF", "alice", "[ERROR] orders"],
        [2, 1_000, "email", "message", "alice@example.com", "alice", "[Klaxon] orders"],
      ],
    );
    assert.deepEqual(outbox.collect(), [], "nothing new, nothing listed again");

    clock = 2_000;
    dm.updates.push({ text: "Acknowledged by bob", blocks: [] });
    src.posted.push({ channel: "D012ABCDEF", ts: "1.2", threadTs: "1.1", text: "acked via http", blocks: [], updates: [] });
    src.sms.push({ sid: "SM1", to: "+4915112345678", from: "+15005550006", body: "ACKED by bob", atMs: 1_500 });
    src.posted.push({ channel: "Cops-alerts", ts: "1.3", text: "group", blocks: [], updates: [] });
    assert.deepEqual(
      outbox.collect().map((e) => [e.seq, e.atMs, e.channel, e.kind, e.to, e.person]),
      [
        [3, 2_000, "slack", "update", "D012ABCDEF", "alice"],
        [4, 2_000, "slack", "reply", "D012ABCDEF", "alice"],
        [5, 2_000, "slack", "message", "Cops-alerts", undefined],
        [6, 1_500, "sms", "message", "+4915112345678", "alice"],
      ],
      "an SMS keeps the time Twilio received it; a channel that is nobody's names no person",
    );
    assert.equal(outbox.entries().length, 6);
    assert.deepEqual(heard.map((e) => e.seq), [1, 2, 3, 4, 5, 6], "each entry is announced once");
    assert.equal(outbox.entries()[1]?.body, "FIRING orders");
  });

  test("GET /api/v1/outbox needs a token and answers with everything received, including what arrived since the last look", async () => {
    const src = sources();
    const outbox = new Outbox(src, contacts, () => 5_000);
    const heard: OutboxEntry[] = [];
    outbox.onEntry((entry) => heard.push(entry));
    const route = outboxRoute(outbox);
    assert.equal(route.auth, "token");
    assert.ok(route.pattern.test("/api/v1/outbox"));
    assert.ok(!route.pattern.test("/api/v1/outbox/1"));

    src.sms.push({ sid: "SM1", to: "+4915112345678", from: "+15005550006", body: "ERROR: orders", atMs: 4_000 });
    const reply = await route.handle({ actor: "demo" } as HttpRequestContext);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers?.["cache-control"], "no-store");
    assert.deepEqual((reply.body as OutboxEntry[]).map((e) => e.text), ["ERROR: orders"]);
    assert.deepEqual(heard.map((e) => e.text), ["ERROR: orders"], "found by a request, still announced (printed as DELIVERED)");
  });
});
