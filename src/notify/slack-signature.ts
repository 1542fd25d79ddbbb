import { createHmac, timingSafeEqual } from "node:crypto";

/** Slack's limit: a request signed more than five minutes ago (or ahead) is refused, so a captured one goes stale. */
export const SLACK_MAX_SKEW_MS = 5 * 60_000;

export type SlackSignatureCheck = { ok: true } | { ok: false; reason: string };

/** `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret: how Slack signs every request. */
export function slackSignature(secret: string, timestamp: string, body: string | Buffer): string {
  return `v0=${createHmac("sha256", secret).update(`v0:${timestamp}:`).update(body).digest("hex")}`;
}

/**
 * Verify a Slack request: the timestamp within five minutes of `nowMs`, and the signature equal (in constant time)
 * to the one computed over the exact body bytes. Replays inside the five minutes are caught by the caller, which
 * remembers signatures it has accepted.
 */
export function verifySlackSignature(secret: string, headers: { timestamp: string | undefined; signature: string | undefined }, body: Buffer, nowMs: number): SlackSignatureCheck {
  const { timestamp, signature } = headers;
  if (!timestamp || !signature) return { ok: false, reason: "missing X-Slack-Request-Timestamp or X-Slack-Signature" };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: "X-Slack-Request-Timestamp is not a Unix time" };
  if (Math.abs(nowMs - Number(timestamp) * 1_000) > SLACK_MAX_SKEW_MS) return { ok: false, reason: "request timestamp is more than 5 minutes from now" };
  const expected = Buffer.from(slackSignature(secret, timestamp, body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "signature does not match" };
  return { ok: true };
}
