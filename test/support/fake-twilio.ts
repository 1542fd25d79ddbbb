// A local HTTP server that answers like Twilio's Messages API (POST /2010-04-01/Accounts/<sid>/Messages.json to send,
// GET on the same path to list, HTTP basic auth with the account sid and auth token) and records every message. Point
// the SDK at `fake.apiUrl`. Messages are "sent" the moment they are created, at the fake's clock (`now`).
//
//   const twilio = await FakeTwilio.start({ accountSid, authToken });
//   twilio.failNext(1, { status: 503, code: 20500 });           // the next request of any kind
//   twilio.failNext(1, { status: 503, code: 20500 }, "list");   // the next list request
//   ... twilio.messages ...
//   signTwilioRequest(authToken, publicUrl, params) signs an inbound webhook exactly as Twilio does.
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { closeServer, listenLocally, readBody } from "./local-http.js";

export interface TwilioMessage {
  sid: string;
  to: string;
  from: string;
  body: string;
  atMs: number;
}

export class FakeTwilio {
  readonly messages: TwilioMessage[] = [];
  /** Every request, including refused ones: method, path and status answered. */
  readonly requests: Array<{ method: string; path: string; status: number }> = [];
  private failures: Array<{ failure: { status: number; code: number; message?: string }; on: "create" | "list" | undefined }> = [];

  private readonly server: Server;
  private listeningPort = 0;

  private constructor(
    private readonly accountSid: string,
    private readonly authToken: string,
    private readonly now: () => number,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  get port(): number {
    return this.listeningPort;
  }

  static async start(options: { accountSid: string; authToken: string; now?: () => number }): Promise<FakeTwilio> {
    const fake = new FakeTwilio(options.accountSid, options.authToken, options.now ?? Date.now);
    fake.listeningPort = await listenLocally(fake.server);
    return fake;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next `count` requests (sends or lists only, when `on` says so) fail with this HTTP status and Twilio error code. */
  failNext(count: number, failure: { status: number; code: number; message?: string }, on?: "create" | "list"): void {
    for (let i = 0; i < count; i++) this.failures.push({ failure, on });
  }

  close(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const url = new URL(req.url ?? "/", "http://localhost");
    const path = url.pathname;
    const answer = (status: number, json: unknown): void => {
      this.requests.push({ method: req.method ?? "", path, status });
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(json));
    };
    const expected = `/2010-04-01/Accounts/${this.accountSid}/Messages.json`;
    const kind = req.method === "POST" ? "create" : req.method === "GET" ? "list" : undefined;
    if (!kind || path !== expected) return answer(404, { code: 20404, message: "The requested resource was not found", status: 404 });
    const basic = Buffer.from(`${this.accountSid}:${this.authToken}`).toString("base64");
    if (req.headers.authorization !== `Basic ${basic}`) return answer(401, { code: 20003, message: "Authenticate", status: 401 });
    const index = this.failures.findIndex((f) => f.on === undefined || f.on === kind);
    const failure = index < 0 ? undefined : this.failures.splice(index, 1)[0]?.failure;
    if (failure) return answer(failure.status, { code: failure.code, message: failure.message ?? "failure injected by the test", more_info: `https://www.twilio.com/docs/errors/${failure.code}`, status: failure.status });
    if (kind === "list") return answer(200, this.list(url.searchParams, expected));
    const params = new URLSearchParams(body);
    const to = params.get("To") ?? "";
    if (!/^\+[1-9]\d{1,14}$/.test(to)) return answer(400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.`, status: 400 });
    const message: TwilioMessage = { sid: `SM${randomBytes(16).toString("hex")}`, to, from: params.get("From") ?? "", body: params.get("Body") ?? "", atMs: this.now() };
    this.messages.push(message);
    answer(201, { ...this.messageJson(message, expected), status: "queued", date_sent: null });
  }

  /**
   * One page of the message log, newest first, filtered by To, From and DateSent (`DateSent>`, `DateSent<` or an exact
   * day). Like Twilio, the date filters compare days (UTC), not instants: `DateSent>=2026-01-15T10:00:00Z` is every
   * message sent on or after that day's midnight. Paging by `PageSize` (default 50), `Page` and `PageToken`.
   */
  private list(query: URLSearchParams, path: string): Record<string, unknown> {
    const day = (value: string | null): string | undefined => (value ? value.slice(0, 10) : undefined);
    const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
    const [to, from] = [query.get("To"), query.get("From")];
    const [after, before, on] = [day(query.get("DateSent>")), day(query.get("DateSent<")), day(query.get("DateSent"))];
    const matching = this.messages
      .filter((m) => (!to || m.to === to) && (!from || m.from === from))
      .filter((m) => (!after || dayOf(m.atMs) >= after) && (!before || dayOf(m.atMs) <= before) && (!on || dayOf(m.atMs) === on))
      .reverse();
    const pageSize = Math.max(1, Math.min(Number(query.get("PageSize") ?? 50) || 50, 1_000));
    const pageNumber = Number(query.get("Page") ?? 0) || 0;
    const start = pageNumber * pageSize;
    const filters = new URLSearchParams([...query].filter(([key]) => key !== "Page" && key !== "PageToken" && key !== "PageSize"));
    const filtersQuery = filters.toString() === "" ? "" : `${filters.toString()}&`;
    const pageUri = (page: number): string => `${path}?${filtersQuery}PageSize=${pageSize}&Page=${page}${page > 0 ? `&PageToken=PA${page * pageSize}` : ""}`;
    const more = start + pageSize < matching.length;
    return {
      messages: matching.slice(start, start + pageSize).map((m) => this.messageJson(m, path)),
      end: Math.max(start, Math.min(matching.length, start + pageSize) - 1),
      first_page_uri: pageUri(0),
      next_page_uri: more ? pageUri(pageNumber + 1) : null,
      page: pageNumber,
      page_size: pageSize,
      previous_page_uri: pageNumber > 0 ? pageUri(pageNumber - 1) : null,
      start,
      uri: pageUri(pageNumber),
    };
  }

  /** A message resource as Twilio shows it (dates in RFC 2822, every field present). */
  private messageJson(m: TwilioMessage, path: string): Record<string, unknown> {
    const date = new Date(m.atMs).toUTCString().replace("GMT", "+0000");
    return {
      account_sid: this.accountSid,
      api_version: "2010-04-01",
      body: m.body,
      date_created: date,
      date_sent: date,
      date_updated: date,
      direction: "outbound-api",
      error_code: null,
      error_message: null,
      from: m.from,
      messaging_service_sid: null,
      num_media: "0",
      num_segments: "1",
      price: null,
      price_unit: "USD",
      sid: m.sid,
      status: "delivered",
      subresource_uris: { media: `${path.replace(".json", "")}/${m.sid}/Media.json` },
      to: m.to,
      uri: `${path.replace(".json", "")}/${m.sid}.json`,
    };
  }
}

/**
 * X-Twilio-Signature as Twilio computes it for a form POST: the full URL, then each POST parameter's name and value
 * with the names sorted, HMAC-SHA1 with the auth token, base64.
 */
export function signTwilioRequest(authToken: string, url: string, params: Record<string, string>): string {
  const data = Object.keys(params)
    .sort()
    .reduce((text, key) => text + key + params[key], url);
  return createHmac("sha1", authToken).update(Buffer.from(data, "utf8")).digest("base64");
}

/** The parameters Twilio posts for an inbound SMS (the ones that matter, plus a few it always sends). */
export function inboundSmsParams(from: string, to: string, body: string): Record<string, string> {
  return { AccountSid: "AC00000000000000000000000000000000", MessageSid: `SM${randomBytes(16).toString("hex")}`, From: from, To: to, Body: body, NumMedia: "0", NumSegments: "1", ApiVersion: "2010-04-01" };
}
