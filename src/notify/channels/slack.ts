import { WebClient, LogLevel, type Logger as SlackLogger } from "@slack/web-api";
import { ChannelNotConfiguredError, DeliveryError } from "../errors.js";
import type { Receipt, SlackMessage } from "../model.js";
import { callSlack } from "./slack-errors.js";
import { deliveryMetadata, SlackLookup, type SlackRef } from "./slack-lookup.js";
import type { SlackSender } from "./types.js";

export { classifySlackError } from "./slack-errors.js";

export interface SlackOptions {
  apiUrl: string;
  /** The bot token (xoxb-...); undefined: Slack is not configured. */
  token: string | undefined;
  timeoutMs: number;
}

const MEMBER_ID = /^[UW][A-Z0-9]+$/;
const CONVERSATION_ID = /^[CGD][A-Z0-9]{2,}$/;

/**
 * Slack through the official Web API client, with its own retries off: retries, Retry-After and rate limits are the
 * delivery runner's job, where they are counted and audited. A 429 surfaces as a retryable DeliveryError carrying
 * Retry-After. Every message carries its delivery id as message metadata, so a replica that takes over an
 * interrupted delivery can find out whether it was posted (`findPosted`, `findReply`).
 */
export class SlackChannel implements SlackSender {
  private readonly slack: { client: WebClient; lookup: SlackLookup } | undefined;

  constructor(options: SlackOptions) {
    if (!options.token) return;
    const client = new WebClient(options.token, {
      slackApiUrl: options.apiUrl.endsWith("/") ? options.apiUrl : `${options.apiUrl}/`,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: options.timeoutMs,
      logger: quietLogger,
      logLevel: LogLevel.ERROR,
    });
    this.slack = { client, lookup: new SlackLookup(client) };
  }

  async post(address: string, message: SlackMessage, deliveryId: string): Promise<Receipt & { slack: SlackRef }> {
    const { client } = this.require();
    const channel = MEMBER_ID.test(address) ? await this.directChannel(client, address) : address;
    const posted = await callSlack("chat.postMessage", () => client.chat.postMessage({ channel, text: message.text, blocks: message.blocks as never[], metadata: deliveryMetadata(deliveryId) }));
    if (!posted.ts || !posted.channel) throw new DeliveryError("slack", "Slack chat.postMessage answered without channel and ts", { retryable: true });
    return { slack: { channel: posted.channel, ts: posted.ts } };
  }

  async update(ref: SlackRef, message: SlackMessage, deliveryId: string): Promise<Receipt> {
    const { client } = this.require();
    await callSlack("chat.update", () => client.chat.update({ channel: ref.channel, ts: ref.ts, text: message.text, blocks: message.blocks as never[] }));
    if (message.thread) {
      const text = message.thread;
      await callSlack("chat.postMessage", () => client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text, metadata: deliveryMetadata(deliveryId) }));
    }
    return { slack: ref };
  }

  async findPosted(address: string, deliveryId: string, sinceMs: number): Promise<SlackRef | undefined> {
    const { client, lookup } = this.require();
    const channel = MEMBER_ID.test(address) ? await this.directChannel(client, address) : CONVERSATION_ID.test(address) ? address : await lookup.channelId(address);
    return lookup.inHistory(channel, deliveryId, sinceMs);
  }

  findReply(thread: SlackRef, deliveryId: string, sinceMs: number): Promise<SlackRef | undefined> {
    return this.require().lookup.inThread(thread, deliveryId, sinceMs);
  }

  /** A direct message goes to the bot's DM channel with the person, which conversations.open returns (or creates). */
  private async directChannel(client: WebClient, user: string): Promise<string> {
    const opened = await callSlack("conversations.open", () => client.conversations.open({ users: user }));
    const id = opened.channel?.id;
    if (!id) throw new DeliveryError("slack", "Slack conversations.open answered without a channel id", { retryable: true });
    return id;
  }

  private require(): { client: WebClient; lookup: SlackLookup } {
    if (!this.slack) throw new ChannelNotConfiguredError("slack", "notify.slack.botTokenFile is not set");
    return this.slack;
  }
}

/** The client logs request bodies at debug level; we keep it quiet (its failures reach us as errors anyway). */
const quietLogger: SlackLogger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};
