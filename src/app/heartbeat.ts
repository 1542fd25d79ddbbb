import { readFileSync } from "node:fs";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { z } from "zod";
import type { Config } from "../config/config.schema.js";
import type { Clock } from "../core/clock.js";
import { AppError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import type { KvReplicaStore } from "../store/jetstream/replica-store.js";
import type { ConfigSummary, DriftAlert } from "./drift-compare.js";
import type { Metrics } from "./metrics.js";
import { connectUntilStopped } from "./nats-connect.js";

/** The metric name of heartbeat events: what the shipped self-watch rule (`klaxon-heartbeat-missing`) watches. */
export const HEARTBEAT_METRIC = "klaxon_heartbeat";
/** A peer whose record has not changed for this many heartbeat intervals is not compared any more. */
const STALE_AFTER_INTERVALS = 3;

const encoder = new TextEncoder();

/** A replica's record as others read it; loose on purpose (not strict), since it may come from a newer version. */
export const replicaRecordSchema = z.object({
  replica: z.string(),
  startedAtMs: z.number(),
  atMs: z.number(),
  config: z.object({
    rules: z.object({ hash: z.string(), count: z.number() }),
    routing: z.object({ hash: z.string(), version: z.number() }),
    oncall: z.object({ hash: z.string() }),
  }),
  drift: z.array(z.object({ fingerprint: z.string(), labels: z.record(z.string(), z.string()), annotations: z.record(z.string(), z.string()), startsAtMs: z.number() })).default([]),
});
export type ReplicaRecord = z.output<typeof replicaRecordSchema>;

export interface HeartbeatDeps {
  replica: string;
  js: JetStreamClient;
  /** This NATS's events subject prefix. */
  events: string;
  store: KvReplicaStore;
  settings: Config["heartbeat"];
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  /** Heartbeat events go out only while the replica can do its work. */
  ready: () => boolean;
  config: () => ConfigSummary;
  drift: () => DriftAlert[];
}

interface WatcherLink {
  /** The watcher's host, never its credentials: it names the target in logs and metrics. */
  target: string;
  servers: string[];
  token: string | undefined;
  events: string;
  js?: JetStreamClient;
  nc?: NatsConnection;
}

function readToken(file: string, field: string): string {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new AppError(`${field}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/** A URL's host and port without user info, for labels and logs. */
function hostOf(server: string): string {
  try {
    return new URL(server.includes("://") ? server : `nats://${server}`).host;
  } catch {
    return "unparsable-url";
  }
}

/**
 * Each replica says, every `intervalMs`, that it is alive and ready: a metric event `klaxon_heartbeat` (source = the
 * replica) on its own events subject, where an ordinary absence rule pages when it stops, and on the events subject
 * of each independent watcher (another Klaxon on another NATS), so that the death of this whole installation pages
 * someone too. It also rewrites its KV record `replica.<id>` (what it has loaded, the drift it announced), which the
 * other replicas compare with their own.
 */
export class Heartbeat {
  private readonly startedAtMs: number;
  /** Per peer: the revision last read, when it was seen to change, and whether it has ever been seen to change. */
  private readonly seen = new Map<string, { revision: number; changedAtMs: number; moved: boolean }>();
  private readonly watchers: WatcherLink[];
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly deps: HeartbeatDeps) {
    this.startedAtMs = deps.clock.now();
    this.watchers = deps.settings.watchers.map((w, i) => ({
      target: `watcher:${hostOf(w.servers[0] as string)}`,
      servers: w.servers,
      token: w.tokenFile === undefined ? undefined : readToken(w.tokenFile, `heartbeat.watchers[${i}].tokenFile`),
      events: w.events,
    }));
  }

  /** Write the record now (the others see this replica at once); events follow every interval. */
  async start(): Promise<void> {
    for (const link of this.watchers) void this.connectWatcher(link);
    await this.saveRecord().catch((error: unknown) => this.deps.logger.warn({ err: String(error) }, "replica record not written; next heartbeat tries again"));
    this.timer = setInterval(() => void this.beat(), this.deps.settings.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all(this.watchers.map((w) => w.nc?.close().catch(() => undefined)));
  }

  /** The record this replica wrote before (a restart): the drift it had announced is its to resolve. */
  async previous(): Promise<ReplicaRecord | undefined> {
    const parsed = replicaRecordSchema.safeParse(await this.deps.store.get(this.deps.replica));
    return parsed.success ? parsed.data : undefined;
  }

  /**
   * The other replicas that are alive, with what they have loaded. Alive means this replica saw the record's revision
   * change, within the last few heartbeat intervals (elapsed time here, never another machine's clock): a record left
   * behind by a dead replica is never compared, not even once.
   */
  async peers(): Promise<Array<{ replica: string; summary: ConfigSummary }>> {
    const now = performance.now();
    const records = await this.deps.store.list();
    for (const { replica, revision } of records) {
      const last = this.seen.get(replica);
      if (!last) this.seen.set(replica, { revision, changedAtMs: now, moved: false });
      else if (last.revision !== revision) this.seen.set(replica, { revision, changedAtMs: now, moved: true });
    }
    const present = new Set(records.map((r) => r.replica));
    for (const replica of this.seen.keys()) if (!present.has(replica)) this.seen.delete(replica);
    const staleAfterMs = this.deps.settings.intervalMs * STALE_AFTER_INTERVALS;
    const out: Array<{ replica: string; summary: ConfigSummary }> = [];
    for (const { replica, record } of records) {
      const seen = this.seen.get(replica);
      if (replica === this.deps.replica || !seen?.moved || now - seen.changedAtMs >= staleAfterMs) continue;
      const parsed = replicaRecordSchema.safeParse(record);
      if (parsed.success) out.push({ replica, summary: parsed.data.config });
      else this.deps.logger.debug({ replica }, "replica record in an unknown format; not compared");
    }
    return out;
  }

  /** One heartbeat: the record always; the events only while ready. */
  async beat(): Promise<void> {
    if (this.stopped) return;
    await this.saveRecord().catch((error: unknown) => this.deps.logger.warn({ err: String(error) }, "replica record not written"));
    if (!this.deps.ready()) {
      this.deps.metrics.heartbeats.inc({ target: "local", outcome: "not_ready" });
      this.deps.logger.debug("not ready: no heartbeat event this time");
      return;
    }
    const event = encoder.encode(
      JSON.stringify({ type: "metric", source: this.deps.replica, service: "klaxon", name: HEARTBEAT_METRIC, value: 1, time: new Date(this.deps.clock.now()).toISOString() }),
    );
    const sent: string[] = [];
    const targets: Array<{ target: string; js: JetStreamClient | undefined; events: string }> = [
      { target: "local", js: this.deps.js, events: this.deps.events },
      ...this.watchers.map((w) => ({ target: w.target, js: w.js, events: w.events })),
    ];
    await Promise.all(
      targets.map(async ({ target, js, events }) => {
        if (!js) return this.deps.metrics.heartbeats.inc({ target, outcome: "not_connected" });
        try {
          await js.publish(`${events}.metric.${this.deps.replica}`, event);
          this.deps.metrics.heartbeats.inc({ target, outcome: "sent" });
          sent.push(target);
        } catch (error) {
          this.deps.metrics.heartbeats.inc({ target, outcome: "failed" });
          this.deps.logger.warn({ target, err: String(error) }, "heartbeat not delivered");
        }
      }),
    );
    this.deps.logger.debug({ targets: sent }, "heartbeat sent");
  }

  /** Rewrite this replica's record: what it runs and the drift it announced. */
  async saveRecord(): Promise<void> {
    const record: ReplicaRecord = { replica: this.deps.replica, startedAtMs: this.startedAtMs, atMs: this.deps.clock.now(), config: this.deps.config(), drift: this.deps.drift() };
    await this.deps.store.put(this.deps.replica, record);
  }

  private async connectWatcher(link: WatcherLink): Promise<void> {
    try {
      const nc = await connectUntilStopped(
        {
          servers: link.servers,
          name: `klaxon-heartbeat-${this.deps.replica}`,
          maxReconnectAttempts: -1,
          reconnectTimeWait: 1_000,
          ...(link.token === undefined ? {} : { token: link.token }),
        },
        () => this.stopped,
        (attempt, error) => {
          if (attempt === 1 || attempt % 60 === 0) this.deps.logger.warn({ target: link.target, attempt, err: String(error) }, "watcher NATS not reachable yet; retrying");
        },
        1_000,
      );
      link.nc = nc;
      link.js = jetstream(nc, { timeout: Math.max(1_000, Math.min(5_000, this.deps.settings.intervalMs)) });
    } catch {
      // stopped while connecting
    }
  }
}
