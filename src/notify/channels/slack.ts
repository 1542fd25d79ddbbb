import { WebAPIHTTPError, WebAPIPlatformError, WebAPIRateLimitedError, WebAPIRequestError, WebClient, LogLevel, type Logger as SlackLogger } from "@slack/web-api";
import { ChannelNotConfiguredError, DeliveryError } from "../errors.js";
import type { Receipt, SlackMessage } from "../model.js";
import type { SlackSender } from "./types.js";

/** Slack platform errors that say "try later" rather than "this request is wrong". */
const RETRYABLE_PLATFORM_ERRORS = new Set(["ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org"]);

export interface SlackOptions {
  apiUrl: string;
  /** The bot token (xoxb-...); undefined: Slack is not configured. */
  token: string | undefined;
  timeoutMs: number;
}

/**
 * Slack through the official Web API client, with its own retries off: retries, Retry-After and rate limits are the
 * delivery runner's job, where they are counted and audited. A 429 surfaces as a retryable DeliveryError carrying
 * Retry-After.
 */
export class SlackChannel implements SlackSender {
  private readonly client: WebClient | undefined;

  constructor(options: SlackOptions) {
    this.client = options.token
      ? new WebClient(options.token, {
          slackApiUrl: options.apiUrl.endsWith("/") ? options.apiUrl : `${options.apiUrl}/`,
          retryConfig: { retries: 0 },
          rejectRateLimitedCalls: true,
          timeout: options.timeoutMs,
          logger: quietLogger,
          logLevel: LogLevel.ERROR,
        })
      : undefined;
  }

  async post(address: string, message: SlackMessage): Promise<Receipt & { slack: { channel: string; ts: string } }> {
    const client = this.require();
    const channel = /^[UW][A-Z0-9]+$/.test(address) ? await this.directChannel(client, address) : address;
    const posted = await call("chat.postMessage", () => client.chat.postMessage({ channel, text: message.text, blocks: message.blocks as never[] }));
    if (!posted.ts || !posted.channel) throw new DeliveryError("slack", "Slack chat.postMessage answered without channel and ts", { retryable: true });
    return { slack: { channel: posted.channel, ts: posted.ts } };
  }

  async update(ref: { channel: string; ts: string }, message: SlackMessage): Promise<Receipt> {
    const client = this.require();
    await call("chat.update", () => client.chat.update({ channel: ref.channel, ts: ref.ts, text: message.text, blocks: message.blocks as never[] }));
    if (message.thread) await call("chat.postMessage", () => client.chat.postMessage({ channel: ref.channel, thread_ts: ref.ts, text: message.thread as string }));
    return { slack: ref };
  }

  /** A direct message goes to the bot's DM channel with the person, which conversations.open returns (or creates). */
  private async directChannel(client: WebClient, user: string): Promise<string> {
    const opened = await call("conversations.open", () => client.conversations.open({ users: user }));
    const id = opened.channel?.id;
    if (!id) throw new DeliveryError("slack", "Slack conversations.open answered without a channel id", { retryable: true });
    return id;
  }

  private require(): WebClient {
    if (!this.client) throw new ChannelNotConfiguredError("slack", "notify.slack.botTokenFile is not set");
    return this.client;
  }
}

async function call<T>(method: string, request: () => Promise<T>): Promise<T> {
  try {
    return await request();
  } catch (error) {
    throw classifySlackError(method, error);
  }
}

/** Map the Web API client's errors to retryable or permanent. Messages name the method and Slack's error code only. */
export function classifySlackError(method: string, error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  if (error instanceof WebAPIRateLimitedError) {
    return new DeliveryError("slack", `Slack ${method}: rate limited, retry after ${error.retryAfter} s`, { retryable: true, retryAfterMs: error.retryAfter * 1_000 });
  }
  if (error instanceof WebAPIPlatformError) {
    const code = String(error.data.error);
    return new DeliveryError("slack", `Slack ${method}: ${code}`, { retryable: RETRYABLE_PLATFORM_ERRORS.has(code) });
  }
  if (error instanceof WebAPIHTTPError) {
    return new DeliveryError("slack", `Slack ${method}: HTTP ${error.statusCode}`, { retryable: error.statusCode >= 500 || error.statusCode === 408 });
  }
  if (error instanceof WebAPIRequestError) return new DeliveryError("slack", `Slack ${method}: request failed (${errorCode(error.original)})`, { retryable: true });
  return new DeliveryError("slack", `Slack ${method}: ${error instanceof Error ? error.name : "unknown error"}`, { retryable: true });
}

function errorCode(error: Error): string {
  const code = (error as { code?: unknown; cause?: { code?: unknown } }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === "string" ? code : error.name;
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
