// A local HTTP server that answers like Twilio's Messages API (POST /2010-04-01/Accounts/<sid>/Messages.json, HTTP
// basic auth with the account sid and auth token) and records every message. Point the SDK at `fake.apiUrl`.
//
//   const twilio = await FakeTwilio.start({ accountSid, authToken });
//   twilio.failNext(1, { status: 503, code: 20500 });
//   ... twilio.messages ...
//   signTwilioRequest(authToken, publicUrl, params) signs an inbound webhook exactly as Twilio does.
import { createHmac, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

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
  private failures: Array<{ status: number; code: number; message?: string }> = [];

  private readonly server: Server;
  private listeningPort = 0;

  private constructor(
    private readonly accountSid: string,
    private readonly authToken: string,
  ) {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  get port(): number {
    return this.listeningPort;
  }

  static async start(options: { accountSid: string; authToken: string }): Promise<FakeTwilio> {
    const fake = new FakeTwilio(options.accountSid, options.authToken);
    await new Promise<void>((resolve) => fake.server.listen(0, "127.0.0.1", resolve));
    fake.listeningPort = (fake.server.address() as AddressInfo).port;
    return fake;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next `count` message requests fail with this HTTP status and Twilio error code. */
  failNext(count: number, failure: { status: number; code: number; message?: string }): void {
    for (let i = 0; i < count; i++) this.failures.push(failure);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = new URL(req.url ?? "/", "http://localhost").pathname;
    const answer = (status: number, json: unknown): void => {
      this.requests.push({ method: req.method ?? "", path, status });
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(json));
    };
    const expected = `/2010-04-01/Accounts/${this.accountSid}/Messages.json`;
    if (req.method !== "POST" || path !== expected) return answer(404, { code: 20404, message: "The requested resource was not found", status: 404 });
    const basic = Buffer.from(`${this.accountSid}:${this.authToken}`).toString("base64");
    if (req.headers.authorization !== `Basic ${basic}`) return answer(401, { code: 20003, message: "Authenticate", status: 401 });
    const failure = this.failures.shift();
    if (failure) return answer(failure.status, { code: failure.code, message: failure.message ?? "failure injected by the test", more_info: `https://www.twilio.com/docs/errors/${failure.code}`, status: failure.status });
    const params = new URLSearchParams(body);
    const to = params.get("To") ?? "";
    if (!/^\+[1-9]\d{1,14}$/.test(to)) return answer(400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.`, status: 400 });
    const message: TwilioMessage = { sid: `SM${randomBytes(16).toString("hex")}`, to, from: params.get("From") ?? "", body: params.get("Body") ?? "", atMs: Date.now() };
    this.messages.push(message);
    answer(201, { sid: message.sid, account_sid: this.accountSid, to: message.to, from: message.from, body: message.body, status: "queued", num_segments: "1", direction: "outbound-api", api_version: "2010-04-01", date_created: new Date().toUTCString(), uri: `${expected.replace(".json", "")}/${message.sid}.json` });
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

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
