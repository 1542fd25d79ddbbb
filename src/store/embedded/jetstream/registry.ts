// The streams and consumers of the embedded JetStream: creating, updating and deleting them, finding the stream a
// published subject belongs to, storing a publish and telling the stream's consumers, and the periodic upkeep.
import { randomBytes } from "node:crypto";
import type { Bus } from "../bus.js";
import { subjectMatches, subjectsOverlap } from "../subjects.js";
import { normalizeConsumerConfig, sameConfig, type StreamConfig } from "./config.js";
import { Consumer } from "./consumer.js";
import { jsErrors } from "./errors.js";
import { DuplicateWindow, publishToStream, type PubAck } from "./publish.js";
import { StreamStore } from "./stream-store.js";

export interface StreamEntry {
  readonly store: StreamStore;
  readonly dedup: DuplicateWindow;
  readonly consumers: Map<string, Consumer>;
}

const SUBJECT_CACHE_LIMIT = 50_000;

export class JetStreamRegistry {
  readonly #streams = new Map<string, StreamEntry>();
  /** Published subject → its stream (or none): most publishes repeat a subject seen before. */
  readonly #bySubject = new Map<string, StreamEntry | null>();

  constructor(
    readonly bus: Bus,
    readonly now: () => number,
  ) {}

  get streams(): ReadonlyMap<string, StreamEntry> {
    return this.#streams;
  }

  stream(name: string): StreamEntry {
    const entry = this.#streams.get(name);
    if (entry === undefined) throw jsErrors.streamNotFound();
    return entry;
  }

  consumer(stream: string, name: string): Consumer {
    const consumer = this.stream(stream).consumers.get(name);
    if (consumer === undefined) throw jsErrors.consumerNotFound();
    return consumer;
  }

  forSubject(subject: string): StreamEntry | undefined {
    const cached = this.#bySubject.get(subject);
    if (cached !== undefined) return cached ?? undefined;
    let found: StreamEntry | null = null;
    for (const entry of this.#streams.values()) if (entry.store.config.subjects.some((pattern) => subjectMatches(pattern, subject))) found = entry;
    if (this.#bySubject.size >= SUBJECT_CACHE_LIMIT) this.#bySubject.clear();
    this.#bySubject.set(subject, found);
    return found ?? undefined;
  }

  /** Creates a stream; the same configuration again is a no-op, a different one an error (10058). */
  createStream(config: StreamConfig): StreamEntry {
    const existing = this.#streams.get(config.name);
    if (existing !== undefined) {
      if (sameConfig(existing.store.config, config)) return existing;
      throw jsErrors.streamNameInUse();
    }
    this.#checkOverlap(config);
    const consumers = new Map<string, Consumer>();
    const store = new StreamStore(config, this.now(), (message) => {
      for (const consumer of consumers.values()) consumer.onRemoved(message);
    });
    const entry: StreamEntry = { store, dedup: new DuplicateWindow(), consumers };
    this.#streams.set(config.name, entry);
    this.#bySubject.clear();
    return entry;
  }

  updateStream(config: StreamConfig): StreamEntry {
    const entry = this.stream(config.name);
    if (entry.store.config.deny_delete && !config.deny_delete) throw jsErrors.streamInvalidConfig("stream configuration update can not cancel deny message deletes");
    if (entry.store.config.deny_purge && !config.deny_purge) throw jsErrors.streamInvalidConfig("stream configuration update can not cancel deny purge");
    this.#checkOverlap(config);
    entry.store.config = config;
    entry.store.enforceLimits(this.now());
    this.#bySubject.clear();
    return entry;
  }

  deleteStream(name: string): void {
    const entry = this.stream(name);
    for (const consumer of entry.consumers.values()) consumer.close();
    this.#streams.delete(name);
    this.#bySubject.clear();
  }

  /**
   * CONSUMER.CREATE / DURABLE.CREATE. `action` "create" refuses a different configuration under an existing name
   * (10148), "update" refuses a missing consumer (10149), none creates or updates.
   */
  createConsumer(streamName: string, nameInSubject: string | undefined, filterInSubject: string | undefined, request: { config?: unknown; action?: string }): Consumer {
    const entry = this.stream(streamName);
    const config = normalizeConsumerConfig(request.config);
    const name = config.name ?? config.durable_name ?? nameInSubject ?? randomBytes(6).toString("hex").toUpperCase();
    if (nameInSubject !== undefined && nameInSubject !== name) throw jsErrors.badRequest("consumer name in subject does not match name in request");
    if (config.durable_name !== undefined && config.durable_name !== name) throw jsErrors.badRequest("consumer name in request does not match durable name");
    if (filterInSubject !== undefined && config.filter_subject !== filterInSubject) throw jsErrors.badRequest("consumer filter subject in subject does not match request");
    config.name = name;
    const existing = entry.consumers.get(name);
    if (existing !== undefined) {
      if (sameConfig(existing.config, config)) return existing;
      if (request.action === "create") throw jsErrors.consumerExists();
      existing.update(config);
      existing.dispatch(this.now());
      return existing;
    }
    if (request.action === "update") throw jsErrors.consumerDoesNotExist();
    const consumer = new Consumer(entry.store, name, config, this.bus, this.now());
    entry.consumers.set(name, consumer);
    consumer.dispatch(this.now());
    return consumer;
  }

  deleteConsumer(stream: string, name: string): void {
    const consumer = this.consumer(stream, name);
    consumer.close();
    this.stream(stream).consumers.delete(name);
  }

  /** Stores a publish (or finds it a duplicate) and lets the stream's consumers deliver it. */
  publish(entry: StreamEntry, subject: string, headers: Uint8Array | undefined, data: Uint8Array): PubAck {
    const nowMs = this.now();
    const ack = publishToStream(entry.store, entry.dedup, subject, headers, data, nowMs);
    const stored = ack.duplicate === true ? undefined : entry.store.get(ack.seq);
    if (stored !== undefined) for (const consumer of entry.consumers.values()) consumer.onStored(stored, nowMs);
    return ack;
  }

  /** A listener appeared on `subject`: push consumers delivering there can start. */
  interestIn(subject: string): void {
    const nowMs = this.now();
    for (const entry of this.#streams.values()) {
      for (const consumer of entry.consumers.values()) {
        const target = consumer.config.deliver_subject;
        if (target !== undefined && subjectMatches(subject, target)) consumer.dispatch(nowMs);
      }
    }
  }

  tick(): void {
    const nowMs = this.now();
    for (const entry of this.#streams.values()) {
      entry.store.expireAged(nowMs);
      entry.dedup.prune(entry.store.config.duplicate_window / 1_000_000, nowMs);
      for (const [name, consumer] of entry.consumers) {
        consumer.tick(nowMs);
        if (consumer.inactive(nowMs)) {
          consumer.close();
          entry.consumers.delete(name);
        }
      }
    }
  }

  #checkOverlap(config: StreamConfig): void {
    for (const other of this.#streams.values()) {
      if (other.store.config.name === config.name) continue;
      for (const mine of config.subjects) if (other.store.config.subjects.some((theirs) => subjectsOverlap(mine, theirs))) throw jsErrors.subjectsOverlap();
    }
  }
}
