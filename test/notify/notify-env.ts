// Everything the notify stage talks to, on this machine: a Slack Web API, a Twilio Messages API, an SMTP server and a
// webhook receiver, plus a rules directory whose receivers page through them and a config pointing at all of it.
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Config, ConfigInput } from "../../src/config/index.js";
import { FakeSlack } from "../support/fake-slack.js";
import { FakeTwilio } from "../support/fake-twilio.js";
import { SmtpSink } from "../support/smtp.js";
import { rulesDir, testConfig } from "../support/engine.js";
import { dbDownRule, writeJson } from "../support/oncall-fixtures.js";

export const SECRETS = {
  slackToken: "xoxb-klaxon-test-token",
  slackSigningSecret: "slack-signing-secret-0123456789",
  smtpUser: "mailer-7f3e",
  smtpPassword: "smtp-password-0123",
  twilioToken: "twilio-auth-token-0123456789",
  webhookSecret: "webhook-secret-0123456789",
  apiToken: "ops-token-0123456789abcdef",
};
export const ACCOUNT_SID = `AC${"0123456789abcdef".repeat(2)}`;
export const SMS_FROM = "+15005550006";
export const PUBLIC_SMS_URL = "https://klaxon.example.com/twilio/sms";
export const PHONES = { alice: "+4915112345678", dave: "+919812345678", carol: "+12125550123" };

export class WebhookReceiver {
  readonly requests: Array<{ headers: IncomingMessage["headers"]; body: string }> = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver(
      createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
          receiver.requests.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
          res.writeHead(204).end();
        });
      }),
    );
    await new Promise<void>((resolve) => receiver.server.listen(0, "127.0.0.1", resolve));
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/klaxon`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}

export interface NotifyEnv {
  slack: FakeSlack;
  twilio: FakeTwilio;
  smtp: SmtpSink;
  webhook: WebhookReceiver;
  dir: string;
  config: Config;
  close(): Promise<void>;
}

/**
 * Rules: `db_up == 0` fires `db-down` per source. Alerts labelled team=ops go to receiver "ops" (policy pages alice on
 * Slack, e-mail and SMS at once; the receiver also has a Slack channel, an e-mail list and a webhook); team=mail to
 * "mail" (pages dave, whose only rule is e-mail; he also has a phone); team=chat to "chat" (pages carol on Slack).
 */
export async function startNotifyEnv(natsUrl: string, overrides: ConfigInput = {}, stand: { now?: () => number } = {}): Promise<NotifyEnv> {
  // Slack and Twilio stamp messages with `stand.now` when given: the engine's fake clock, so that "sent after the
  // delivery started" means the same thing to both when a takeover looks a message up.
  const now = stand.now ? { now: stand.now } : {};
  const [slack, twilio, smtp, webhook] = await Promise.all([
    FakeSlack.start({ token: SECRETS.slackToken, ...now }),
    FakeTwilio.start({ accountSid: ACCOUNT_SID, authToken: SECRETS.twilioToken, ...now }),
    SmtpSink.start({ user: SECRETS.smtpUser, password: SECRETS.smtpPassword }),
    WebhookReceiver.start(),
  ]);
  const dir = await rulesDir([{ ...dbDownRule, keyBy: ["source", "labels.team"] }]);
  const write = (path: string, value: unknown): Promise<void> => writeJson(dir, path, value);
  await write("routes/routes.json", {
    version: 1,
    route: {
      receiver: "ops",
      groupBy: ["alertname", "source"],
      groupWait: "0s",
      groupInterval: "1m",
      routes: [
        { matchers: ['team="mail"'], receiver: "mail" },
        { matchers: ['team="chat"'], receiver: "chat" },
      ],
    },
    receivers: [
      { name: "ops", policy: "ops-policy", slack: { channel: "#ops-alerts" }, email: { to: ["ops-list@example.com"] }, webhook: { url: webhook.url } },
      { name: "mail", policy: "mail-policy" },
      { name: "chat", policy: "chat-policy" },
    ],
  });
  for (const [id, user] of [["ops-policy", "alice"], ["mail-policy", "dave"], ["chat-policy", "carol"]] as const) {
    await write(`policies/${id}.json`, { id, version: 1, levels: [{ targets: [{ user }], delay: "30m" }] });
  }
  await write("users/users.json", {
    version: 1,
    users: [
      { id: "alice", name: "Alice", timeZone: "Europe/Berlin", contacts: { slack: "U0ALICE", email: "alice@example.com", phone: PHONES.alice }, notificationRules: [{ channel: "slack", after: "0m" }, { channel: "email", after: "0m" }, { channel: "sms", after: "0m" }] },
      { id: "dave", name: "Dave", timeZone: "Asia/Kolkata", contacts: { email: "dave@example.com", phone: PHONES.dave }, notificationRules: [{ channel: "email", after: "0m" }] },
      { id: "carol", name: "Carol", timeZone: "America/New_York", contacts: { slack: "U0CAROL", phone: PHONES.carol }, notificationRules: [{ channel: "slack", after: "0m" }] },
    ],
  });
  const secrets = await mkdtemp(join(tmpdir(), "klaxon-secrets-"));
  const secretFile = async (name: string, value: string): Promise<string> => {
    await writeFile(join(secrets, name), `${value}\n`);
    return join(secrets, name);
  };
  const config = testConfig(natsUrl, dir, {
    http: { port: 0, tokensFile: await secretFile("tokens", `ops ${SECRETS.apiToken}`) },
    ...overrides,
    notify: {
      slack: { apiUrl: slack.apiUrl, botTokenFile: await secretFile("slack-token", SECRETS.slackToken), signingSecretFile: await secretFile("slack-signing", SECRETS.slackSigningSecret) },
      email: { host: "127.0.0.1", port: smtp.port, from: "Klaxon <klaxon@example.com>", userFile: await secretFile("smtp-user", SECRETS.smtpUser), passwordFile: await secretFile("smtp-password", SECRETS.smtpPassword) },
      sms: { apiUrl: twilio.apiUrl, accountSid: ACCOUNT_SID, authTokenFile: await secretFile("twilio-token", SECRETS.twilioToken), from: SMS_FROM, publicWebhookUrl: PUBLIC_SMS_URL },
      webhook: { secretFile: await secretFile("webhook-secret", SECRETS.webhookSecret) },
      retry: { baseMs: 20, maxMs: 100, maxAttempts: 3 },
      rateLimits: { slackPerChannelMs: 50 },
      ...overrides.notify,
    },
  });
  return {
    slack,
    twilio,
    smtp,
    webhook,
    dir,
    config,
    close: async () => {
      await Promise.all([slack.close(), twilio.close(), smtp.close(), webhook.close()]);
    },
  };
}
