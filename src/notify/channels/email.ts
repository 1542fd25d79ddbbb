import { createHash } from "node:crypto";
import nodemailer, { type Transporter } from "nodemailer";
import { ChannelNotConfiguredError, DeliveryError } from "../errors.js";
import type { EmailMessage, Receipt } from "../model.js";
import type { EmailEnvelope, EmailSender } from "./types.js";

export interface EmailOptions {
  host: string | undefined;
  port: number;
  secure: boolean;
  from: string | undefined;
  user: string | undefined;
  password: string | undefined;
  timeoutMs: number;
}

/** Connection-level failures: the server is down or unreachable, which a later attempt may find fixed. */
const RETRYABLE_CODES = new Set(["ECONNECTION", "ETIMEDOUT", "ESOCKET", "EDNS", "ECONNREFUSED", "ECONNRESET", "EPROTOCOL"]);

/**
 * E-mail over SMTP with nodemailer: an HTML and a text part. Message-IDs are derived from the delivery id, so a mail
 * sent again after a crash is the same message to the mail system; every mail about one alert group carries
 * In-Reply-To and References pointing at one thread root, so mail clients show the group as one conversation.
 */
export class EmailChannel implements EmailSender {
  private readonly transport: Transporter | undefined;
  private readonly domain: string;

  constructor(private readonly options: EmailOptions) {
    this.domain = domainOf(options.from ?? "") ?? "klaxon.invalid";
    this.transport =
      options.host && options.from
        ? nodemailer.createTransport({
            host: options.host,
            port: options.port,
            secure: options.secure,
            ...(options.user !== undefined && options.password !== undefined ? { auth: { user: options.user, pass: options.password } } : {}),
            connectionTimeout: options.timeoutMs,
            greetingTimeout: options.timeoutMs,
            socketTimeout: options.timeoutMs,
          })
        : undefined;
  }

  /** The Message-ID a delivery's mail carries (angle brackets included). */
  messageId(deliveryId: string): string {
    return `<${deliveryId}@${this.domain}>`;
  }

  /** The thread root every mail about `threadKey` refers to. */
  threadRoot(threadKey: string): string {
    return `<group-${createHash("sha256").update(threadKey).digest("hex").slice(0, 24)}@${this.domain}>`;
  }

  async send(envelope: EmailEnvelope, message: EmailMessage): Promise<Receipt & { email: { messageId: string } }> {
    if (!this.transport) throw new ChannelNotConfiguredError("email", "notify.email.host and notify.email.from are required");
    const messageId = this.messageId(envelope.deliveryId);
    const root = this.threadRoot(envelope.threadKey);
    try {
      await this.transport.sendMail({
        from: this.options.from,
        to: envelope.to,
        subject: envelope.followUp && !/^re:/i.test(message.subject) ? `Re: ${message.subject}` : message.subject,
        text: message.text,
        html: message.html,
        messageId,
        inReplyTo: root,
        references: [root],
        headers: { "X-Klaxon-Delivery": envelope.deliveryId },
      });
    } catch (error) {
      throw classifySmtpError(error);
    }
    return { email: { messageId } };
  }
}

/** 4xx replies and connection failures are transient (RFC 5321); 5xx replies and bad credentials are not. */
export function classifySmtpError(error: unknown): DeliveryError {
  const e = error as { code?: unknown; responseCode?: unknown; command?: unknown };
  const code = typeof e.code === "string" ? e.code : undefined;
  const reply = typeof e.responseCode === "number" ? e.responseCode : undefined;
  const what = [code, reply === undefined ? undefined : `reply ${reply}`, typeof e.command === "string" ? `to ${e.command}` : undefined].filter(Boolean).join(", ");
  const message = `SMTP ${what || "error"}`;
  if (reply !== undefined) return new DeliveryError("email", message, { retryable: reply >= 400 && reply < 500 });
  if (code === "EAUTH" || code === "EENVELOPE" || code === "EMESSAGE") return new DeliveryError("email", message, { retryable: false });
  return new DeliveryError("email", message, { retryable: code === undefined || RETRYABLE_CODES.has(code) });
}

function domainOf(address: string): string | undefined {
  const match = /@([A-Za-z0-9.-]+)>?\s*$/.exec(address);
  return match?.[1];
}
