import { readFileSync } from "node:fs";
import { ValidationError } from "../core/errors.js";
import type { NotifyConfig } from "../notify/config.schema.js";
import { EmailChannel, SlackChannel, SmsChannel, WebhookChannel, type Channels } from "../notify/channels/index.js";

/** The secrets the notify stage needs, read from the files the config names. Never logged, never in errors. */
export interface NotifySecrets {
  slackToken: string | undefined;
  slackSigningSecret: string | undefined;
  smtpUser: string | undefined;
  smtpPassword: string | undefined;
  twilioAuthToken: string | undefined;
  webhookSecret: string | undefined;
}

export function readNotifySecrets(config: NotifyConfig): NotifySecrets {
  const read = (path: string | undefined, field: string): string | undefined => {
    if (path === undefined) return undefined;
    let text: string;
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      throw new ValidationError([{ file: "config", path: `notify.${field}`, message: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? "error"}` }]);
    }
    const secret = text.trim();
    if (secret === "") throw new ValidationError([{ file: "config", path: `notify.${field}`, message: `${path} is empty` }]);
    return secret;
  };
  return {
    slackToken: read(config.slack.botTokenFile, "slack.botTokenFile"),
    slackSigningSecret: read(config.slack.signingSecretFile, "slack.signingSecretFile"),
    smtpUser: read(config.email.userFile, "email.userFile"),
    smtpPassword: read(config.email.passwordFile, "email.passwordFile"),
    twilioAuthToken: read(config.sms.authTokenFile, "sms.authTokenFile"),
    webhookSecret: read(config.webhook.secretFile, "webhook.secretFile"),
  };
}

/** The channel senders, built from the config and its secrets. A channel without credentials reports so per send. */
export function buildChannels(config: NotifyConfig, secrets: NotifySecrets): Channels {
  const timeoutMs = config.requestTimeoutMs;
  return {
    slack: new SlackChannel({ apiUrl: config.slack.apiUrl, token: secrets.slackToken, timeoutMs }),
    email: new EmailChannel({ host: config.email.host, port: config.email.port, secure: config.email.secure, from: config.email.from, user: secrets.smtpUser, password: secrets.smtpPassword, timeoutMs }),
    sms: new SmsChannel({ apiUrl: config.sms.apiUrl, accountSid: config.sms.accountSid, authToken: secrets.twilioAuthToken, from: config.sms.from, timeoutMs }),
    webhook: new WebhookChannel(secrets.webhookSecret, timeoutMs),
  };
}
