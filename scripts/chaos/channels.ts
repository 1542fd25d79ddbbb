import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeSlack } from "../../test/support/fake-slack.js";
import { FakeTwilio } from "../../test/support/fake-twilio.js";
import { SmtpSink } from "../../test/support/smtp.js";
import type { Delivery } from "./tally.js";

const SLACK_TOKEN = "xoxb-chaos-token";
const TWILIO_SID = `AC${"c4a05".repeat(6)}cc`;
const TWILIO_TOKEN = "chaos-twilio-token";
/** The alert a message is about: the drill's sources are chaos-<n>; "chaos-hot" (the rule) never matches. */
const SOURCE = /\bchaos-(\d+)\b/;
/** Follow-ups (acknowledged, resolved, escalated) are not pages. */
const FOLLOW_UP = /^(Re:|RESOLVED|ACKED|ESCALATED)/;

export interface ChaosChannels {
  /** The `notify` config section pointing the replicas at these stand-ins. */
  notifyConfig: Record<string, unknown>;
  /** Every first page received so far, attributed to its alert (e-mails with their Message-ID). */
  deliveries(): Delivery[];
  /** Slack answers slowly, then with 429 + Retry-After and 5xx, for a while. */
  slackTrouble(forMs: number): void;
  /** SMTP stops accepting connections for a while. */
  smtpOutage(forMs: number): Promise<void>;
  stop(): Promise<void>;
}

/** Local Slack, Twilio and SMTP servers speaking the real protocols, recording what reaches them. */
export async function startChaosChannels(): Promise<ChaosChannels> {
  const [slack, twilio, smtp] = await Promise.all([FakeSlack.start({ token: SLACK_TOKEN }), FakeTwilio.start({ accountSid: TWILIO_SID, authToken: TWILIO_TOKEN }), SmtpSink.start()]);
  const secrets = await mkdtemp(join(tmpdir(), "klaxon-chaos-secrets-"));
  await writeFile(join(secrets, "slack"), SLACK_TOKEN);
  await writeFile(join(secrets, "twilio"), TWILIO_TOKEN);
  // SMTP keeps mail, not arrival times: note when each mail was first seen.
  const mailSeenAt = new Map<number, number>();
  const watch = setInterval(() => {
    for (let i = mailSeenAt.size; i < smtp.mails.length; i++) mailSeenAt.set(i, Date.now());
  }, 50);
  const troubleTimers: NodeJS.Timeout[] = [];
  return {
    notifyConfig: {
      slack: { apiUrl: slack.apiUrl, botTokenFile: join(secrets, "slack") },
      email: { host: "127.0.0.1", port: smtp.port, from: "Klaxon <klaxon@example.com>" },
      sms: { apiUrl: twilio.apiUrl, accountSid: TWILIO_SID, authTokenFile: join(secrets, "twilio"), from: "+15005550006" },
      // One person receives every page of the run: real per-destination rate limits would stretch it to an hour.
      rateLimits: { slackPerChannelMs: 0, smsPerRecipientMs: 0, emailPerRecipientMs: 0 },
      retry: { baseMs: 200, maxMs: 2_000, maxAttempts: 50 },
      deliveryLeaseMs: 4_000,
      requestTimeoutMs: 3_000,
    },
    deliveries(): Delivery[] {
      const out: Delivery[] = [];
      for (const call of slack.calls("chat.postMessage")) {
        if (call.status !== 200 || call.params.thread_ts !== undefined) continue;
        const text = String(call.params.text ?? "");
        const source = SOURCE.exec(text)?.[0];
        if (source && !FOLLOW_UP.test(text)) out.push({ channel: "slack", source, atMs: call.atMs });
      }
      smtp.mails.forEach((mail, i) => {
        const source = SOURCE.exec(mail.subject)?.[0];
        // A mail sent again after a crash keeps its Message-ID: the person's mail client shows it once.
        if (source && !FOLLOW_UP.test(mail.subject)) out.push({ channel: "email", source, atMs: mailSeenAt.get(i) ?? Date.now(), ...(mail.messageId ? { copyKey: mail.messageId } : {}) });
      });
      for (const sms of twilio.messages) {
        const source = SOURCE.exec(sms.body)?.[0];
        if (source && !FOLLOW_UP.test(sms.body)) out.push({ channel: "sms", source, atMs: sms.atMs });
      }
      return out;
    },
    slackTrouble(forMs: number): void {
      slack.delayNext(40, 1_500);
      slack.failNext(15, { status: 429, retryAfterSeconds: 1 });
      slack.failNext(15, { status: 503 });
      troubleTimers.push(setTimeout(() => slack.failNext(0, { status: 503 }), forMs));
    },
    async smtpOutage(forMs: number): Promise<void> {
      await smtp.down();
      troubleTimers.push(setTimeout(() => void smtp.up(), forMs));
    },
    async stop(): Promise<void> {
      clearInterval(watch);
      for (const timer of troubleTimers) clearTimeout(timer);
      await Promise.all([slack.close(), twilio.close(), smtp.close()]);
    },
  };
}
