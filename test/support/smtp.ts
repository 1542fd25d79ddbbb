// A real SMTP server (the smtp-server package) on a local port that keeps every mail it receives, parsed enough for
// assertions: envelope, headers (Subject, Message-ID, In-Reply-To, References) and the text and HTML parts.
// `down()` closes the port (connections are refused, as with a dead mail server) and `up()` opens it again.
//
//   const smtp = await SmtpSink.start({ user: "klaxon", password: "secret" });
//   ... smtp.mails ...; await smtp.down(); ...; await smtp.up(); await smtp.close();
import { createServer as createNetServer } from "node:net";
import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";

export interface ReceivedMail {
  from: string;
  to: string[];
  headers: Record<string, string>;
  subject: string;
  messageId: string;
  inReplyTo: string | undefined;
  references: string | undefined;
  text: string;
  html: string;
  raw: string;
}

export class SmtpSink {
  readonly mails: ReceivedMail[] = [];
  /** Sessions that authenticated, and with which user. */
  readonly logins: string[] = [];
  /**
   * Connection errors, such as a client killed mid-session (the chaos run SIGKILLs engines): the server emits them as
   * 'error' events, which would otherwise crash the process that hosts it.
   */
  readonly connectionErrors: Error[] = [];
  private server: SMTPServer | undefined;

  private constructor(
    readonly port: number,
    private readonly credentials: { user: string; password: string } | undefined,
  ) {}

  static async start(options: { user?: string; password?: string } = {}): Promise<SmtpSink> {
    const sink = new SmtpSink(await freePort(), options.user !== undefined && options.password !== undefined ? { user: options.user, password: options.password } : undefined);
    await sink.up();
    return sink;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  async up(): Promise<void> {
    if (this.server) return;
    const credentials = this.credentials;
    const server = new SMTPServer({
      // No STARTTLS: a local test server has no certificate a client would trust.
      hideSTARTTLS: true,
      allowInsecureAuth: true,
      authOptional: credentials === undefined,
      logger: false,
      onAuth: (auth, _session, callback) => {
        if (credentials && auth.username === credentials.user && auth.password === credentials.password) {
          this.logins.push(auth.username ?? "");
          return callback(null, { user: auth.username });
        }
        callback(new Error("Invalid username or password"));
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.on("end", () => {
          const raw = Buffer.concat(chunks).toString("utf8");
          this.mails.push(parseMail(raw, session.envelope.mailFrom ? session.envelope.mailFrom.address : "", session.envelope.rcptTo.map((r) => r.address)));
          callback();
        });
      },
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    server.on("error", (error: Error) => this.connectionErrors.push(error));
    this.server = server;
  }

  /** Stop listening: new connections are refused until `up()`. */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  close(): Promise<void> {
    return this.down();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Just enough MIME: unfolded headers, and the text/plain and text/html parts (quoted-printable or base64). */
export function parseMail(raw: string, from: string, to: string[]): ReceivedMail {
  const { headers, body } = splitHeaders(raw);
  const parts = leafParts(headers, body);
  const part = (type: string): string => parts.find((p) => p.type === type)?.text ?? "";
  return {
    from,
    to,
    headers,
    subject: decodeWords(headers["subject"] ?? ""),
    messageId: headers["message-id"] ?? "",
    inReplyTo: headers["in-reply-to"],
    references: headers["references"],
    text: part("text/plain"),
    html: part("text/html"),
    raw,
  };
}

function splitHeaders(raw: string): { headers: Record<string, string>; body: string } {
  const normalized = raw.replace(/\r\n/g, "\n");
  const end = normalized.indexOf("\n\n");
  const head = end < 0 ? normalized : normalized.slice(0, end);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\n[ \t]+/g, " ").split("\n")) {
    const colon = line.indexOf(":");
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body: end < 0 ? "" : normalized.slice(end + 2) };
}

function leafParts(headers: Record<string, string>, body: string): Array<{ type: string; text: string }> {
  const contentType = headers["content-type"] ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (/^multipart\//i.test(contentType) && boundary) {
    return body
      .split(`--${boundary}`)
      .slice(1)
      .filter((chunk) => !chunk.startsWith("--"))
      .flatMap((chunk) => {
        const inner = splitHeaders(chunk.replace(/^\n/, ""));
        return leafParts(inner.headers, inner.body);
      });
  }
  const encoding = (headers["content-transfer-encoding"] ?? "7bit").toLowerCase();
  let text = body;
  if (encoding === "quoted-printable") {
    text = Buffer.from(body.replace(/=\n/g, "").replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), "latin1").toString("utf8");
  } else if (encoding === "base64") text = Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  return [{ type: contentType.split(";")[0]?.trim().toLowerCase() ?? "text/plain", text: text.replace(/\n$/, "") }];
}

/** RFC 2047 encoded words (=?UTF-8?Q?...?= / =?UTF-8?B?...?=), which nodemailer uses for non-ASCII subjects. */
function decodeWords(value: string): string {
  return value
    .replace(/\?=\s+=\?/g, "?==?")
    .replace(/=\?([^?]+)\?([QB])\?([^?]*)\?=/gi, (_m, _charset: string, kind: string, text: string) =>
      kind.toUpperCase() === "B"
        ? Buffer.from(text, "base64").toString("utf8")
        : Buffer.from(text.replace(/_/g, " ").replace(/=([0-9A-F]{2})/gi, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16))), "latin1").toString("utf8"),
    );
}
