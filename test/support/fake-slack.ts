// A local HTTP server that answers like Slack's Web API (conversations.open, chat.postMessage, chat.update, and the
// reads conversations.history, conversations.replies and conversations.list) and Slack's response_url, and records
// every request. Point @slack/web-api's `slackApiUrl` at `fake.apiUrl`. Message timestamps are Slack's: seconds and
// microseconds of the fake's clock (`now`, wall clock unless given), unique per message.
//
//   const slack = await FakeSlack.start({ token: "xoxb-test" });
//   slack.failNext(1, { status: 429, retryAfterSeconds: 1 });   // then 200s again
//   slack.delayNext(2, 500);                                     // slow answers
//   ... slack.calls("chat.update"), slack.messages(), slack.responses ...
//   await slack.close();
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { closeServer, listenLocally, readBody } from "./local-http.js";

export interface SlackCall {
  method: string;
  /** The bearer token the client sent, if any. */
  token: string | undefined;
  /** Form or JSON parameters; JSON-encoded fields (blocks) are decoded. */
  params: Record<string, unknown>;
  /** Wall-clock receipt time (ms), for asserting on waits such as Retry-After. */
  atMs: number;
  /** What we answered. */
  status: number;
}

export interface SlackPostedMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[];
  threadTs?: string;
  /** Slack message metadata posted with it (`metadata` of chat.postMessage), returned by reads that ask for it. */
  metadata?: { event_type: string; event_payload: Record<string, unknown> };
  /** Every chat.update of this message, oldest first. */
  updates: Array<{ text: string; blocks: unknown[] }>;
}

export type SlackFailure = { status: 429; retryAfterSeconds: number } | { status: 500 | 502 | 503 } | { error: string };

export class FakeSlack {
  private readonly recorded: SlackCall[] = [];
  /** Bodies posted to response_url, in order. */
  readonly responses: Array<Record<string, unknown>> = [];
  private readonly posted: SlackPostedMessage[] = [];
  private failures: Array<{ failure: SlackFailure; method: string | undefined }> = [];
  private delays: number[] = [];
  private sequence = 0;
  /** Channels posted to by name (`#ops` becomes id `Cops`), for conversations.list. */
  private readonly named = new Map<string, string>();
  private lastTsMicros = 0;

  private readonly server: Server;
  private listeningPort = 0;

  private constructor(
    private readonly token: string | undefined,
    private readonly now: () => number,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  get port(): number {
    return this.listeningPort;
  }

  static async start(options: { token?: string; now?: () => number } = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(options.token, options.now ?? Date.now);
    fake.listeningPort = await listenLocally(fake.server);
    return fake;
  }

  /** The Web API base URL (`slackApiUrl`). */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api/`;
  }

  /** A response_url on this server; what is posted there lands in `responses`. */
  responseUrl(): string {
    return `http://127.0.0.1:${this.port}/actions/response/${++this.sequence}`;
  }

  /**
   * The next `count` API calls (of `method`, when given) fail this way: 429 with Retry-After, a 5xx, or `ok: false`
   * with a Slack error code.
   */
  failNext(count: number, failure: SlackFailure, method?: string): void {
    for (let i = 0; i < count; i++) this.failures.push({ failure, method });
  }

  /** The next `count` API calls are answered after `ms`. */
  delayNext(count: number, ms: number): void {
    for (let i = 0; i < count; i++) this.delays.push(ms);
  }

  calls(method?: string): SlackCall[] {
    return method === undefined ? [...this.recorded] : this.recorded.filter((c) => c.method === method);
  }

  /** Messages posted (not thread replies), with their updates. */
  messages(): SlackPostedMessage[] {
    return this.posted.filter((m) => m.threadTs === undefined);
  }

  /** Thread replies under a message. */
  threadReplies(ref: { channel: string; ts: string }): SlackPostedMessage[] {
    return this.posted.filter((m) => m.channel === ref.channel && m.threadTs === ref.ts);
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname.startsWith("/actions/response/")) {
      this.responses.push(JSON.parse(body || "{}") as Record<string, unknown>);
      return send(res, 200, "ok", "text/plain");
    }
    const method = url.pathname.replace(/^\/api\//, "");
    const params = parseParams(body, String(req.headers["content-type"] ?? ""));
    const token = /^Bearer (.+)$/.exec(String(req.headers.authorization ?? ""))?.[1];
    const delay = this.delays.shift();
    if (delay !== undefined) await new Promise((r) => setTimeout(r, delay));
    const call: SlackCall = { method, token, params, atMs: Date.now(), status: 200 };
    this.recorded.push(call);
    const index = this.failures.findIndex((f) => f.method === undefined || f.method === method);
    const failure = index < 0 ? undefined : this.failures.splice(index, 1)[0]?.failure;
    if (failure && "status" in failure) {
      call.status = failure.status;
      if (failure.status === 429) res.setHeader("retry-after", String(failure.retryAfterSeconds));
      return send(res, failure.status, JSON.stringify({ ok: false, error: failure.status === 429 ? "ratelimited" : "internal_error" }));
    }
    if (failure) return send(res, 200, JSON.stringify({ ok: false, error: failure.error }));
    if (this.token !== undefined && token !== this.token) return send(res, 200, JSON.stringify({ ok: false, error: "invalid_auth" }));
    send(res, 200, JSON.stringify(this.answer(method, params)));
  }

  private answer(method: string, params: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case "conversations.open": {
        const users = String(params.users ?? "");
        if (!/^[UW][A-Z0-9]+$/.test(users)) return { ok: false, error: "user_not_found" };
        return { ok: true, channel: { id: `D${users.slice(1)}` } };
      }
      case "chat.postMessage": {
        const channel = String(params.channel ?? "");
        if (channel === "" || channel === "#nowhere") return { ok: false, error: "channel_not_found" };
        const invalid = invalidBlocks(params.blocks);
        if (invalid) return invalid;
        const ts = this.nextTs();
        const message: SlackPostedMessage = { channel: channel.replace(/^#/, "C"), ts, text: String(params.text ?? ""), blocks: (params.blocks as unknown[]) ?? [], updates: [] };
        if (channel.startsWith("#")) this.named.set(channel.slice(1), message.channel);
        if (params.thread_ts !== undefined) message.threadTs = String(params.thread_ts);
        const metadata = params.metadata as SlackPostedMessage["metadata"] | undefined;
        if (metadata?.event_type) message.metadata = { event_type: metadata.event_type, event_payload: metadata.event_payload ?? {} };
        this.posted.push(message);
        return { ok: true, channel: message.channel, ts, message: { text: message.text } };
      }
      case "conversations.history": {
        // Top-level messages (and thread parents), newest first, as Slack returns them; ids only, never names.
        const channel = String(params.channel ?? "");
        if (!/^[CGD]/.test(channel)) return { ok: false, error: "channel_not_found" };
        const messages = this.posted.filter((m) => m.channel === channel && m.threadTs === undefined).reverse();
        return this.page(messages, params, "messages");
      }
      case "conversations.replies": {
        // The parent first, then its replies oldest first.
        const parent = this.posted.find((m) => m.channel === params.channel && m.ts === params.ts && m.threadTs === undefined);
        if (!parent) return { ok: false, error: "thread_not_found" };
        return this.page([parent, ...this.threadReplies(parent)], params, "messages");
      }
      case "conversations.list": {
        const channels = [...this.named].map(([name, id]) => ({ id, name, is_channel: true, is_private: false, is_archived: false }));
        return this.page(channels, params, "channels");
      }
      case "chat.update": {
        const message = this.posted.find((m) => m.channel === params.channel && m.ts === params.ts);
        if (!message) return { ok: false, error: "message_not_found" };
        const invalid = invalidBlocks(params.blocks);
        if (invalid) return invalid;
        message.updates.push({ text: String(params.text ?? ""), blocks: (params.blocks as unknown[]) ?? [] });
        return { ok: true, channel: message.channel, ts: message.ts, text: params.text };
      }
      default:
        return { ok: false, error: "unknown_method" };
    }
  }

  /** A unique Slack timestamp from the fake's clock: `<seconds>.<microseconds>`, always increasing. */
  private nextTs(): string {
    this.lastTsMicros = Math.max(Math.floor(this.now()) * 1_000, this.lastTsMicros + 1);
    return `${Math.floor(this.lastTsMicros / 1_000_000)}.${String(this.lastTsMicros % 1_000_000).padStart(6, "0")}`;
  }

  /**
   * One page of a read: `oldest`/`latest` (exclusive unless `inclusive`), `limit` (default 100) and an opaque `cursor`,
   * answered with `has_more` and `response_metadata.next_cursor`. Messages carry `metadata` only when the request
   * says `include_all_metadata`.
   */
  private page(items: Array<SlackPostedMessage | Record<string, unknown>>, params: Record<string, unknown>, key: "messages" | "channels"): Record<string, unknown> {
    const micros = (ts: unknown): number => {
      const [seconds = "0", fraction = "0"] = String(ts).split(".");
      return Number(seconds) * 1_000_000 + Number(fraction.padEnd(6, "0").slice(0, 6));
    };
    const inclusive = params.inclusive === true || params.inclusive === "true" || params.inclusive === "1";
    const oldest = params.oldest === undefined ? undefined : micros(params.oldest);
    const latest = params.latest === undefined ? undefined : micros(params.latest);
    const inRange = items.filter((item) => {
      if (key === "channels") return true;
      const at = micros((item as SlackPostedMessage).ts);
      return (oldest === undefined || at > oldest || (inclusive && at === oldest)) && (latest === undefined || at < latest || (inclusive && at === latest));
    });
    const start = typeof params.cursor === "string" && params.cursor !== "" ? Number(Buffer.from(params.cursor, "base64").toString("utf8").replace(/^next:/, "")) : 0;
    const limit = Math.max(1, Math.min(Number(params.limit ?? 100) || 100, 999));
    const slice = inRange.slice(start, start + limit);
    const more = start + limit < inRange.length;
    const withMetadata = params.include_all_metadata === true || params.include_all_metadata === "true";
    const shown = key === "channels" ? slice : (slice as SlackPostedMessage[]).map((m) => messageJson(m, withMetadata));
    return { ok: true, [key]: shown, has_more: more, response_metadata: { next_cursor: more ? Buffer.from(`next:${start + limit}`).toString("base64") : "" } };
  }
}

/** A message as conversations.history and conversations.replies show it. */
function messageJson(m: SlackPostedMessage, withMetadata: boolean): Record<string, unknown> {
  const latest = m.updates.at(-1);
  return {
    type: "message",
    user: "U0KLAXONBOT",
    bot_id: "B0KLAXON",
    text: latest?.text ?? m.text,
    blocks: latest?.blocks ?? m.blocks,
    ts: m.ts,
    ...(m.threadTs === undefined ? {} : { thread_ts: m.threadTs }),
    ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
  };
}

/** Sign a request body as Slack does: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<body>`. */
export function signSlackRequest(signingSecret: string, body: string, timestampSeconds = Math.floor(Date.now() / 1_000)): Record<string, string> {
  const signature = `v0=${createHmac("sha256", signingSecret).update(`v0:${timestampSeconds}:${body}`).digest("hex")}`;
  return { "x-slack-request-timestamp": String(timestampSeconds), "x-slack-signature": signature, "content-type": "application/x-www-form-urlencoded" };
}

/** The form body Slack posts for a button click on a message (`block_actions`). */
export function slackClickBody(options: { userId: string; actionId: string; value: string; responseUrl?: string }): string {
  const payload = {
    type: "block_actions",
    user: { id: options.userId, username: options.userId.toLowerCase(), team_id: "T0TEST" },
    api_app_id: "A0TEST",
    container: { type: "message", message_ts: "1700000001.000100", channel_id: "C0TEST" },
    actions: [{ action_id: options.actionId, block_id: "klaxon_actions", type: "button", value: options.value, action_ts: "1700000002.000200" }],
    ...(options.responseUrl ? { response_url: options.responseUrl } : {}),
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

function parseParams(body: string, contentType: string): Record<string, unknown> {
  if (contentType.includes("application/json")) return JSON.parse(body || "{}") as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of new URLSearchParams(body)) {
    out[key] = /^[[{]/.test(value) ? safeJson(value) : value;
  }
  return out;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function send(res: ServerResponse, status: number, body: string, contentType = "application/json; charset=utf-8"): void {
  res.writeHead(status, { "content-type": contentType });
  res.end(body);
}

/**
 * Slack refuses a message whose block texts pass its limits (section 3,000 characters, section field 2,000, header
 * 150, context element 3,000; at most 50 blocks), as the real API answers: `invalid_blocks` with a JSON pointer.
 */
function invalidBlocks(blocks: unknown): Record<string, unknown> | undefined {
  if (!Array.isArray(blocks)) return undefined;
  const errors: string[] = [];
  if (blocks.length > 50) errors.push("must be less than 51 items [json-pointer:/blocks]");
  const check = (text: unknown, max: number, pointer: string): void => {
    const value = (text as { text?: unknown } | undefined)?.text;
    if (typeof value === "string" && [...value].length > max) errors.push(`must be less than ${max + 1} characters [json-pointer:${pointer}/text]`);
  };
  blocks.forEach((block: { type?: string; text?: unknown; fields?: unknown[]; elements?: unknown[] }, i) => {
    if (block.type === "header") check(block.text, 150, `/blocks/${i}/text`);
    if (block.type === "section") {
      check(block.text, 3_000, `/blocks/${i}/text`);
      block.fields?.forEach((field, f) => check(field, 2_000, `/blocks/${i}/fields/${f}`));
    }
    if (block.type === "context") block.elements?.forEach((element, e) => check(element, 3_000, `/blocks/${i}/elements/${e}`));
  });
  return errors.length > 0 ? { ok: false, error: "invalid_blocks", errors, response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) } } : undefined;
}
