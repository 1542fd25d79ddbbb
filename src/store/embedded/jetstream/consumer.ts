// One consumer of a stream: where it is in the stream, what it delivered and awaits acks for, and (pull) the waiting
// requests it serves or (push) its deliver subject. Delivery happens as soon as a message, a request or a listener
// is there; deadlines (ack_wait, request expiry, heartbeats) are checked by the owner's ticker via `tick`.
import { EMPTY, type Bus } from "../bus.js";
import { decodeHeaders, encodeHeaders, statusHeaders } from "../headers.js";
import { subjectMatches } from "../subjects.js";
import { consumerFilters, type ConsumerConfig } from "./config.js";
import { PendingAcks, type PendingAck } from "./pending-acks.js";
import { PullRequest } from "./pull-request.js";
import { startPosition } from "./start-position.js";
import type { StoredMessage, StreamStore } from "./stream-store.js";

const NS_PER_MS = 1_000_000;
const EPHEMERAL_INACTIVE_MS = 5_000;

interface Candidate {
  message: StoredMessage;
  /** Set for a redelivery. */
  pending?: PendingAck | undefined;
}

export class Consumer {
  config: ConsumerConfig;
  readonly createdMs: number;
  #filters: string[];
  #matchCache = new Map<string, boolean>();
  /** Next stream sequence to look at for a first delivery. */
  #cursor: number;
  /** DeliverPolicy.LastPerSubject: the sequences to deliver before continuing at the cursor. */
  #initial: number[] | undefined;
  #numPending = 0;
  #pendingDirty = true;
  #cseq = 0;
  #deliveredSseq: number;
  #floor = { cseq: 0, sseq: 0 };
  readonly #acks = new PendingAcks();
  readonly #waiting: PullRequest[] = [];
  /** A message taken for a pull request that could not carry it: the next delivery. */
  #held: Candidate | undefined;
  #lastPushMs: number;
  #lastActiveMs: number;

  constructor(
    readonly store: StreamStore,
    readonly name: string,
    config: ConsumerConfig,
    readonly bus: Bus,
    nowMs: number,
  ) {
    this.config = config;
    this.createdMs = nowMs;
    this.#lastPushMs = nowMs;
    this.#lastActiveMs = nowMs;
    this.#filters = consumerFilters(config);
    const start = startPosition(store, config, this.#filters, (subject) => this.matches(subject));
    this.#cursor = start.cursor;
    this.#initial = start.initial;
    this.#deliveredSseq = this.#cursor - 1;
    this.#floor = { cseq: 0, sseq: this.#cursor - 1 };
  }

  get isPush(): boolean {
    return this.config.deliver_subject !== undefined && this.config.deliver_subject !== "";
  }

  /** Changes what may change on a live consumer; a new filter recounts what is pending. */
  update(config: ConsumerConfig): void {
    this.config = config;
    this.#filters = consumerFilters(config);
    this.#matchCache.clear();
    this.#pendingDirty = true;
  }

  matches(subject: string): boolean {
    if (this.#filters.length === 0) return true;
    let hit = this.#matchCache.get(subject);
    if (hit === undefined) {
      if (this.#matchCache.size > 10_000) this.#matchCache.clear();
      hit = this.#filters.some((filter) => subjectMatches(filter, subject));
      this.#matchCache.set(subject, hit);
    }
    return hit;
  }

  get numPending(): number {
    if (this.#pendingDirty) {
      let count = (this.#initial ?? []).filter((seq) => this.store.get(seq) !== undefined).length;
      for (let seq = Math.max(this.#cursor, this.store.firstSeq); seq <= this.store.lastSeq; seq++) {
        const message = this.store.get(seq);
        if (message !== undefined && this.matches(message.subject)) count++;
      }
      this.#numPending = count;
      this.#pendingDirty = false;
    }
    return this.#numPending;
  }

  onStored(message: StoredMessage, nowMs: number): void {
    if (!this.#pendingDirty && this.matches(message.subject)) this.#numPending++;
    this.dispatch(nowMs);
  }

  onRemoved(message: StoredMessage): void {
    if (this.#initial !== undefined) this.#pendingDirty = true;
    else if (!this.#pendingDirty && message.seq >= this.#cursor && this.matches(message.subject)) this.#numPending--;
  }

  /** A pull request (`CONSUMER.MSG.NEXT`) whose replies go to `reply`. */
  pull(reply: string, body: Uint8Array, nowMs: number): void {
    this.#lastActiveMs = nowMs;
    if (this.isPush) {
      this.bus.send(reply, { subject: reply, headers: statusHeaders(409, "Consumer is push based"), payload: EMPTY });
      return;
    }
    const request = PullRequest.parse(reply, body, nowMs);
    this.#waiting.push(request);
    this.dispatch(nowMs);
    if (request.noWait && this.#waiting.includes(request)) {
      this.#waiting.splice(this.#waiting.indexOf(request), 1);
      if (request.delivered === 0) request.sendStatus(this.bus, 404, "No Messages");
      else request.sendStatus(this.bus, 408, "Request Timeout");
    }
  }

  /** An ack on `$JS.ACK...` for stream sequence `sseq`: +ACK (or empty), -NAK [{delay}], +WPI, +TERM, +NXT. */
  ack(sseq: number, body: string, nowMs: number): void {
    const kind = body.trim().split(/\s/, 1)[0] ?? "";
    if (kind === "" || kind === "+ACK" || kind === "+NXT" || kind === "+TERM") {
      if (this.config.ack_policy === "all" && kind !== "+TERM") this.#acks.settleUpTo(sseq);
      else this.#acks.settle(sseq);
    } else if (kind === "-NAK") {
      const json = body.trim().slice(4).trim();
      let delayNs = 0;
      if (json !== "") {
        try {
          delayNs = Number((JSON.parse(json) as { delay?: number }).delay ?? 0);
        } catch {
          delayNs = 0;
        }
      }
      this.#acks.nak(sseq, delayNs / NS_PER_MS, nowMs);
    } else if (kind === "+WPI") {
      this.#acks.extend(sseq, nowMs + this.config.ack_wait / NS_PER_MS);
    }
    this.dispatch(nowMs);
  }

  /** Delivers what can be delivered now. */
  dispatch(nowMs: number): void {
    if (this.isPush) {
      const target = this.config.deliver_subject ?? "";
      if (!this.bus.hasInterest(target)) return;
      for (let next = this.#take(); next !== undefined; next = this.#take()) {
        this.#deliver(target, next, nowMs);
        // Only a delivery counts as traffic: an idle heartbeat is due after idle_heartbeat without one.
        this.#lastPushMs = nowMs;
      }
      return;
    }
    while (this.#waiting.length > 0) {
      const request = this.#waiting[0] as PullRequest;
      if (!this.bus.hasInterest(request.reply)) {
        this.#waiting.shift();
        continue;
      }
      const next = this.#take();
      if (next === undefined) return;
      const size = next.message.data.length + (next.message.headers?.length ?? 0);
      if (!request.canCarry(size)) {
        this.#held = next;
        this.#waiting.shift();
        request.sendStatus(this.bus, 409, "Message Size Exceeds MaxBytes");
        continue;
      }
      this.#deliver(request.reply, next, nowMs);
      if (request.carried(size, nowMs)) this.#waiting.shift();
    }
  }

  /** Redeliveries due after ack_wait, expired pull requests, idle heartbeats, activity for inactive_threshold. */
  tick(nowMs: number): void {
    if (this.config.ack_policy !== "none" && this.#acks.expire(nowMs, this.config.max_deliver)) this.dispatch(nowMs);
    const last = { "Nats-Last-Consumer": String(this.#cseq), "Nats-Last-Stream": String(this.#deliveredSseq) };
    for (const request of [...this.#waiting]) {
      const gone = !this.bus.hasInterest(request.reply);
      if (gone || request.expired(nowMs)) {
        this.#waiting.splice(this.#waiting.indexOf(request), 1);
        if (!gone) request.sendStatus(this.bus, 408, "Request Timeout");
      } else if (request.heartbeatDue(nowMs)) {
        request.heartbeat(this.bus, Object.entries(last), nowMs);
      }
    }
    if (this.isPush) {
      const target = this.config.deliver_subject ?? "";
      const heartbeatMs = (this.config.idle_heartbeat ?? 0) / NS_PER_MS;
      if (this.bus.hasInterest(target)) {
        this.#lastActiveMs = nowMs;
        if (heartbeatMs > 0 && nowMs - this.#lastPushMs >= heartbeatMs) {
          this.bus.send(target, { subject: target, headers: statusHeaders(100, "Idle Heartbeat", Object.entries(last)), payload: EMPTY });
          this.#lastPushMs = nowMs;
        }
      }
    } else if (this.#waiting.length > 0) {
      this.#lastActiveMs = nowMs;
    }
  }

  /** An ephemeral consumer nobody used for its inactive_threshold (5 s by default) is removed, as nats-server does. */
  inactive(nowMs: number): boolean {
    const thresholdMs = this.config.inactive_threshold !== undefined && this.config.inactive_threshold > 0 ? this.config.inactive_threshold / NS_PER_MS : this.config.durable_name === undefined ? EPHEMERAL_INACTIVE_MS : undefined;
    return thresholdMs !== undefined && nowMs - this.#lastActiveMs > thresholdMs;
  }

  /** Tells waiting pull requests that the consumer is gone. */
  close(): void {
    for (const request of this.#waiting.splice(0)) request.sendStatus(this.bus, 409, "Consumer Deleted");
  }

  info(serverName: string, nowMs: number): Record<string, unknown> {
    const lowest = this.config.ack_policy === "none" ? undefined : this.#acks.lowest();
    const floor = this.config.ack_policy === "none" ? this.#floor : lowest === undefined ? { cseq: this.#cseq, sseq: this.#deliveredSseq } : { cseq: lowest.cseq - 1, sseq: lowest.sseq - 1 };
    return {
      type: "io.nats.jetstream.api.v1.consumer_info_response",
      stream_name: this.store.config.name,
      name: this.name,
      created: new Date(this.createdMs).toISOString(),
      config: { ...this.config, name: this.name },
      delivered: { consumer_seq: this.#cseq, stream_seq: this.#deliveredSseq },
      ack_floor: { consumer_seq: Math.max(0, floor.cseq), stream_seq: Math.max(0, floor.sseq) },
      num_ack_pending: this.#acks.size,
      num_redelivered: this.#acks.redelivered,
      num_waiting: this.#waiting.length,
      num_pending: this.numPending,
      cluster: { leader: serverName },
      ...(this.isPush ? { push_bound: this.bus.hasInterest(this.config.deliver_subject ?? "") } : {}),
      ts: new Date(nowMs).toISOString(),
    };
  }

  #take(): Candidate | undefined {
    if (this.#held !== undefined) {
      const held = this.#held;
      this.#held = undefined;
      return held;
    }
    for (let due = this.#acks.takeDue(); due !== undefined; due = this.#acks.takeDue()) {
      const message = this.store.get(due.sseq);
      if (message !== undefined) return { message, pending: due };
      this.#acks.settle(due.sseq);
    }
    if (this.config.ack_policy !== "none" && this.#acks.size >= this.config.max_ack_pending && this.config.max_ack_pending > 0) return undefined;
    while (this.#initial !== undefined && this.#initial.length > 0) {
      const message = this.store.get(this.#initial.shift() ?? 0);
      if (message === undefined) continue;
      if (!this.#pendingDirty) this.#numPending--;
      return { message };
    }
    this.#initial = undefined;
    this.#cursor = Math.max(this.#cursor, this.store.firstSeq);
    while (this.#cursor <= this.store.lastSeq) {
      const message = this.store.get(this.#cursor++);
      if (message === undefined || !this.matches(message.subject)) continue;
      if (!this.#pendingDirty) this.#numPending--;
      return { message };
    }
    return undefined;
  }

  #deliver(target: string, { message, pending }: Candidate, nowMs: number): void {
    const cseq = ++this.#cseq;
    const deliveries = (pending?.deliveries ?? 0) + 1;
    if (pending === undefined) this.#deliveredSseq = Math.max(this.#deliveredSseq, message.seq);
    if (this.config.ack_policy === "none") this.#floor = { cseq, sseq: message.seq };
    else this.#acks.track(message.seq, cseq, deliveries, nowMs + this.config.ack_wait / NS_PER_MS);
    const reply = `$JS.ACK.${this.store.config.name}.${this.name}.${deliveries}.${message.seq}.${cseq}.${message.timeMs}000000.${this.numPending}`;
    const headersOnly = this.config.headers_only === true;
    const headers = headersOnly ? encodeHeaders([...decodeHeaders(message.headers).entries, ["Nats-Msg-Size", String(message.data.length)]]) : message.headers;
    this.bus.send(target, { subject: message.subject, reply, headers, payload: headersOnly ? EMPTY : message.data });
  }
}
