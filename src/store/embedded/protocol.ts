// The NATS client protocol as the embedded server speaks it: an incremental parser of what clients send and writers
// for what the server sends. Payloads are framed by byte count, so a chunk boundary may fall anywhere, even inside a
// multibyte character; the parser never decodes a payload as text.
import { AppError } from "../../core/errors.js";

/** A client sent something that is not the NATS protocol; the server answers -ERR and drops the connection. */
export class ProtocolError extends AppError {}

export type ClientOp =
  | { kind: "connect"; options: Record<string, unknown> }
  | { kind: "ping" }
  | { kind: "pong" }
  | { kind: "pub"; subject: string; reply: string | undefined; headers: Uint8Array | undefined; payload: Uint8Array }
  | { kind: "sub"; subject: string; queue: string | undefined; sid: string }
  | { kind: "unsub"; sid: string; max: number | undefined };

const CRLF = Buffer.from("\r\n");
/** A control line longer than this without CRLF is an abuse, not a slow client. */
const MAX_CONTROL_LINE = 64 * 1024;

interface PendingPayload {
  subject: string;
  reply: string | undefined;
  headerBytes: number;
  totalBytes: number;
}

export class ProtocolParser {
  #buffer: Buffer = Buffer.alloc(0);
  #pending: PendingPayload | undefined;

  /** Feeds one TCP chunk; returns every op it completed (possibly none). Throws ProtocolError on garbage. */
  push(chunk: Uint8Array): ClientOp[] {
    this.#buffer = this.#buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.#buffer, chunk]);
    const ops: ClientOp[] = [];
    let offset = 0;
    for (;;) {
      if (this.#pending !== undefined) {
        const need = this.#pending.totalBytes + CRLF.length;
        if (this.#buffer.length - offset < need) break;
        const body = this.#buffer.subarray(offset, offset + this.#pending.totalBytes);
        if (this.#buffer[offset + this.#pending.totalBytes] !== 13 || this.#buffer[offset + this.#pending.totalBytes + 1] !== 10) {
          throw new ProtocolError("payload is longer than its declared size");
        }
        const { subject, reply, headerBytes } = this.#pending;
        // Copies: the buffer is reused for later chunks, a stored message must not change under it.
        const headers = headerBytes > 0 ? Uint8Array.prototype.slice.call(body, 0, headerBytes) : undefined;
        const payload = Uint8Array.prototype.slice.call(body, headerBytes);
        ops.push({ kind: "pub", subject, reply, headers, payload });
        offset += need;
        this.#pending = undefined;
        continue;
      }
      const end = this.#buffer.indexOf(CRLF, offset);
      if (end < 0) {
        if (this.#buffer.length - offset > MAX_CONTROL_LINE) throw new ProtocolError("control line too long");
        break;
      }
      const line = this.#buffer.toString("utf8", offset, end);
      offset = end + CRLF.length;
      const op = this.#controlLine(line);
      if (op !== undefined) ops.push(op);
    }
    this.#buffer = offset >= this.#buffer.length ? Buffer.alloc(0) : this.#buffer.subarray(offset);
    return ops;
  }

  /** Parses one control line; PUB/HPUB only record the frame and wait for its payload. */
  #controlLine(line: string): ClientOp | undefined {
    const space = line.indexOf(" ");
    const verb = (space < 0 ? line : line.slice(0, space)).toUpperCase();
    const rest = space < 0 ? "" : line.slice(space + 1);
    const args = rest.split(/[ \t]+/).filter((arg) => arg !== "");
    switch (verb) {
      case "PING":
        return { kind: "ping" };
      case "PONG":
        return { kind: "pong" };
      case "CONNECT":
        return { kind: "connect", options: parseConnect(rest) };
      case "PUB": {
        if (args.length !== 2 && args.length !== 3) throw new ProtocolError(`invalid PUB: ${line}`);
        const size = byteCount(args[args.length - 1]);
        this.#pending = { subject: args[0] ?? "", reply: args.length === 3 ? args[1] : undefined, headerBytes: 0, totalBytes: size };
        return undefined;
      }
      case "HPUB": {
        if (args.length !== 3 && args.length !== 4) throw new ProtocolError(`invalid HPUB: ${line}`);
        const headerBytes = byteCount(args[args.length - 2]);
        const totalBytes = byteCount(args[args.length - 1]);
        if (headerBytes > totalBytes) throw new ProtocolError(`invalid HPUB sizes: ${line}`);
        this.#pending = { subject: args[0] ?? "", reply: args.length === 4 ? args[1] : undefined, headerBytes, totalBytes };
        return undefined;
      }
      case "SUB":
        if (args.length !== 2 && args.length !== 3) throw new ProtocolError(`invalid SUB: ${line}`);
        return { kind: "sub", subject: args[0] ?? "", queue: args.length === 3 ? args[1] : undefined, sid: args[args.length - 1] ?? "" };
      case "UNSUB":
        if (args.length !== 1 && args.length !== 2) throw new ProtocolError(`invalid UNSUB: ${line}`);
        return { kind: "unsub", sid: args[0] ?? "", max: args.length === 2 ? byteCount(args[1]) : undefined };
      default:
        throw new ProtocolError(`unknown protocol operation: ${verb}`);
    }
  }
}

function byteCount(text: string | undefined): number {
  const value = Number(text);
  if (text === undefined || !/^\d+$/.test(text) || !Number.isSafeInteger(value)) throw new ProtocolError(`not a byte count: ${String(text)}`);
  return value;
}

function parseConnect(json: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(json);
    if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ProtocolError("CONNECT needs a JSON object");
}

// ---- what the server writes ------------------------------------------------------------------------------------

export function infoOp(info: Record<string, unknown>): Buffer {
  return Buffer.from(`INFO ${JSON.stringify(info)}\r\n`);
}

export const PONG = Buffer.from("PONG\r\n");
export const PING = Buffer.from("PING\r\n");
export const OK = Buffer.from("+OK\r\n");

export function errOp(message: string): Buffer {
  return Buffer.from(`-ERR '${message.replace(/'/g, "")}'\r\n`);
}

/** MSG or HMSG (when there are headers), sizes in bytes. */
export function messageOp(subject: string, sid: string, reply: string | undefined, headers: Uint8Array | undefined, payload: Uint8Array): Buffer {
  const replyPart = reply === undefined || reply === "" ? "" : ` ${reply}`;
  if (headers === undefined || headers.length === 0) {
    return Buffer.concat([Buffer.from(`MSG ${subject} ${sid}${replyPart} ${payload.length}\r\n`), payload, CRLF]);
  }
  const line = `HMSG ${subject} ${sid}${replyPart} ${headers.length} ${headers.length + payload.length}\r\n`;
  return Buffer.concat([Buffer.from(line), headers, payload, CRLF]);
}
