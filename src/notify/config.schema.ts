import { z } from "zod";

const bucketName = z.string().regex(/^[A-Za-z0-9_-]+$/, "bucket names use letters, digits, '_' and '-'");
/** Secrets are read from files named here, never written into the config itself. */
const secretFile = z.string().min(1).optional();

/**
 * The `notify` section of the engine config: how pages reach people. Every channel is optional; a channel without
 * its credentials is "not configured", and a page for it fails over to the person's next contact method.
 */
export const notifyConfigSchema = z.strictObject({
  /** One template per channel and purpose (see docs/notifications.md). */
  templatesDir: z.string().min(1).default("templates"),
  /** Delivery records, Slack message references and SMS reply codes (compare-and-set). */
  bucket: bucketName.default("klaxon-notify"),
  slack: z
    .strictObject({
      apiUrl: z.url().default("https://slack.com/api/"),
      botTokenFile: secretFile,
      signingSecretFile: secretFile,
    })
    .prefault({}),
  email: z
    .strictObject({
      host: z.string().min(1).optional(),
      port: z.number().int().min(1).max(65_535).default(587),
      /** true: TLS from the first byte (port 465); false: STARTTLS when the server offers it. */
      secure: z.boolean().default(false),
      /** The From header, e.g. "Klaxon <klaxon@example.com>"; its domain also names the Message-IDs. */
      from: z.string().min(3).optional(),
      userFile: secretFile,
      passwordFile: secretFile,
    })
    .prefault({}),
  sms: z
    .strictObject({
      /** Twilio's REST API; point it at a local server in tests. */
      apiUrl: z.url().default("https://api.twilio.com"),
      accountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, "accountSid is \"AC\" and 32 hex digits (Twilio console, Account Info)").optional(),
      authTokenFile: secretFile,
      from: z.string().regex(/^\+[1-9]\d{1,14}$/, "from is the sending number in E.164 form, e.g. \"+15005550006\"").optional(),
      /** The exact public URL Twilio posts inbound SMS to: the signature covers it, so it must match byte for byte. */
      publicWebhookUrl: z.url().optional(),
    })
    .prefault({}),
  webhook: z
    .strictObject({
      /** Key of the `Klaxon-Signature` HMAC; without it webhooks go out unsigned (and the log says so). */
      secretFile: secretFile,
    })
    .prefault({}),
  retry: z
    .strictObject({
      /** Exponential backoff with jitter from baseMs up to maxMs; a Slack Retry-After overrides it. */
      baseMs: z.number().int().min(1).default(1_000),
      maxMs: z.number().int().min(1).default(60_000),
      /** Attempts per channel before falling back to the person's next contact method. */
      maxAttempts: z.number().int().min(1).max(100).default(5),
    })
    .prefault({})
    .refine((r) => r.baseMs <= r.maxMs, { message: "notify.retry.baseMs must not exceed maxMs", path: ["baseMs"] }),
  /** Minimum spacing between two sends to the same destination; sends wait their turn, none is dropped. */
  rateLimits: z
    .strictObject({
      slackPerChannelMs: z.number().int().nonnegative().default(1_000),
      smsPerRecipientMs: z.number().int().nonnegative().default(1_000),
      emailPerRecipientMs: z.number().int().nonnegative().default(0),
      webhookPerUrlMs: z.number().int().nonnegative().default(0),
    })
    .prefault({}),
  /** One provider request may take this long before it counts as a failed (retryable) attempt. */
  requestTimeoutMs: z.number().int().min(100).default(10_000),
  /**
   * A page or notification already this old when the notify stage first sees it is recorded as skipped, not sent: a
   * consumer created on a stream with history must not page people about last week.
   */
  maxAgeMs: z.number().int().min(1_000).default(3_600_000),
  /** A delivery marked "sending" whose holder has not renewed it for this long was interrupted by a crash. */
  deliveryLeaseMs: z.number().int().min(1_000).default(60_000),
}).refine((notify) => notify.deliveryLeaseMs > notify.requestTimeoutMs, {
  // A request can still reach the provider until it times out: a takeover sooner could not see it and would send again.
  message: "notify.deliveryLeaseMs must be longer than notify.requestTimeoutMs",
  path: ["deliveryLeaseMs"],
});

export type NotifyConfig = z.output<typeof notifyConfigSchema>;
