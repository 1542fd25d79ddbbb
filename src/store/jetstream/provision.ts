import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { Objm } from "@nats-io/obj";
import type { Config } from "../../config/config.schema.js";
import { AppError } from "../../core/errors.js";
import { formatDuration } from "../../core/duration.js";
import { evaluationPartitions } from "../../cluster/partition.js";
import { inventoryFilters } from "../../inventory/subjects.js";

const MS_TO_NS = 1_000_000;
const MINUTE_NS = 60_000 * MS_TO_NS;

// ---- what Klaxon declares ---------------------------------------------------------------------------------------

/** Stream settings Klaxon pins: anything else on a stream (limits an operator set, say) is left alone. */
export interface StreamSettings {
  subjects: string[];
  storage: StorageType;
  retention: RetentionPolicy;
  max_age: number;
  duplicate_window: number;
  /** Append-only (the audit stream): JetStream refuses message deletes and purges, and never lets this be undone. */
  deny_delete?: boolean;
  deny_purge?: boolean;
  /** Pinned only when `streams.replicas` is configured: otherwise an operator's own choice stands. */
  num_replicas?: number;
}

export interface ConsumerSettings {
  filter_subject: string;
  ack_policy: AckPolicy;
  deliver_policy: DeliverPolicy;
  ack_wait: number;
  max_deliver: number;
  max_ack_pending: number;
}

/** A KV bucket is a stream `KV_<bucket>`; these are the settings of that stream Klaxon pins. */
export interface KvSettings {
  max_msgs_per_subject: number;
  storage: StorageType;
  max_age: number;
  num_replicas?: number;
}

export type Declaration =
  | { kind: "stream"; name: string; settings: StreamSettings }
  | { kind: "consumer"; stream: string; name: string; settings: ConsumerSettings }
  | { kind: "kv"; bucket: string; settings: KvSettings }
  | { kind: "objectstore"; bucket: string; settings: { storage: StorageType; num_replicas?: number } };

/** `num_replicas` when the configuration sets it; nothing (the server's default, or what an operator chose) when not. */
function replicasOf(config: Config): { num_replicas?: number } {
  return config.streams.replicas === undefined ? {} : { num_replicas: config.streams.replicas };
}

/** The streams Klaxon needs, derived from config (the benchmarks create the events stream from this too). */
export function streamConfigs(config: Config): Array<StreamSettings & { name: string }> {
  // Limits retention on file storage for all; a duplicate window where a re-announcement must be dropped.
  const stream = (name: string, prefix: string, extra: Partial<StreamSettings> = {}): StreamSettings & { name: string } => ({
    name,
    subjects: [`${prefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    max_age: 0,
    duplicate_window: 2 * MINUTE_NS,
    ...replicasOf(config),
    ...extra,
  });
  const hour = 60 * MINUTE_NS;
  return [
    stream(config.streams.events, config.subjects.events, { max_age: config.streams.eventsMaxAgeMs * MS_TO_NS }),
    stream(config.streams.alerts, config.subjects.alerts, { duplicate_window: config.streams.alertsDuplicateWindowMs * MS_TO_NS }),
    stream(config.streams.deadLetter, config.subjects.deadLetter),
    // Append-only: the API refuses deletes and purges (an existing stream is switched over); the hash chain catches the rest.
    stream(config.streams.audit, config.subjects.audit, { deny_delete: true, deny_purge: true }),
    // A flush repeated after a crash carries the same id: dropped here.
    stream(config.streams.notifications, config.subjects.notifications, { duplicate_window: hour }),
    // A page published again after a crash (claimed, sent, not yet marked sent) carries the same id: dropped here.
    stream(config.streams.pages, config.subjects.pages, { duplicate_window: hour }),
  ];
}

/**
 * JetStream's max_deliver for the consumers of alerts, notifications and pages: unlimited. With a limit the server
 * stops delivering a message after that many deliveries, silently; every nak of a page waiting for another replica's
 * lease, every ack wait that ran out on a killed replica counts, and a page that ran out was lost. Those stages
 * retry until a message succeeds (with backoff) and park what can never succeed themselves; the event consumers keep
 * `consumer.maxDeliver`, as their stages dead-letter an event that reaches it.
 */
const UNLIMITED_DELIVERIES = -1;

/** Every durable consumer: one line each. Add a stage's consumer (or a partition's) here and it is provisioned. */
export function consumerDeclarations(config: Config): Array<{ stream: string; durable: string; filter: string; ackPolicy?: AckPolicy; maxDeliver?: number }> {
  const inventory = inventoryFilters(config.subjects.events, config.cluster.partitions);
  const unlimited = UNLIMITED_DELIVERIES;
  return [
    // Evaluation acks in order, so one ack can settle a run of events (AckPolicy.All): a fraction of the acks.
    ...evaluationPartitions(config).map((p) => ({ stream: config.streams.events, durable: p.durable, filter: `${p.subjectPrefix}.>`, ackPolicy: AckPolicy.All })),
    { stream: config.streams.alerts, durable: config.consumer.alertsDurable, filter: `${config.subjects.alerts}.>`, maxDeliver: unlimited },
    { stream: config.streams.notifications, durable: config.consumer.escalateDurable, filter: `${config.subjects.notifications}.>`, maxDeliver: unlimited },
    { stream: config.streams.pages, durable: config.consumer.notifyDurable, filter: `${config.subjects.pages}.>`, maxDeliver: unlimited },
    { stream: config.streams.notifications, durable: config.consumer.notifyDurable, filter: `${config.subjects.notifications}.>`, maxDeliver: unlimited },
    { stream: config.streams.events, durable: config.consumer.inventoryStateDurable, filter: inventory.state },
    { stream: config.streams.events, durable: config.consumer.inventoryChangeDurable, filter: inventory.change },
  ];
}

/** Everything Klaxon needs in JetStream, in the order it must be created (a consumer after its stream). */
export function declareResources(config: Config): Declaration[] {
  const kv = (bucket: string): Declaration => ({ kind: "kv", bucket, settings: { max_msgs_per_subject: 1, storage: StorageType.File, max_age: 0, ...replicasOf(config) } });
  return [
    ...streamConfigs(config).map(({ name, ...settings }): Declaration => ({ kind: "stream", name, settings })),
    ...consumerDeclarations(config).map(
      ({ stream, durable, filter, ackPolicy, maxDeliver }): Declaration => ({
        kind: "consumer",
        stream,
        name: durable,
        settings: {
          filter_subject: filter,
          ack_policy: ackPolicy ?? AckPolicy.Explicit,
          deliver_policy: DeliverPolicy.All,
          ack_wait: config.consumer.ackWaitMs * MS_TO_NS,
          max_deliver: maxDeliver ?? config.consumer.maxDeliver,
          max_ack_pending: Math.max(config.consumer.batch * 4, 1_000),
        },
      }),
    ),
    kv(config.state.alertBucket),
    kv(config.state.escalationBucket),
    kv(config.state.inventoryBucket),
    kv(config.cluster.bucket),
    { kind: "objectstore", bucket: config.state.bucket, settings: { storage: StorageType.File, ...replicasOf(config) } },
  ];
}

// ---- comparing with what exists ---------------------------------------------------------------------------------

export interface FieldChange {
  field: string;
  old: unknown;
  new: unknown;
}

/** One thing provisioning does (or would do, or cannot do). */
export type ProvisionChange =
  | { action: "created"; resource: string; settings: Record<string, unknown> }
  | { action: "updated"; resource: string; changes: FieldChange[] }
  | { action: "unchangeable"; resource: string; changes: FieldChange[]; reason: string };

/** Settings JetStream refuses to change on a live stream or consumer, and what an operator can do instead. */
const UNCHANGEABLE: Record<string, string> = {
  storage: "JetStream cannot change the storage type of an existing stream: back it up (nats stream backup), delete it, let Klaxon create it again and restore the data",
  retention: "JetStream 2.9 cannot change the retention policy of an existing stream: back it up, delete it, let Klaxon create it again and restore the data",
  ack_policy: "JetStream cannot change the ack policy of an existing consumer: stop every engine, delete the consumer (nats consumer rm) and start Klaxon, which creates it again (it then delivers the stream from its start)",
  deliver_policy: "JetStream cannot change the deliver policy of an existing consumer: stop every engine, delete the consumer (nats consumer rm) and start Klaxon, which creates it again (it then delivers the stream from its start)",
};

/** Fields measured in nanoseconds: shown as durations. */
const DURATIONS = new Set(["max_age", "duplicate_window", "ack_wait"]);

export function describeResource(d: Declaration): string {
  switch (d.kind) {
    case "stream":
      return `stream ${d.name}`;
    case "consumer":
      return `consumer ${d.stream}/${d.name}`;
    case "kv":
      return `kv ${d.bucket}`;
    case "objectstore":
      return `object store ${d.bucket}`;
  }
}

/** Human form of a setting: durations as "7d", lists comma-separated. */
export function formatSetting(field: string, value: unknown): string {
  if (DURATIONS.has(field) && typeof value === "number") return value === 0 ? "unlimited" : formatDuration(Math.round(value / MS_TO_NS));
  if (Array.isArray(value)) return value.join(", ");
  return String(value);
}

/** The name of the stream backing a declaration (streams, KV buckets, object stores). */
function streamNameOf(d: Exclude<Declaration, { kind: "consumer" }>): string {
  return d.kind === "stream" ? d.name : d.kind === "kv" ? `KV_${d.bucket}` : `OBJ_${d.bucket}`;
}

async function liveSettings(jsm: JetStreamManager, d: Declaration): Promise<Record<string, unknown> | undefined> {
  try {
    if (d.kind === "consumer") return (await jsm.consumers.info(d.stream, d.name)).config as unknown as Record<string, unknown>;
    return (await jsm.streams.info(streamNameOf(d))).config as unknown as Record<string, unknown>;
  } catch (error) {
    if (error instanceof JetStreamApiError && (error.code === JetStreamApiCodes.StreamNotFound || error.code === JetStreamApiCodes.ConsumerNotFound)) return undefined;
    throw error;
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && [...a].sort().every((v, i) => v === [...b].sort()[i]);
  return a === b;
}

/** What provisioning would do: read every declared resource and compare the settings Klaxon pins. Changes nothing. */
export async function planProvisioning(jsm: JetStreamManager, declarations: readonly Declaration[]): Promise<ProvisionChange[]> {
  const plan: ProvisionChange[] = [];
  for (const d of declarations) {
    const resource = describeResource(d);
    const live = await liveSettings(jsm, d);
    if (!live) {
      plan.push({ action: "created", resource, settings: { ...d.settings } });
      continue;
    }
    const differences = Object.entries(d.settings)
      .filter(([field, wanted]) => !sameValue(live[field], wanted))
      .map(([field, wanted]): FieldChange => ({ field, old: live[field] ?? null, new: wanted }));
    const blocked = differences.filter((c) => UNCHANGEABLE[c.field] !== undefined);
    const changeable = differences.filter((c) => UNCHANGEABLE[c.field] === undefined);
    if (changeable.length > 0) plan.push({ action: "updated", resource, changes: changeable });
    if (blocked.length > 0) plan.push({ action: "unchangeable", resource, changes: blocked, reason: blocked.map((c) => UNCHANGEABLE[c.field]).join("; ") });
  }
  return plan;
}

// ---- making it so -----------------------------------------------------------------------------------------------

/** A change JetStream refused: names the resource, the settings and the server's reason. */
export class ProvisionError extends AppError {}

async function create(jsm: JetStreamManager, d: Declaration): Promise<void> {
  switch (d.kind) {
    case "stream":
      await jsm.streams.add({ name: d.name, ...d.settings });
      return;
    case "consumer":
      await jsm.consumers.add(d.stream, { durable_name: d.name, ...d.settings });
      return;
    case "kv":
      await new Kvm(jsm.jetstream()).create(d.bucket, {
        history: d.settings.max_msgs_per_subject,
        storage: d.settings.storage,
        ...(d.settings.max_age > 0 ? { ttl: d.settings.max_age / MS_TO_NS } : {}),
        ...(d.settings.num_replicas === undefined ? {} : { replicas: d.settings.num_replicas }),
      });
      return;
    case "objectstore":
      await new Objm(jsm.jetstream()).create(d.bucket, { storage: d.settings.storage, ...(d.settings.num_replicas === undefined ? {} : { replicas: d.settings.num_replicas }) });
      return;
  }
}

async function update(jsm: JetStreamManager, d: Declaration, changes: readonly FieldChange[]): Promise<void> {
  const patch = Object.fromEntries(changes.map((c) => [c.field, c.new]));
  if (d.kind === "consumer") {
    await jsm.consumers.update(d.stream, d.name, patch);
    return;
  }
  const name = streamNameOf(d);
  const live = (await jsm.streams.info(name)).config;
  await jsm.streams.update(name, { ...live, ...patch } as Partial<StreamConfig>);
}

/**
 * Apply a plan made by `planProvisioning`: create what is missing, change the settings that differ. What JetStream
 * cannot change on a live resource is not attempted; it stays in the result for the caller to report.
 */
export async function applyProvisioning(
  jsm: JetStreamManager,
  declarations: readonly Declaration[],
  plan: readonly ProvisionChange[],
  /** Each change is added here once made: what a failed apply did before it failed. */
  applied: ProvisionChange[] = [],
): Promise<void> {
  const byResource = new Map(declarations.map((d) => [describeResource(d), d] as const));
  for (const change of plan) {
    const d = byResource.get(change.resource);
    if (!d || change.action === "unchangeable") continue;
    try {
      if (change.action === "created") await create(jsm, d);
      else await update(jsm, d, change.changes);
      applied.push(change);
    } catch (error) {
      const what = change.action === "created" ? "create" : `change ${change.changes.map((c) => `${c.field} (${formatSetting(c.field, c.old)} → ${formatSetting(c.field, c.new)})`).join(", ")} of`;
      throw new ProvisionError(`cannot ${what} ${change.resource}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** Plans made and applied at most, when another replica is provisioning the same resources at the same moment. */
const PROVISION_ATTEMPTS = 3;

/**
 * Make JetStream hold what Klaxon declares: create what is missing and reconcile settings that were changed by hand.
 * Returns every change made (and every difference JetStream cannot change), for the audit trail.
 */
export async function provision(jsm: JetStreamManager, config: Config): Promise<{ changes: ProvisionChange[]; created: string[] }> {
  const declarations = declareResources(config);
  const applied: ProvisionChange[] = [];
  for (let attempt = 1; ; attempt++) {
    const plan = await planProvisioning(jsm, declarations);
    try {
      await applyProvisioning(jsm, declarations, plan, applied);
      const changes = [...applied, ...plan.filter((c) => c.action === "unchangeable")];
      return { changes, created: applied.filter((c) => c.action === "created").map((c) => c.resource) };
    } catch (error) {
      // Replicas started at the same moment each plan to create what is missing, and all but one are refused (as
      // "subjects overlap with an existing stream", say): planned again, it exists and is only compared. A refusal
      // for any other reason is refused again, and reported.
      if (attempt >= PROVISION_ATTEMPTS) throw error;
    }
  }
}

