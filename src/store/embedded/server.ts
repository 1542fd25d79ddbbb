// EmbeddedNatsServer: an in-process server that speaks the NATS client protocol over TCP on 127.0.0.1 and keeps
// JetStream streams, consumers, KV and object-store data in memory.
//
// Why it exists: Klaxon's engine talks to NATS through the v3 client in dozens of places. Running that code
// unchanged against this server keeps the demo's code paths identical to production (NATS JetStream) on machines
// without a nats-server, and lets a chosen set of integration tests exercise it (KLAXON_TEST_NATS=embedded).
// It is not a NATS server for production: no persistence, no clustering, no auth, one account, and only the
// JetStream API subset Klaxon and the client use (see jetstream/api.ts).
//
// Fault injection for tests: kill() drops every connection abruptly and stops listening (memory state is kept, as
// a file store would keep it); restart() listens again on the same port with the same state.
import { randomBytes } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import type { Bus, OutboundMessage } from "./bus.js";
import { EMPTY } from "./bus.js";
import { ClientConnection, type ClientSubscription, type ConnectionHost } from "./connection.js";
import { statusHeaders } from "./headers.js";
import { EmbeddedJetStream } from "./jetstream/index.js";
import { compileMapping, mapSubject, type SubjectMapping } from "./mapping.js";
import { messageOp } from "./protocol.js";
import { SubscriptionIndex } from "./subjects.js";

export interface EmbeddedNatsOptions {
  /** Port on 127.0.0.1; a free one by default. */
  port?: number;
  /** Subject mappings applied to what clients publish, as in nats-server's `mappings` block. */
  mappings?: Record<string, string>;
}

const HOST = "127.0.0.1";
const MAX_PAYLOAD = 1_048_576;
const SAME_PORT_ATTEMPTS = 5;

export class EmbeddedNatsServer implements Bus, ConnectionHost {
  readonly maxPayload = MAX_PAYLOAD;
  readonly serverId = `N${randomBytes(27).toString("hex").toUpperCase().slice(0, 55)}`;
  readonly serverName = `klaxon-embedded-${randomBytes(3).toString("hex")}`;
  readonly jetstream: EmbeddedJetStream;
  readonly #subscriptions = new SubscriptionIndex<ClientSubscription>();
  readonly #connections = new Set<ClientConnection>();
  readonly #mappings: SubjectMapping[];
  #listener: Server | undefined;
  #port: number;
  #nextClientId = 1;
  #stopped = false;

  private constructor(options: EmbeddedNatsOptions) {
    this.#port = options.port ?? 0;
    this.#mappings = Object.entries(options.mappings ?? {}).map(([source, destination]) => compileMapping(source, destination));
    this.jetstream = new EmbeddedJetStream(this, this.serverName);
  }

  static async start(options: EmbeddedNatsOptions = {}): Promise<EmbeddedNatsServer> {
    const server = new EmbeddedNatsServer(options);
    await server.#listen();
    server.jetstream.start();
    return server;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `nats://${HOST}:${this.#port}`;
  }

  get running(): boolean {
    return this.#listener !== undefined;
  }

  /** Drops every client connection at once and stops listening; streams, consumers and messages stay. */
  async kill(): Promise<void> {
    const listener = this.#listener;
    this.#listener = undefined;
    for (const connection of [...this.#connections]) connection.close();
    if (listener !== undefined) await new Promise<void>((resolve) => listener.close(() => resolve()));
  }

  /** Listens again on the same port with the same state (kills first when still running). */
  async restart(): Promise<void> {
    if (this.#stopped) throw new Error("EmbeddedNatsServer.restart() after stop()");
    await this.kill();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#listen();
        return;
      } catch (error) {
        if (attempt >= SAME_PORT_ATTEMPTS) throw error;
        await sleep(100 * attempt);
      }
    }
  }

  /** Kills the server and forgets its state. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.jetstream.stop();
    await this.kill();
  }

  // ---- Bus: what JetStream sends -------------------------------------------------------------------------------

  send(target: string, message: OutboundMessage): boolean {
    const receivers = this.#subscriptions.receivers(target);
    for (const sub of receivers) {
      sub.owner.write(messageOp(message.subject, sub.sid, message.reply, message.headers, message.payload));
      sub.received++;
      if (sub.max !== undefined && sub.received >= sub.max) sub.owner.removeSubscription(sub);
    }
    return receivers.length > 0;
  }

  hasInterest(subject: string): boolean {
    return this.#subscriptions.hasInterest(subject);
  }

  // ---- ConnectionHost: what clients do -------------------------------------------------------------------------

  info(clientId: number): Record<string, unknown> {
    return { server_id: this.serverId, server_name: this.serverName, version: "2.9.10", proto: 1, go: "embedded (node)", host: HOST, port: this.#port, headers: true, jetstream: true, max_payload: MAX_PAYLOAD, client_id: clientId, client_ip: HOST };
  }

  publish(from: ClientConnection, published: string, reply: string | undefined, headers: Uint8Array | undefined, payload: Uint8Array): void {
    const subject = this.#mappings.length === 0 ? published : mapSubject(this.#mappings, published);
    if (this.jetstream.handles(subject)) {
      this.jetstream.handle(subject, reply, payload);
      return;
    }
    const stored = this.jetstream.capture(subject, reply, headers, payload);
    const delivered = this.send(subject, { subject, reply, headers, payload });
    // A request nobody can answer fails fast with a 503 status, as clients that set no_responders expect.
    if (!stored && !delivered && reply !== undefined && from.noResponders) {
      this.send(reply, { subject: reply, headers: statusHeaders(503, ""), payload: EMPTY });
    }
  }

  subscribe(sub: ClientSubscription): void {
    this.#subscriptions.add(sub);
    // Let the SUB finish first: a push consumer's deliveries go out once its subscriber is registered.
    queueMicrotask(() => this.jetstream.interestIn(sub.subject));
  }

  unsubscribe(sub: ClientSubscription): void {
    this.#subscriptions.remove(sub);
  }

  disconnected(connection: ClientConnection): void {
    this.#connections.delete(connection);
  }

  #listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const listener = createServer((socket: Socket) => {
        if (this.#listener !== listener) {
          socket.destroy();
          return;
        }
        this.#connections.add(new ClientConnection(socket, this.#nextClientId++, this));
      });
      listener.once("error", reject);
      listener.listen({ host: HOST, port: this.#port, exclusive: true }, () => {
        listener.off("error", reject);
        const address = listener.address();
        if (address !== null && typeof address !== "string") this.#port = address.port;
        this.#listener = listener;
        resolve();
      });
    });
  }
}
