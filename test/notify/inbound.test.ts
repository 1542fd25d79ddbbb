import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import twilio from "twilio";
import { slackSignature, verifySlackSignature } from "../../src/notify/slack-signature.js";
import { parseSlackClick } from "../../src/notify/slack-actions.js";
import { parseSmsCommand } from "../../src/notify/sms-commands.js";
import { signWebhookBody, webhookPayload } from "../../src/notify/webhook-payload.js";
import { signSlackRequest, slackClickBody } from "../support/fake-slack.js";
import { inboundSmsParams, signTwilioRequest } from "../support/fake-twilio.js";

const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const NOW = 1_795_600_000_000;

describe("Slack request signatures", () => {
  const body = Buffer.from(slackClickBody({ userId: "U0ALICE", actionId: "klaxon_ack", value: '{"incident":"i-1","group":"g"}' }));
  const ts = String(NOW / 1_000);

  test("the test helper signs exactly as the verifier expects, and a valid request passes", () => {
    const headers = signSlackRequest(SECRET, body.toString(), NOW / 1_000);
    assert.equal(headers["x-slack-signature"], slackSignature(SECRET, ts, body));
    assert.deepEqual(verifySlackSignature(SECRET, { timestamp: ts, signature: headers["x-slack-signature"] }, body, NOW), { ok: true });
  });

  test("Slack's documented example verifies", () => {
    // From Slack's "Verifying requests from Slack" guide.
    const exampleBody = Buffer.from("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c");
    const signature = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
    assert.deepEqual(verifySlackSignature("8f742231b10e8888abcd99yyyzzz85a5", { timestamp: "1531420618", signature }, exampleBody, 1531420618_000 + 10_000), { ok: true });
  });

  test("forged, tampered, stale, future and missing signatures are refused with the reason", () => {
    const good = slackSignature(SECRET, ts, body);
    assert.deepEqual(verifySlackSignature("another-secret", { timestamp: ts, signature: slackSignature("another", ts, body) }, body, NOW), { ok: false, reason: "signature does not match" });
    assert.deepEqual(verifySlackSignature(SECRET, { timestamp: ts, signature: good }, Buffer.concat([body, Buffer.from("&x=1")]), NOW), { ok: false, reason: "signature does not match" });
    assert.deepEqual(verifySlackSignature(SECRET, { timestamp: ts, signature: good.slice(0, -2) }, body, NOW), { ok: false, reason: "signature does not match" });
    assert.match(String((verifySlackSignature(SECRET, { timestamp: ts, signature: good }, body, NOW + 5 * 60_000 + 1) as { reason: string }).reason), /more than 5 minutes/);
    assert.match(String((verifySlackSignature(SECRET, { timestamp: ts, signature: good }, body, NOW - 6 * 60_000) as { reason: string }).reason), /more than 5 minutes/);
    assert.match(String((verifySlackSignature(SECRET, { timestamp: undefined, signature: good }, body, NOW) as { reason: string }).reason), /missing/);
  });

  test("a click payload names the action, the Slack member and the incident; anything else is refused", () => {
    const parsed = parseSlackClick(slackClickBody({ userId: "U0ALICE", actionId: "klaxon_silence_1h", value: '{"incident":null,"group":"g1"}', responseUrl: "https://hooks.slack.com/actions/x" }));
    assert.deepEqual(parsed, { ok: true, click: { kind: "silence", slackUserId: "U0ALICE", incidentId: null, groupId: "g1", responseUrl: "https://hooks.slack.com/actions/x" } });
    assert.deepEqual(parseSlackClick("payload=%7B%7D"), { ok: false, reason: "not a block_actions payload from a Klaxon message" });
    assert.deepEqual(parseSlackClick(slackClickBody({ userId: "U1", actionId: "other_app_button", value: "x" })), { ok: false, reason: 'unknown action "other_app_button"' });
    assert.deepEqual(parseSlackClick(slackClickBody({ userId: "U1", actionId: "klaxon_ack", value: "not json" })), { ok: false, reason: "the button carries no Klaxon reference" });
  });
});

describe("Twilio request signatures", () => {
  test("the test helper signs as Twilio does: the SDK's validateRequest accepts it, and rejects any change", () => {
    const url = "https://klaxon.example.com/twilio/sms";
    const params = inboundSmsParams("+4915112345678", "+15005550006", "ACK 4821");
    const signature = signTwilioRequest("twilio-auth-token", url, params);
    assert.equal(twilio.validateRequest("twilio-auth-token", signature, url, params), true);
    assert.equal(twilio.validateRequest("twilio-auth-token", signature, url, { ...params, Body: "RES 4821" }), false);
    assert.equal(twilio.validateRequest("twilio-auth-token", signature, "https://klaxon.example.com/twilio/sms2", params), false);
    assert.equal(twilio.validateRequest("another-token", signature, url, params), false);
  });
});

describe("SMS replies", () => {
  test("ACK and RES with a code, in any case and a few spellings; anything else is unknown", () => {
    assert.deepEqual(parseSmsCommand("ACK 4821"), { action: "acknowledge", code: "4821" });
    assert.deepEqual(parseSmsCommand("  ack #4821. "), { action: "acknowledge", code: "4821" });
    assert.deepEqual(parseSmsCommand("Resolve 123456"), { action: "resolve", code: "123456" });
    assert.deepEqual(parseSmsCommand("RES4821"), { action: "resolve", code: "4821" });
    assert.equal(parseSmsCommand("ACK").action, "unknown");
    assert.equal(parseSmsCommand("ACK 12").action, "unknown");
    assert.equal(parseSmsCommand("yes please ack 4821").action, "unknown");
  });
});

describe("webhook payload", () => {
  test("is versioned, carries every alert, and its signature is HMAC-SHA256 of the exact body", () => {
    const payload = webhookPayload("n.g1-1.webhook", {
      receiver: "ops",
      status: "firing",
      reason: "first",
      groupId: "g1",
      groupLabels: { alertname: "db-down" },
      firing: [{ fingerprint: "f1", status: "firing", labels: { alertname: "db-down" }, annotations: { summary: "db-1 is down" }, startsAtMs: NOW }],
      resolved: [],
      muted: [],
      atMs: NOW,
    });
    assert.equal(payload.version, 1);
    assert.deepEqual(payload.alerts, [{ fingerprint: "f1", status: "firing", labels: { alertname: "db-down" }, annotations: { summary: "db-1 is down" }, startsAt: new Date(NOW).toISOString(), endsAt: null }]);
    assert.equal(payload.truncatedAlerts, 0, "a notification that lists every alert");
    const body = JSON.stringify(payload);
    assert.equal(signWebhookBody("s3cret", body), `sha256=${createHmac("sha256", "s3cret").update(body).digest("hex")}`);
  });

  test("truncatedAlerts counts the firing and resolved alerts the notification does not list", () => {
    const alert = (i: number, status: "firing" | "resolved") => ({ fingerprint: `f${i}`, status, labels: { alertname: "disk" }, annotations: {}, startsAtMs: NOW });
    const n = { receiver: "ops", status: "firing" as const, reason: "new_alerts", groupId: "g1", groupLabels: {}, muted: [], atMs: NOW };
    const payload = webhookPayload("n.g1-2.webhook", { ...n, firing: [alert(1, "firing"), alert(2, "firing")], resolved: [alert(3, "resolved")], firingCount: 250, resolvedCount: 11 });
    assert.equal(payload.alerts.length, 3);
    assert.equal(payload.truncatedAlerts, 248 + 10);
  });
});
