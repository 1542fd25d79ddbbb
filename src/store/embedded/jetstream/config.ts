// Stream and consumer configurations as nats-server 2.9 echoes them: what the client sent plus the server's
// defaults, so that a client comparing configurations (provisioning drift checks, KV and object store binds) sees
// what it would see on a real server.
import { isValidSubject } from "../subjects.js";
import { JsApiError, jsErrors } from "./errors.js";

const SECOND_NS = 1_000_000_000;

export interface StreamConfig {
  name: string;
  subjects: string[];
  retention: string;
  max_consumers: number;
  max_msgs: number;
  max_bytes: number;
  max_age: number;
  max_msgs_per_subject: number;
  max_msg_size: number;
  discard: string;
  storage: string;
  num_replicas: number;
  duplicate_window: number;
  allow_direct: boolean;
  mirror_direct: boolean;
  allow_rollup_hdrs: boolean;
  deny_delete: boolean;
  deny_purge: boolean;
  sealed: boolean;
  [extra: string]: unknown;
}

export interface ConsumerConfig {
  name?: string;
  durable_name?: string;
  deliver_policy: string;
  opt_start_seq?: number;
  opt_start_time?: string;
  ack_policy: string;
  ack_wait: number;
  max_deliver: number;
  max_ack_pending: number;
  replay_policy: string;
  filter_subject?: string;
  filter_subjects?: string[];
  deliver_subject?: string;
  idle_heartbeat?: number;
  headers_only?: boolean;
  inactive_threshold?: number;
  max_waiting?: number;
  num_replicas: number;
  [extra: string]: unknown;
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function definedOnly(input: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined && value !== null));
}

export function normalizeStreamConfig(input: unknown, nameFromSubject: string): StreamConfig {
  const given = definedOnly(record(input));
  const name = typeof given["name"] === "string" ? given["name"] : nameFromSubject;
  if (name !== nameFromSubject) throw jsErrors.badRequest("stream name in subject does not match request");
  const subjects = Array.isArray(given["subjects"]) && given["subjects"].length > 0 ? given["subjects"].map(String) : [name];
  for (const subject of subjects) if (!isValidSubject(subject, true)) throw jsErrors.streamInvalidConfig(`invalid subject: ${subject}`);
  const config: StreamConfig = {
    retention: "limits",
    max_consumers: -1,
    max_msgs: -1,
    max_bytes: -1,
    max_age: 0,
    max_msgs_per_subject: -1,
    max_msg_size: -1,
    discard: "old",
    storage: "file",
    num_replicas: 1,
    duplicate_window: 120 * SECOND_NS,
    allow_direct: false,
    mirror_direct: false,
    allow_rollup_hdrs: false,
    deny_delete: false,
    deny_purge: false,
    sealed: false,
    ...given,
    name,
    subjects,
  };
  if (config.num_replicas === 0) config.num_replicas = 1;
  // One server, as a single nats-server without a cluster: it refuses replicas in the same words.
  if (config.num_replicas > 1) throw jsErrors.replicasNotSupported();
  // The server caps the duplicate window at max_age when that is shorter.
  if (config.max_age > 0 && config.duplicate_window > config.max_age) config.duplicate_window = config.max_age;
  if (config.retention !== "limits") throw jsErrors.notSupported(`retention ${config.retention}`);
  if (config["mirror"] !== undefined || config["sources"] !== undefined) throw jsErrors.notSupported("mirrors and sources");
  return config;
}

export function normalizeConsumerConfig(input: unknown): ConsumerConfig {
  const given = definedOnly(record(input));
  const push = typeof given["deliver_subject"] === "string" && given["deliver_subject"] !== "";
  if (typeof given["filter_subjects"] === "string") given["filter_subjects"] = [given["filter_subjects"]];
  const config: ConsumerConfig = {
    deliver_policy: "all",
    ack_policy: push ? "none" : "explicit",
    ack_wait: 30 * SECOND_NS,
    max_deliver: -1,
    max_ack_pending: 1000,
    replay_policy: "instant",
    num_replicas: 0,
    ...(push ? {} : { max_waiting: 512 }),
    ...given,
  };
  if (config.ack_policy === "none") delete (config as Record<string, unknown>)["max_ack_pending"];
  if (config.max_deliver === 0) config.max_deliver = -1;
  if (config.filter_subject === "") delete config.filter_subject;
  if (config.deliver_policy === "last_per_subject" && consumerFilters(config).length === 0 && config.filter_subject !== ">") {
    throw new JsApiError(400, 10094, "consumer delivery policy is deliver last per subject, but optional filter subject is not set");
  }
  return config;
}

/** The subjects a consumer takes, empty for all of the stream. */
export function consumerFilters(config: ConsumerConfig): string[] {
  const filters = [...(config.filter_subject === undefined ? [] : [config.filter_subject]), ...(config.filter_subjects ?? [])];
  return filters.filter((filter) => filter !== "" && filter !== ">");
}

/** Same configuration, ignoring key order. */
export function sameConfig(a: object, b: object): boolean {
  return canonical(a) === canonical(b);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
