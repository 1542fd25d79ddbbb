// Local stand-ins for Slack, Twilio and an SMTP server, speaking the real protocols, so the engine's real channel
// code delivers to this machine and nothing leaves it. Their credentials are random per run and reach the engine
// the way production secrets do: in files the config names.
import { randomBytes } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ConfigInput } from "../../src/config/index.js";
import { FakeSlack } from "../../test/support/fake-slack.js";
import { FakeTwilio } from "../../test/support/fake-twilio.js";
import { SmtpSink } from "../../test/support/smtp.js";

export interface StandIns {
  slack: FakeSlack;
  twilio: FakeTwilio;
  smtp: SmtpSink;
  /** The `notify` section of the engine config, pointing every channel at a stand-in. */
  notifyConfig: NonNullable<ConfigInput["notify"]>;
  /** For the header the demo prints. */
  describe(): string;
  close(): Promise<void>;
}

const SMS_FROM = "+15005550006";

export async function startStandIns(secretsDir: string, templatesDir: string): Promise<StandIns> {
  const secret = (): string => randomBytes(18).toString("base64url");
  const secrets = { slackToken: `xoxb-demo-${secret()}`, smtpUser: "klaxon-demo", smtpPassword: secret(), twilioToken: secret() };
  const accountSid = `AC${randomBytes(16).toString("hex")}`;
  const [slack, twilio, smtp] = await Promise.all([
    FakeSlack.start({ token: secrets.slackToken }),
    FakeTwilio.start({ accountSid, authToken: secrets.twilioToken }),
    SmtpSink.start({ user: secrets.smtpUser, password: secrets.smtpPassword }),
  ]);
  const file = async (name: string, value: string): Promise<string> => {
    const path = join(secretsDir, name);
    await writeFile(path, `${value}\n`, { mode: 0o600 });
    return path;
  };
  return {
    slack,
    twilio,
    smtp,
    notifyConfig: {
      templatesDir,
      slack: { apiUrl: slack.apiUrl, botTokenFile: await file("slack-token", secrets.slackToken) },
      email: { host: "127.0.0.1", port: smtp.port, from: "Klaxon demo <klaxon@example.com>", userFile: await file("smtp-user", secrets.smtpUser), passwordFile: await file("smtp-password", secrets.smtpPassword) },
      sms: { apiUrl: twilio.apiUrl, accountSid, authTokenFile: await file("twilio-token", secrets.twilioToken), from: SMS_FROM },
    },
    describe: () => `Slack Web API ${slack.apiUrl}, Twilio API ${twilio.apiUrl}, SMTP 127.0.0.1:${smtp.port}`,
    close: async () => {
      await Promise.all([slack.close(), twilio.close(), smtp.close()]);
    },
  };
}

/** A temp folder only this user can read, for the run's throw-away secrets and API token. */
export function secretsFolder(): Promise<string> {
  return mkdtemp(join(tmpdir(), "klaxon-demo-secrets-"));
}
