import type { EmailMessage, Receipt, SlackMessage } from "../model.js";

/** Posts and updates Slack messages. `address` is a member id (a direct message) or a channel id or name. */
export interface SlackSender {
  post(address: string, message: SlackMessage): Promise<Receipt & { slack: { channel: string; ts: string } }>;
  /** Rewrite a posted message (chat.update) and, when the message has one, reply in its thread. */
  update(ref: { channel: string; ts: string }, message: SlackMessage): Promise<Receipt>;
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
