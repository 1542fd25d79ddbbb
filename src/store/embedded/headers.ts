// NATS message headers: "NATS/1.0[ code description]\r\nKey: value\r\n...\r\n\r\n". The server reads a few of them
// (JetStream's Nats-* publish headers) and writes status messages (100 heartbeats, 404, 408, 409, 503).

export interface HeaderBlock {
  /** Status code of a status message, 0 for an ordinary header block. */
  code: number;
  description: string;
  entries: Array<[string, string]>;
}

const VERSION = "NATS/1.0";

export function decodeHeaders(raw: Uint8Array | undefined): HeaderBlock {
  const block: HeaderBlock = { code: 0, description: "", entries: [] };
  if (raw === undefined || raw.length === 0) return block;
  const lines = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString("utf8").split("\r\n");
  const status = (lines[0] ?? "").slice(VERSION.length).trim();
  if (status !== "") {
    const space = status.indexOf(" ");
    block.code = Number(space < 0 ? status : status.slice(0, space)) || 0;
    block.description = space < 0 ? "" : status.slice(space + 1);
  }
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    block.entries.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return block;
}

export function encodeHeaders(entries: ReadonlyArray<readonly [string, string]>, code = 0, description = ""): Uint8Array {
  const status = code === 0 ? VERSION : `${VERSION} ${code}${description === "" ? "" : ` ${description}`}`;
  return Buffer.from(`${status}\r\n${entries.map(([key, value]) => `${key}: ${value}\r\n`).join("")}\r\n`);
}

/** The last value of `key` (header names are case-sensitive on the wire, but clients canonicalise; match both). */
export function headerValue(block: HeaderBlock, key: string): string | undefined {
  const lower = key.toLowerCase();
  for (let i = block.entries.length - 1; i >= 0; i--) {
    const entry = block.entries[i];
    if (entry !== undefined && entry[0].toLowerCase() === lower) return entry[1];
  }
  return undefined;
}

/** A status message with no payload, e.g. `statusHeaders(408, "Request Timeout", [["Nats-Pending-Messages", "3"]])`. */
export function statusHeaders(code: number, description: string, entries: ReadonlyArray<readonly [string, string]> = []): Uint8Array {
  return encodeHeaders(entries, code, description);
}
