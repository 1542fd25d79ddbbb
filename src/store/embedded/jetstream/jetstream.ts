// The embedded JetStream as the server sees it: requests on `$JS.API.>`, acks on `$JS.ACK.>`, publishes captured by
// a stream (answered with a PubAck when they carry a reply), new listeners for push consumers, and a ticker for
// deadlines. Everything is in memory and outlives client connections (kill/restart keep it).
import type { Bus } from "../bus.js";
import { EMPTY } from "../bus.js";
import { JetStreamApi } from "./api.js";
import { JsApiError } from "./errors.js";
import { JetStreamRegistry } from "./registry.js";

const API_PREFIX = "$JS.API.";
const ACK_PREFIX = "$JS.ACK.";
/** Granularity of ack_wait redeliveries, pull expiries and heartbeats. */
const TICK_MS = 50;

export class EmbeddedJetStream {
  readonly registry: JetStreamRegistry;
  readonly #api: JetStreamApi;
  #ticker: NodeJS.Timeout | undefined;

  constructor(
    readonly bus: Bus,
    serverName: string,
    now: () => number = Date.now,
  ) {
    this.registry = new JetStreamRegistry(bus, now);
    this.#api = new JetStreamApi(this.registry, bus, serverName);
  }

  start(): void {
    this.#ticker ??= setInterval(() => this.registry.tick(), TICK_MS);
    // Tests and the demo stop the server explicitly; a forgotten one must not keep the process alive.
    this.#ticker.unref();
  }

  stop(): void {
    clearInterval(this.#ticker);
    this.#ticker = undefined;
  }

  /** True for subjects JetStream answers itself (API and acks): they never reach ordinary subscribers. */
  handles(subject: string): boolean {
    return subject.startsWith(API_PREFIX) || subject.startsWith(ACK_PREFIX);
  }

  handle(subject: string, reply: string | undefined, payload: Uint8Array): void {
    if (subject.startsWith(API_PREFIX)) {
      this.#api.handle(subject.slice(API_PREFIX.length).split("."), reply, payload);
      return;
    }
    // $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<timestamp>.<pending>
    const tokens = subject.split(".");
    const consumer = this.registry.streams.get(tokens[2] ?? "")?.consumers.get(tokens[3] ?? "");
    consumer?.ack(Number(tokens[5]), Buffer.from(payload).toString("utf8"), this.registry.now());
    if (reply !== undefined) this.bus.send(reply, { subject: reply, payload: EMPTY });
  }

  /** Stores a publish when a stream takes its subject; false when none does. */
  capture(subject: string, reply: string | undefined, headers: Uint8Array | undefined, payload: Uint8Array): boolean {
    const entry = this.registry.forSubject(subject);
    if (entry === undefined) return false;

    let response: unknown;
    try {
      response = this.registry.publish(entry, subject, headers, payload);
    } catch (error) {
      if (!(error instanceof JsApiError)) throw error;
      response = { ...error.toJSON(), stream: entry.store.config.name };
    }
    if (reply !== undefined && reply !== "") this.bus.send(reply, { subject: reply, payload: Buffer.from(JSON.stringify(response)) });
    return true;
  }

  interestIn(subject: string): void {
    this.registry.interestIn(subject);
  }
}
