// One waiting pull request (`CONSUMER.MSG.NEXT` with {batch, max_bytes, expires, no_wait, idle_heartbeat}): how
// much it may still carry, when it expires, and the status messages the client counts on (100 heartbeats, 404, 408
// and 409 with Nats-Pending-Messages/Bytes so the client knows how much of its request went unused).
import { EMPTY, type Bus } from "../bus.js";
import { statusHeaders } from "../headers.js";

const NS_PER_MS = 1_000_000;

export class PullRequest {
  delivered = 0;
  #lastSentMs: number;

  private constructor(
    readonly reply: string,
    public batchLeft: number,
    readonly maxBytes: number,
    public bytesLeft: number,
    readonly expiresAtMs: number | undefined,
    readonly noWait: boolean,
    readonly heartbeatMs: number,
    nowMs: number,
  ) {
    this.#lastSentMs = nowMs;
  }

  /** Body: JSON options, a bare batch size, or empty for one message. */
  static parse(reply: string, body: Uint8Array, nowMs: number): PullRequest {
    const text = Buffer.from(body).toString("utf8").trim();
    let options: { batch?: number; max_bytes?: number; expires?: number; no_wait?: boolean; idle_heartbeat?: number } = {};
    if (/^\d+$/.test(text)) options = { batch: Number(text) };
    else if (text !== "") {
      try {
        options = JSON.parse(text) as typeof options;
      } catch {
        options = {};
      }
    }
    const batch = Math.max(1, Number(options.batch ?? 1));
    const maxBytes = Math.max(0, Number(options.max_bytes ?? 0));
    const expiresNs = Number(options.expires ?? 0);
    return new PullRequest(reply, batch, maxBytes, maxBytes, expiresNs > 0 ? nowMs + expiresNs / NS_PER_MS : undefined, options.no_wait === true, Number(options.idle_heartbeat ?? 0) / NS_PER_MS, nowMs);
  }

  canCarry(size: number): boolean {
    return this.maxBytes === 0 || size <= this.bytesLeft;
  }

  /** Counts one delivered message; true when the request is complete. */
  carried(size: number, nowMs: number): boolean {
    this.delivered++;
    this.batchLeft--;
    if (this.maxBytes > 0) this.bytesLeft -= size;
    this.#lastSentMs = nowMs;
    return this.batchLeft <= 0 || (this.maxBytes > 0 && this.bytesLeft <= 0);
  }

  expired(nowMs: number): boolean {
    return this.expiresAtMs !== undefined && nowMs >= this.expiresAtMs;
  }

  heartbeatDue(nowMs: number): boolean {
    return this.heartbeatMs > 0 && nowMs - this.#lastSentMs >= this.heartbeatMs;
  }

  heartbeat(bus: Bus, entries: Array<[string, string]>, nowMs: number): void {
    this.#lastSentMs = nowMs;
    bus.send(this.reply, { subject: this.reply, headers: statusHeaders(100, "Idle Heartbeat", entries), payload: EMPTY });
  }

  sendStatus(bus: Bus, code: number, description: string): void {
    const pending: Array<[string, string]> = [
      ["Nats-Pending-Messages", String(this.batchLeft)],
      ["Nats-Pending-Bytes", String(this.maxBytes > 0 ? this.bytesLeft : 0)],
    ];
    bus.send(this.reply, { subject: this.reply, headers: statusHeaders(code, description, pending), payload: EMPTY });
  }
}
