// What the stand-ins received, as one list in arrival order: the demo prints each entry as DELIVERED and serves the
// list at GET /api/v1/outbox for the console's Outbox view. The stand-ins keep append-only records; the outbox reads
// what is new since its last look (SMTP and Slack keep no arrival time, so the time is when the outbox first saw it).
import type { HttpRoute } from "../../src/http/server.js";
import type { SlackPostedMessage } from "../../test/support/fake-slack.js";
import type { TwilioMessage } from "../../test/support/fake-twilio.js";
import type { ReceivedMail } from "../../test/support/smtp.js";

export type OutboxChannel = "slack" | "email" | "sms";

export interface OutboxEntry {
  /** Arrival order, from 1. */
  seq: number;
  atMs: number;
  channel: OutboxChannel;
  /** A new message, an edit of an earlier Slack message (acknowledged, resolved), or a reply in its thread. */
  kind: "message" | "update" | "reply";
  /** The address as the provider saw it: a Slack channel, e-mail addresses, a phone number. */
  to: string;
  /** The person of the rules that address belongs to, when it is one. */
  person?: string;
  /** Slack: the message text; e-mail: the subject; SMS: the body. */
  text: string;
  /** E-mail only: the plain-text body. */
  body?: string;
}

/** What the outbox reads of the stand-ins: their append-only records. */
export interface OutboxSources {
  slack: { messages(): SlackPostedMessage[]; threadReplies(ref: { channel: string; ts: string }): SlackPostedMessage[] };
  smtp: { readonly mails: readonly ReceivedMail[] };
  twilio: { readonly messages: readonly TwilioMessage[] };
}

export class Outbox {
  private readonly list: OutboxEntry[] = [];
  private mailsSeen = 0;
  private smsSeen = 0;
  /** Per Slack message (by channel and ts): updates and thread replies already listed. */
  private readonly slackSeen = new Map<string, { updates: number; replies: number }>();
  private readonly listeners: Array<(entry: OutboxEntry) => void> = [];

  constructor(
    private readonly sources: OutboxSources,
    /** Address → person id (Slack user ids, e-mail addresses, phone numbers). */
    private readonly contacts: ReadonlyMap<string, string>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Called once per entry, whoever's look found it (the demo's poll or a request for the list). */
  onEntry(listener: (entry: OutboxEntry) => void): void {
    this.listeners.push(listener);
  }

  /** Looks at the stand-ins and returns what arrived since the last look, after telling the listeners. */
  collect(): OutboxEntry[] {
    const fresh: OutboxEntry[] = [];
    const add = (entry: Omit<OutboxEntry, "seq" | "atMs" | "person">, atMs = this.now()): void => {
      const person = this.personOf(entry.channel, entry.to);
      const full: OutboxEntry = { seq: this.list.length + 1, atMs, ...entry, ...(person !== undefined && { person }) };
      this.list.push(full);
      fresh.push(full);
    };
    for (const message of this.sources.slack.messages()) {
      const key = `${message.channel} ${message.ts}`;
      let seen = this.slackSeen.get(key);
      if (seen === undefined) {
        seen = { updates: 0, replies: 0 };
        this.slackSeen.set(key, seen);
        add({ channel: "slack", kind: "message", to: message.channel, text: message.text });
      }
      for (const update of message.updates.slice(seen.updates)) add({ channel: "slack", kind: "update", to: message.channel, text: update.text });
      seen.updates = message.updates.length;
      const replies = this.sources.slack.threadReplies(message);
      for (const reply of replies.slice(seen.replies)) add({ channel: "slack", kind: "reply", to: message.channel, text: reply.text });
      seen.replies = replies.length;
    }
    for (const mail of this.sources.smtp.mails.slice(this.mailsSeen)) add({ channel: "email", kind: "message", to: mail.to.join(", "), text: mail.subject, body: mail.text });
    this.mailsSeen = this.sources.smtp.mails.length;
    for (const sms of this.sources.twilio.messages.slice(this.smsSeen)) add({ channel: "sms", kind: "message", to: sms.to, text: sms.body }, sms.atMs);
    this.smsSeen = this.sources.twilio.messages.length;
    for (const entry of fresh) for (const listener of this.listeners) listener(entry);
    return fresh;
  }

  entries(): readonly OutboxEntry[] {
    return this.list;
  }

  private personOf(channel: OutboxChannel, to: string): string | undefined {
    // The Slack stand-in names a direct-message channel after the user: U034GHIJKL → D034GHIJKL.
    if (channel === "slack") return this.contacts.get(to) ?? this.contacts.get(`U${to.slice(1)}`) ?? this.contacts.get(`W${to.slice(1)}`);
    return this.contacts.get(to);
  }
}

/**
 * `GET /api/v1/outbox`: exists only in the demo (the engine serves it because the demo hands it over as an extra
 * route). It needs a bearer token like every other data endpoint: the outbox holds what was sent to people.
 */
export function outboxRoute(outbox: Outbox): HttpRoute {
  return {
    method: "GET",
    pattern: /^\/api\/v1\/outbox$/,
    auth: "token",
    handle: async () => {
      outbox.collect();
      return { status: 200, headers: { "cache-control": "no-store" }, body: outbox.entries() };
    },
  };
}
