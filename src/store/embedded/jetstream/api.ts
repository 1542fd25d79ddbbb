// The `$JS.API.>` requests the engine and the v3 client make, answered from the registry in JetStream's JSON shapes.
// Anything else gets a JetStream error rather than silence, so a missing feature shows up as an error that names it.
import type { Bus } from "../bus.js";
import { subjectsOverlap } from "../subjects.js";
import { normalizeStreamConfig } from "./config.js";
import { JsApiError, jsErrors } from "./errors.js";
import { directGetReply, findMessage, msgGetResponse, type MessageQuery } from "./messages.js";
import type { JetStreamRegistry, StreamEntry } from "./registry.js";

const PAGE = 1024;

type Json = Record<string, unknown>;

export class JetStreamApi {
  #total = 0;
  #errors = 0;

  constructor(
    readonly registry: JetStreamRegistry,
    readonly bus: Bus,
    readonly serverName: string,
  ) {}

  /** `tokens` are the subject's tokens after `$JS.API`. */
  handle(tokens: string[], reply: string | undefined, payload: Uint8Array): void {
    this.#total++;
    const [group, op, ...rest] = tokens;
    if (group === "CONSUMER" && op === "MSG" && rest[0] === "NEXT") {
      // Pull requests are answered by deliveries, not by a JSON reply.
      if (reply === undefined) return;
      try {
        this.registry.consumer(rest[1] ?? "", rest[2] ?? "").pull(reply, payload, this.registry.now());
      } catch (error) {
        if (error instanceof JsApiError) this.#reply(reply, error.toJSON());
        else throw error;
      }
      return;
    }
    if (group === "DIRECT" && op === "GET") {
      if (reply === undefined) return;
      const entry = this.registry.streams.get(rest[0] ?? "");
      if (entry === undefined) {
        this.bus.send(reply, directGetReply("", reply, undefined));
        return;
      }
      const lastBySubject = rest.slice(1).join(".");
      const query = lastBySubject === "" ? (parse(payload) as MessageQuery) : { last_by_subj: lastBySubject };
      let message;
      try {
        message = findMessage(entry.store, query);
      } catch {
        message = undefined;
      }
      this.bus.send(reply, directGetReply(entry.store.config.name, reply, message));
      return;
    }
    let response: Json;
    try {
      response = this.#answer(group ?? "", op ?? "", rest, payload);
    } catch (error) {
      if (!(error instanceof JsApiError)) throw error;
      this.#errors++;
      response = error.toJSON();
    }
    if (reply !== undefined) this.#reply(reply, response);
  }

  #answer(group: string, op: string, rest: string[], payload: Uint8Array): Json {
    const body = parse(payload);
    const registry = this.registry;
    if (group === "INFO") return this.#accountInfo();
    if (group === "STREAM") {
      const name = rest[0] ?? "";
      switch (op) {
        case "CREATE":
          return this.#streamInfo(registry.createStream(normalizeStreamConfig(body, name)), {});
        case "UPDATE":
          return this.#streamInfo(registry.updateStream(normalizeStreamConfig(body, name)), {});
        case "INFO":
          return this.#streamInfo(registry.stream(name), body);
        case "DELETE":
          registry.deleteStream(name);
          return { success: true };
        case "PURGE": {
          const entry = registry.stream(name);
          if (entry.store.config.deny_purge) throw jsErrors.purgeDenied();
          const purged = entry.store.purge(str(body["filter"]), num(body["seq"]), num(body["keep"]));
          return { success: true, purged };
        }
        case "NAMES":
        case "LIST": {
          const subject = str(body["subject"]);
          const matching = [...registry.streams.values()].filter((entry) => subject === undefined || entry.store.config.subjects.some((pattern) => subjectsOverlap(pattern, subject)));
          const offset = num(body["offset"]) ?? 0;
          const page = matching.slice(offset, offset + PAGE);
          const streams = op === "NAMES" ? page.map((entry) => entry.store.config.name) : page.map((entry) => this.#streamInfo(entry, {}));
          return { type: `io.nats.jetstream.api.v1.stream_${op.toLowerCase()}_response`, total: matching.length, offset, limit: PAGE, streams };
        }
        case "MSG": {
          const entry = registry.stream(rest[1] ?? "");
          if (rest[0] === "GET") return msgGetResponse(findMessage(entry.store, body as MessageQuery));
          if (rest[0] === "DELETE") {
            if (entry.store.config.deny_delete) throw jsErrors.deleteDenied();
            const seq = num(body["seq"]) ?? 0;
            if (!entry.store.remove(seq)) throw jsErrors.sequenceNotFound(seq);
            return { success: true };
          }
          break;
        }
      }
    }
    if (group === "CONSUMER") {
      const stream = rest[0] ?? "";
      switch (op) {
        case "CREATE":
          return registry.createConsumer(stream, rest[1], rest.length > 2 ? rest.slice(2).join(".") : undefined, body).info(this.serverName, registry.now());
        case "DURABLE":
          if (rest[0] !== "CREATE") break;
          return registry.createConsumer(rest[1] ?? "", rest[2], undefined, body).info(this.serverName, registry.now());
        case "INFO":
          return registry.consumer(stream, rest[1] ?? "").info(this.serverName, registry.now());
        case "DELETE":
          registry.deleteConsumer(stream, rest[1] ?? "");
          return { success: true };
        case "NAMES":
        case "LIST": {
          const consumers = [...registry.stream(stream).consumers.values()];
          const offset = num(body["offset"]) ?? 0;
          const page = consumers.slice(offset, offset + PAGE);
          const listed = op === "NAMES" ? page.map((consumer) => consumer.name) : page.map((consumer) => consumer.info(this.serverName, registry.now()));
          return { type: `io.nats.jetstream.api.v1.consumer_${op.toLowerCase()}_response`, total: consumers.length, offset, limit: PAGE, consumers: listed };
        }
      }
    }
    throw jsErrors.notSupported(`$JS.API.${[group, op, ...rest].join(".")}`);
  }

  #accountInfo(): Json {
    let memory = 0;
    let consumers = 0;
    for (const entry of this.registry.streams.values()) {
      memory += entry.store.bytes;
      consumers += entry.consumers.size;
    }
    const unlimited = { max_memory: -1, max_storage: -1, max_streams: -1, max_consumers: -1, max_ack_pending: -1, memory_max_stream_bytes: -1, storage_max_stream_bytes: -1, max_bytes_required: false };
    return { type: "io.nats.jetstream.api.v1.account_info_response", memory, storage: 0, reserved_memory: 0, reserved_storage: 0, streams: this.registry.streams.size, consumers, limits: unlimited, api: { total: this.#total, errors: this.#errors } };
  }

  #streamInfo(entry: StreamEntry, request: Json): Json {
    const state: Json = { ...entry.store.state(), consumer_count: entry.consumers.size };
    const filter = str(request["subjects_filter"]);
    if (filter !== undefined) state["subjects"] = entry.store.subjectCounts(filter);
    const nowMs = this.registry.now();
    return { type: "io.nats.jetstream.api.v1.stream_info_response", config: entry.store.config, created: new Date(entry.store.createdMs).toISOString(), state, cluster: { leader: this.serverName }, ts: new Date(nowMs).toISOString() };
  }

  #reply(reply: string, response: Json): void {
    this.bus.send(reply, { subject: reply, payload: Buffer.from(JSON.stringify(response)) });
  }
}

function parse(payload: Uint8Array): Json {
  if (payload.length === 0) return {};
  try {
    const value: unknown = JSON.parse(Buffer.from(payload).toString("utf8"));
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Json) : {};
  } catch {
    throw jsErrors.badRequest("invalid JSON");
  }
}

function str(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function num(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}
