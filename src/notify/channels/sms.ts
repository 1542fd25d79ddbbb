import twilio from "twilio";
import type RequestClient from "twilio/lib/base/RequestClient.js";
import { contentDigest } from "../content-digest.js";
import { ChannelNotConfiguredError, DeliveryError } from "../errors.js";
import type { Receipt } from "../model.js";
import type { SmsSender } from "./types.js";

export interface SmsOptions {
  /** Twilio's API base; any other value sends the SDK's requests there instead (tests, a proxy). */
  apiUrl: string;
  accountSid: string | undefined;
  authToken: string | undefined;
  from: string | undefined;
  timeoutMs: number;
}

const TWILIO_API = "https://api.twilio.com";

/**
 * The SDK builds absolute URLs for api.twilio.com and only lets us change the edge and region, not the host. Its
 * documented extension point is a custom `httpClient`: this one moves every request to the configured base URL,
 * keeping path and query, and otherwise is Twilio's own RequestClient (auth, form encoding, timeouts).
 */
class BaseUrlRequestClient extends twilio.RequestClient {
  constructor(
    private readonly base: URL,
    timeoutMs: number,
  ) {
    super({ timeout: timeoutMs });
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>): ReturnType<typeof RequestClient.prototype.request<TData>> {
    const original = new URL(opts.uri);
    const uri = `${this.base.origin}${this.base.pathname.replace(/\/$/, "")}${original.pathname}${original.search}`;
    return super.request({ ...opts, uri });
  }
}

/** Twilio error codes that are worth retrying besides HTTP 429/5xx: "too many requests" and "queue overflow". */
const RETRYABLE_TWILIO_CODES = new Set([20429, 30001]);

const LOG_PAGE_SIZE = 100;
/** How much of the message log a lookup reads before giving up (the caller then sends again rather than guess). */
const LOG_MAX_PAGES = 20;

/** What a lookup reads of the SDK's MessagePage (a queued message has no date sent yet, whatever its typings say). */
interface MessageLogPage {
  instances: Array<{ sid: string; body: string; dateSent: Date | null }>;
  nextPage(): Promise<MessageLogPage> | undefined;
}

/** SMS through the twilio SDK's Messages API. */
export class SmsChannel implements SmsSender {
  private readonly client: twilio.Twilio | undefined;

  constructor(private readonly options: SmsOptions) {
    if (options.accountSid && options.authToken && options.from) {
      const custom = options.apiUrl.replace(/\/$/, "") !== TWILIO_API;
      this.client = twilio(options.accountSid, options.authToken, {
        ...(custom ? { httpClient: new BaseUrlRequestClient(new URL(options.apiUrl), options.timeoutMs) } : { timeout: options.timeoutMs }),
        autoRetry: false,
      });
    }
  }

  async send(to: string, body: string): Promise<Receipt & { sms: { sid: string } }> {
    if (!this.client) throw new ChannelNotConfiguredError("sms", "notify.sms.accountSid, authTokenFile and from are required");
    try {
      const message = await this.client.messages.create({ to, from: this.options.from as string, body });
      return { sms: { sid: message.sid } };
    } catch (error) {
      throw classifyTwilioError(error);
    }
  }

  /**
   * Read the account's message log to `to` from our number, newest first. Twilio filters `DateSent>` by day, so the
   * log is read until a message sent before `sinceMs`; a message still queued (no date sent yet) is compared too.
   */
  async findSent(to: string, bodyDigest: string, sinceMs: number): Promise<{ sid: string } | undefined> {
    if (!this.client) throw new ChannelNotConfiguredError("sms", "notify.sms.accountSid, authTokenFile and from are required");
    const client = this.client;
    try {
      let page: MessageLogPage = await client.messages.page({ to, from: this.options.from as string, dateSentAfter: new Date(sinceMs), pageSize: LOG_PAGE_SIZE });
      for (let pages = 1; ; pages++) {
        for (const message of page.instances) {
          // Newest first: past `sinceMs`, nothing further down can be ours.
          if (message.dateSent instanceof Date && message.dateSent.getTime() < sinceMs) return undefined;
          if (contentDigest(message.body) === bodyDigest) return { sid: message.sid };
        }
        const next = page.nextPage();
        if (!next) return undefined;
        if (pages >= LOG_MAX_PAGES) throw new DeliveryError("sms", `Twilio message log: more than ${LOG_MAX_PAGES * LOG_PAGE_SIZE} messages to search; cannot tell whether it went out`, { retryable: false });
        page = await next;
      }
    } catch (error) {
      throw error instanceof DeliveryError ? error : classifyTwilioError(error);
    }
  }
}

/**
 * Twilio answers errors with an HTTP status and its own error code: 429 and 5xx are transient, other 4xx (an
 * invalid or unsubscribed number, bad credentials) are permanent. A request that never got an answer is transient.
 */
export function classifyTwilioError(error: unknown): DeliveryError {
  if (error instanceof twilio.RestException) {
    const retryable = error.status === 429 || error.status >= 500 || (error.code !== undefined && RETRYABLE_TWILIO_CODES.has(error.code));
    return new DeliveryError("sms", `Twilio answered HTTP ${error.status}${error.code === undefined ? "" : ` (error ${error.code})`}`, { retryable });
  }
  const code = (error as { code?: unknown }).code;
  return new DeliveryError("sms", `Twilio request failed (${typeof code === "string" ? code : error instanceof Error ? error.name : "unknown error"})`, { retryable: true });
}
