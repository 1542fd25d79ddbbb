import type { EmailMessage, Receipt, SlackMessage } from "../model.js";
import type { SlackRef } from "./slack-lookup.js";

export type { SlackRef };

/**
 * Posts and updates Slack messages. `address` is a member id (a direct message) or a channel id or name. Every
 * message carries `deliveryId` as Slack message metadata; the `find` methods look for it after a crash.
 */
export interface SlackSender {
  post(address: string, message: SlackMessage, deliveryId: string): Promise<Receipt & { slack: SlackRef }>;
  /** Rewrite a posted message (chat.update) and, when the message has one, reply in its thread. */
  update(ref: SlackRef, message: SlackMessage, deliveryId: string): Promise<Receipt>;
  /** The message `deliveryId` posted at `address` after `sinceMs`, if any. Throws DeliveryError when Slack cannot say. */
  findPosted(address: string, deliveryId: string, sinceMs: number): Promise<SlackRef | undefined>;
  /** The reply `deliveryId` posted in the thread of `thread` after `sinceMs`, if any. */
  findReply(thread: SlackRef, deliveryId: string, sinceMs: number): Promise<SlackRef | undefined>;
}

export interface EmailEnvelope {
  to: string[];
  /** Stable per delivery: a mail sent again after a crash carries the same Message-ID, which clients deduplicate. */
  deliveryId: string;
  /** Every mail about one alert group references the same thread root, so mail clients thread them. */
  threadKey: string;
  /** A follow-up (acknowledged, resolved) gets "Re: " so clients that thread by subject agree. */
  followUp: boolean;
}

export interface EmailSender {
  send(envelope: EmailEnvelope, message: EmailMessage): Promise<Receipt & { email: { messageId: string } }>;
}

export interface SmsSender {
  send(to: string, body: string): Promise<Receipt & { sms: { sid: string } }>;
  /**
   * A message to `to` sent after `sinceMs` whose body has the SHA-256 `bodyDigest` (see contentDigest), from the
   * provider's message log. Throws DeliveryError when the log cannot be read.
   */
  findSent(to: string, bodyDigest: string, sinceMs: number): Promise<{ sid: string } | undefined>;
}

export interface WebhookSender {
  post(url: string, deliveryId: string, payload: unknown): Promise<Receipt>;
}

/** The senders the notify stage delivers through; each throws DeliveryError with `retryable` set. */
export interface Channels {
  slack: SlackSender;
  email: EmailSender;
  sms: SmsSender;
  webhook: WebhookSender;
}
