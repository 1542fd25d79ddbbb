import { z } from "zod";
import { notifyConfigSchema } from "../notify/config.schema.js";

const streamName = z.string().regex(/^[A-Za-z0-9_-]+$/, "stream names use letters, digits, '_' and '-'");
/** `memory.heapSoftLimitMb` as shipped: a storm of 100,000 alerts peaked at ~310 MB of RSS, not ~420 (docs/performance.md). */
const HEAP_SOFT_LIMIT_MB_DEFAULT = 128;
const subjectPrefix = z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, "a subject prefix is dot-separated tokens without wildcards");

/** Engine configuration. Every field has a default; a config file or the environment overrides them. */
export const configSchema = z.strictObject({
  nats: z
    .strictObject({
      servers: z.array(z.string().min(1)).min(1).default(["nats://127.0.0.1:4222"]),
      /** Credentials come from the environment or a file, never from a committed config. */
      tokenFile: z.string().optional(),
      name: z.string().default("klaxon"),
    })
    .prefault({}),
  streams: z
    .strictObject({
      events: streamName.default("KLAXON_EVENTS"),
      alerts: streamName.default("KLAXON_ALERTS"),
      deadLetter: streamName.default("KLAXON_DEADLETTER"),
      audit: streamName.default("KLAXON_AUDIT"),
      notifications: streamName.default("KLAXON_NOTIFICATIONS"),
      pages: streamName.default("KLAXON_PAGES"),
      /** How long events are kept: bounds replay and the stream's disk use. */
      eventsMaxAgeMs: z.number().int().positive().default(7 * 86_400_000),
      /** Re-announcements within this window are dropped by JetStream itself. */
      alertsDuplicateWindowMs: z.number().int().positive().default(10 * 60_000),
      /**
       * Copies JetStream keeps of every stream, KV bucket and object store (3 on a three-server NATS cluster). Unset:
       * Klaxon creates them with the server's default (one) and leaves the replica count to the operator.
       */
      replicas: z.number().int().min(1).max(5).optional(),
    })
    .prefault({}),
  subjects: z
    .strictObject({
      events: subjectPrefix.default("events"),
      alerts: subjectPrefix.default("klaxon.alerts"),
      deadLetter: subjectPrefix.default("klaxon.deadletter"),
      audit: subjectPrefix.default("klaxon.audit"),
      notifications: subjectPrefix.default("klaxon.notifications"),
      pages: subjectPrefix.default("klaxon.pages"),
    })
    .prefault({}),
  consumer: z
    .strictObject({
      durable: streamName.default("klaxon-evaluate"),
      /** A message delivered this many times goes to dead letter instead of being tried again. */
      maxDeliver: z.number().int().min(2).default(5),
      /** An event in flight when an engine dies is redelivered after this long. */
      ackWaitMs: z.number().int().min(1_000).default(10_000),
      batch: z.number().int().min(1).max(10_000).default(1_000),
      /** The alert stage's durable consumer on the alerts stream. */
      alertsDurable: streamName.default("klaxon-alerts"),
      /** The escalation stage's durable consumer on the notifications stream. */
      escalateDurable: streamName.default("klaxon-escalate"),
      /** The notify stage's durable consumers: on the pages stream, and on the notifications stream for receivers' own channels. */
      notifyDurable: streamName.default("klaxon-notify"),
      /** The inventory stage's durable consumers: state reports, and change records (one filter subject each on 2.9). */
      inventoryStateDurable: streamName.default("klaxon-inventory-state"),
      inventoryChangeDurable: streamName.default("klaxon-inventory-change"),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxEventBytes: z.number().int().min(256).default(64 * 1024),
      maxFutureSkewMs: z.number().int().nonnegative().default(5 * 60_000),
    })
    .prefault({}),
  rulesDir: z.string().default("rules"),
  /** Re-read rules when files change (SIGHUP always works). */
  watchRules: z.boolean().default(true),
  state: z
    .strictObject({
      bucket: streamName.default("klaxon-state"),
      /** Alerts, groups and silences: one key each, compare-and-set on change. */
      alertBucket: streamName.default("klaxon-alert-state"),
      /** Incidents and pages. */
      escalationBucket: streamName.default("klaxon-escalation"),
      /** Fleet inventory state: one key per member, unknown reporter and source's recent change records. */
      inventoryBucket: streamName.default("klaxon-inventory"),
      /**
       * Every series is saved at least this often; parts are saved one at a time, evenly spread over it. A save costs
       * in proportion to the whole state (every window's samples) and a restart replays the events since the oldest
       * part: a minute keeps saving to a small share of the engine's time (docs/performance.md) and the replay short.
       */
      snapshotIntervalMs: z.number().int().min(100).default(60_000),
      /**
       * How many parts the evaluator's state is saved in: a save pauses evaluation for 1/parts of the whole. A change
       * restores from the parts saved under the old number, then saves the new ones and removes the old.
       */
      snapshotParts: z.number().int().min(1).max(256).default(64),
      /** Expired silences are kept (listed, auditable) this long, then deleted: Alertmanager's 120 h by default. */
      silenceRetentionMs: z.number().int().min(60_000).default(120 * 3_600_000),
    })
    .prefault({}),
  http: z
    .strictObject({
      /** 0 picks a free port (tests); leave out `port` to run without the HTTP API. */
      port: z.number().int().min(0).max(65_535).optional(),
      host: z.string().default("127.0.0.1"),
      /** Lines of "<actor> <token>": who may change state over HTTP, and the name the audit trail records. */
      tokensFile: z.string().optional(),
    })
    .prefault({}),
  /** Several replicas share the work: evaluation partitions and the coordinator role, held by leases in KV. */
  cluster: z
    .strictObject({
      /** Unique per replica and stable across its restarts (a host or pod name); default: the host name. */
      instanceId: z.string().regex(/^[A-Za-z0-9_-]+$/, "instance ids use letters, digits, '_' and '-'").optional(),
      /** Evaluation partitions; more than 1 needs the nats-server subject mapping `klaxon cluster mapping` prints. */
      partitions: z.number().int().min(1).max(256).default(1),
      /** A replica silent this long is dead: its roles move to the others. */
      leaseMs: z.number().int().min(200).default(10_000),
      /** How often a replica renews its heartbeat and rebalances; well under leaseMs. */
      renewMs: z.number().int().min(50).default(2_000),
      bucket: streamName.default("klaxon-cluster"),
    })
    .prefault({})
    .refine((c) => c.renewMs * 2 <= c.leaseMs, { message: "cluster.renewMs must be at most half of cluster.leaseMs", path: ["renewMs"] }),
  /** Notification channels (Slack, email, SMS, webhooks), templates, retries and rate limits. */
  notify: notifyConfigSchema.prefault({}),
  /** Runtime control over NATS request/reply (log levels on `<subject>.log`); every replica answers for itself. */
  control: z
    .strictObject({
      enabled: z.boolean().default(true),
      subject: subjectPrefix.default("klaxon.control"),
    })
    .prefault({}),
  /** Each replica says it is alive and what it runs: an event an absence rule watches, and a KV record for the others. */
  heartbeat: z
    .strictObject({
      enabled: z.boolean().default(true),
      intervalMs: z.number().int().min(50).default(15_000),
      /** Replica records (`replica.<id>`): what each replica has loaded, and the drift it announced. */
      bucket: streamName.default("klaxon-replicas"),
      /** A record not rewritten for this long is dropped: the replica was retired. */
      retainMs: z.number().int().min(60_000).default(7 * 86_400_000),
      /** Independent watchers (a second Klaxon on another NATS) that get this replica's heartbeat events too. */
      watchers: z
        .array(
          z.strictObject({
            servers: z.array(z.string().min(1)).min(1),
            /** Credentials come from a file, never from the config itself. */
            tokenFile: z.string().optional(),
            /** The watcher's events subject prefix. */
            events: subjectPrefix.default("events"),
          }),
        )
        .default([]),
    })
    .prefault({}),
  /** What a replica has loaded, compared with its rules directory and with the other replicas. */
  drift: z
    .strictObject({
      enabled: z.boolean().default(true),
      intervalMs: z.number().int().min(50).default(60_000),
      /** A difference must last this long before it is raised, so a reload in progress is not drift. */
      toleranceMs: z.number().int().nonnegative().default(60_000),
    })
    .prefault({}),
  /** Fleet inventory: intended state in rules/inventory/, reports on `<events>.state.<source>`. */
  inventory: z
    .strictObject({
      /** A changed fact is judged this long after its report, so a change record still in transit counts. */
      changeGraceMs: z.number().int().nonnegative().default(30_000),
    })
    .prefault({}),
  /** How `klaxon run` tunes the Node process it runs in (never an Engine alone: tests run many in one process). */
  memory: z
    .strictObject({
      /**
       * The heap V8 should stay under, in MiB (Go's GOMEMLIMIT, for V8): as the live heap nears it, full collections
       * come sooner, and past it one comes for every 10% allocated; nothing fails. 0: V8's own choice, which let a
       * storm of 100,000 alerts (~140 MB live) grow to ~400 MB of RSS. docs/performance.md has the runs behind it.
       */
      heapSoftLimitMb: z.number().int().min(0).default(HEAP_SOFT_LIMIT_MB_DEFAULT),
    })
    .prefault({}),
  tickIntervalMs: z.number().int().min(10).default(1_000),
  /** Timers run this far behind the clock, so an event delayed in transit does not trip an absence rule. */
  lateEventToleranceMs: z.number().int().nonnegative().default(2_000),
  logLevel: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
});

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
