// One client connection: parses what the client sends, keeps its subscriptions, and writes what the server sends.
// Writes within one event-loop turn are corked into one TCP write.
import type { Socket } from "node:net";
import { OK, PONG, ProtocolParser, errOp, infoOp, type ClientOp } from "./protocol.js";
import type { Subscription } from "./subjects.js";
import { isValidSubject } from "./subjects.js";

export interface ClientSubscription extends Subscription {
  readonly owner: ClientConnection;
  /** UNSUB <sid> <max>: removed after this many messages. */
  max: number | undefined;
  received: number;
}

export interface ConnectionHost {
  info(clientId: number): Record<string, unknown>;
  maxPayload: number;
  publish(from: ClientConnection, subject: string, reply: string | undefined, headers: Uint8Array | undefined, payload: Uint8Array): void;
  subscribe(sub: ClientSubscription): void;
  unsubscribe(sub: ClientSubscription): void;
  disconnected(connection: ClientConnection): void;
}

export class ClientConnection {
  readonly subscriptions = new Map<string, ClientSubscription>();
  /** The client asked for a 503 status instead of silence when a request has no responder. */
  noResponders = false;
  #verbose = false;
  #corked = false;
  #closed = false;
  readonly #parser = new ProtocolParser();

  constructor(
    readonly socket: Socket,
    readonly id: number,
    readonly host: ConnectionHost,
  ) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => this.#receive(chunk));
    socket.on("error", () => this.close());
    socket.on("close", () => this.close());
    this.write(infoOp(host.info(id)));
  }

  write(frame: Uint8Array): void {
    if (this.#closed) return;
    if (!this.#corked) {
      this.#corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
  }

  /** Drops the connection at once (no flush), as a crashing server would. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.socket.destroy();
    for (const sub of this.subscriptions.values()) this.host.unsubscribe(sub);
    this.subscriptions.clear();
    this.host.disconnected(this);
  }

  #receive(chunk: Buffer): void {
    let ops: ClientOp[];
    try {
      ops = this.#parser.push(chunk);
    } catch (error) {
      this.write(errOp((error as Error).message));
      this.close();
      return;
    }
    for (const op of ops) {
      if (this.#closed) return;
      this.#apply(op);
    }
  }

  #apply(op: ClientOp): void {
    switch (op.kind) {
      case "connect":
        this.#verbose = op.options["verbose"] === true;
        this.noResponders = op.options["no_responders"] === true && op.options["headers"] === true;
        break;
      case "ping":
        this.write(PONG);
        return;
      case "pong":
        return;
      case "pub":
        // Not pedantic, like nats-server by default: wildcard characters are allowed (JetStream API subjects carry filters).
        if (!isValidSubject(op.subject, true)) {
          this.write(errOp("Invalid Publish Subject"));
          return;
        }
        if ((op.headers?.length ?? 0) + op.payload.length > this.host.maxPayload) {
          this.write(errOp("Maximum Payload Violation"));
          this.close();
          return;
        }
        this.host.publish(this, op.subject, op.reply, op.headers, op.payload);
        break;
      case "sub": {
        if (!isValidSubject(op.subject, true)) {
          this.write(errOp("Invalid Subject"));
          return;
        }
        const sub: ClientSubscription = { sid: op.sid, subject: op.subject, queue: op.queue, owner: this, max: undefined, received: 0 };
        this.subscriptions.set(op.sid, sub);
        this.host.subscribe(sub);
        break;
      }
      case "unsub": {
        const sub = this.subscriptions.get(op.sid);
        if (sub === undefined) break;
        if (op.max !== undefined && op.max > sub.received) sub.max = op.max;
        else this.removeSubscription(sub);
        break;
      }
    }
    if (this.#verbose) this.write(OK);
  }

  removeSubscription(sub: ClientSubscription): void {
    this.subscriptions.delete(sub.sid);
    this.host.unsubscribe(sub);
  }
}
