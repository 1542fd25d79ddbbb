import { watch, type FSWatcher } from "node:fs";
import { readFileSync } from "node:fs";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { Config } from "../config/config.schema.js";
import { systemClock, type Clock } from "../core/clock.js";
import { ValidationError } from "../core/errors.js";
import { createLogger, type Logger } from "../core/logger.js";
import { compileRule, type CompiledRule } from "../rules/compiled-rule.js";
import type { RuleSet } from "../rules/loader.js";
import { diffRuleSets } from "../rules/rule-changes.js";
import { provision } from "../store/jetstream/provision.js";
import { JetStreamAlertSink, JetStreamAuditSink, JetStreamDeadLetterSink, ObjectStoreSnapshotStore } from "../store/jetstream/sinks.js";
import type { AlertSink, AuditSink, DeadLetterSink, SnapshotStore } from "../store/ports.js";
import { hostname } from "node:os";
import { evaluationPartitions } from "../cluster/partition.js";
import { KvClusterStore } from "../store/jetstream/cluster-store.js";
import { ClusterMembership } from "./cluster-membership.js";
import type { Inventory } from "../inventory/inventory.js";

import type { LoadedRouting } from "../alerts/routing-set.js";
import { alertBoard, byFingerprint } from "../alerts/alert-board.js";
import { boardSubject, requestBoard } from "./board-subject.js";
import { startHttpServer, type HttpRoute } from "../http/server.js";
import { TokenAuth } from "../http/tokens.js";
import { consoleRoutes } from "../http/console-routes.js";
import { oncallRoutes } from "../http/oncall-routes.js";
import type { Roster } from "../http/console/oncall-overview.js";
import { KvAlertStateStore } from "../store/jetstream/alert-state-store.js";
import { SilenceService } from "./silence-service.js";
import { EscalationService } from "./escalation-service.js";
import type { OnCallDirectory } from "../escalate/directory.js";
import { KvEscalationStore } from "../store/jetstream/escalation-store.js";
import { Lane } from "./lane.js";
import type { EvaluationStage } from "./evaluation-stage.js";
import { createMetrics, type Metrics } from "./metrics.js";
import { AuditWriter } from "./audit-writer.js";
import { notifyRoutes } from "./notify-routes.js";
import { TemplateSet } from "../notify/templates.js";
import { LogControl } from "./log-control.js";
import { DeferredAudit } from "./deferred-audit.js";
import { Readiness } from "./readiness.js";
import { OpsServices } from "./ops.js";
import { connectUntilStopped } from "./nats-connect.js";
import { healthRoutes, startingGate } from "../http/health-routes.js";
import { adminRoutes } from "../http/admin-routes.js";
import { AuditedDeadLetterSink } from "./audited-dead-letter-sink.js";
import { loadVersionedFiles, type VersionedFiles } from "./versioned-files.js";
import { COORDINATOR_ROLE, EngineRoles } from "./engine-roles.js";
import type { EngineContext } from "./engine-context.js";
import { gitRevision } from "./git-revision.js";
import { auditRoutes } from "../http/audit-routes.js";
import { AuditQueries } from "../store/jetstream/audit-queries.js";
import { canonicalJson, sha256Hex } from "../core/hash.js";
import { JsonArrayBody } from "../http/json-array-body.js";
import { valuesAt } from "../core/records.js";


export interface EngineOptions {
  config: Config;
  clock?: Clock;
  logger?: Logger;
  /** Who the audit trail says started this engine (a host name, a user). */
  actor?: string;
  /** Routes the engine's creator adds to the HTTP API (the demo's outbox), served beside the engine's own. */
  extraRoutes?: readonly HttpRoute[];
}

/** How long a replica waits for the coordinator's board before reading the store itself. */
const BOARD_REQUEST_TIMEOUT_MS = 2_000;

/**
 * The composition root: connects to NATS, provisions what is missing, loads the versioned files and runs the stages
 * in pipeline order — evaluation (events → alerts), the alert stage (alerts → group notifications), escalation
 * (notifications → pages) — plus the HTTP API and rule reloads.
 */
export class Engine {
  readonly metrics: Metrics = createMetrics();
  readonly config: Config;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly actor: string;
  private readonly lane = new Lane();
  private nc!: NatsConnection;
  private js!: JetStreamClient;
  private jsm!: JetStreamManager;
  readonly instanceId: string;
  private roles: EngineRoles | undefined;
  private inventory!: Inventory;
  private membership: ClusterMembership | undefined;
  private alertSink!: AlertSink;
  private snapshots!: SnapshotStore;
  private alertState!: KvAlertStateStore;
  private escalationStore!: KvEscalationStore;
  private deadLetters!: DeadLetterSink;
  private audit!: AuditSink;
  private auditWriter!: AuditWriter;
  private ruleSet!: RuleSet;
  /** The rule set compiled once when adopted, however many partitions start from it. */
  private compiledRules: CompiledRule[] = [];
  private routing!: LoadedRouting;
  private silenceService!: SilenceService;
  private escalationService!: EscalationService;
  private directory!: OnCallDirectory;
  private directoryHash = "";
  private roster: Roster = { users: [], schedules: [] };
  private http: { port: number; close(): Promise<void> } | undefined;
  private watcher: FSWatcher | undefined;
  private reloadDebounce: NodeJS.Timeout | undefined;
  private stopping = false;
  /** Log levels per module, changeable while running (HTTP admin API, NATS control subject). */
  readonly logs: LogControl;
  private readonly opsAudit: DeferredAudit;
  private readonly readiness: Readiness;
  private ops: OpsServices | undefined;
  /** The HTTP server reads this list per request: routes that need the running stages join it once they run. */
  private readonly routes: HttpRoute[] = [];
  private readonly extraRoutes: readonly HttpRoute[];
  private readonly onSighup = (): void => void this.reloadRules("SIGHUP");

  constructor(options: EngineOptions) {
    this.config = options.config;
    this.clock = options.clock ?? systemClock;
    this.logs = new LogControl(options.logger ?? createLogger({ level: options.config.logLevel }), { clock: this.clock, audit: (action, actor, details) => this.opsAudit.record(action, actor, details) });
    this.logger = this.logs.logger("engine");
    this.actor = options.actor ?? "engine";
    this.extraRoutes = options.extraRoutes ?? [];
    this.instanceId = options.config.cluster.instanceId ?? hostname().replace(/[^A-Za-z0-9_-]/g, "-");
    this.opsAudit = new DeferredAudit({ clock: this.clock, metrics: this.metrics, logger: this.logs.logger("audit"), replica: this.instanceId });
    this.readiness = new Readiness(
      { heldRoles: () => this.membership?.roles() ?? [], rules: () => (this.ruleSet ? { count: this.ruleSet.rules.length, hash: this.ruleSet.hash } : undefined), stopping: () => this.stopping },
      (connected, reconnected) => {
        this.metrics.natsConnected.set(connected ? 1 : 0);
        if (reconnected) this.metrics.natsReconnects.inc();
      },
    );
  }

  /**
   * Connect, provision, load rules, recover state and start consuming. Rejects on invalid rules. The HTTP server
   * comes first, so /healthz and /readyz tell the truth while the engine waits for NATS or recovers its state.
   */
  async start(): Promise<void> {
    if (this.config.http.port !== undefined) await this.startHttp(this.config.http.port);
    this.logs.start(this.config.tickIntervalMs);
    try {
      await this.startRunning();
    } catch (error) {
      await this.crash();
      throw error;
    }
  }

  private async startRunning(): Promise<void> {
    const { config } = this;
    const loaded = await loadVersionedFiles(config.rulesDir, config.cluster.partitions);
    const issues = loaded.ok ? [] : loaded.rejected.flatMap((group) => group.issues);
    issues.push(...(await TemplateSet.load(config.notify.templatesDir)).issues);
    if (!loaded.ok || issues.length > 0) throw new ValidationError(issues);
    this.adopt(loaded.files);

    this.nc = await connectUntilStopped(
      {
        servers: config.nats.servers,
        name: config.nats.name,
        maxReconnectAttempts: -1,
        reconnectTimeWait: 500,
        // Otherwise every request (each JetStream publish, each KV write) captures a stack trace up front in case it
        // fails: about 3% of the engine's CPU at 20,000 events/s. Request errors keep their message and cause.
        noAsyncTraces: true,
        ...(config.nats.tokenFile ? { token: readFileSync(config.nats.tokenFile, "utf8").trim() } : {}),
      },
      () => this.stopping,
      (attempt, error) => {
        if (attempt === 1 || attempt % 20 === 0) this.logger.warn({ attempt, err: String(error) }, "NATS not reachable yet; retrying");
      },
    );
    this.readiness.watch(this.nc);
    void this.watchConnection();
    this.jsm = await jetstreamManager(this.nc);
    this.js = jetstream(this.nc);
    const provisioned = await provision(this.jsm, config);

    // One hash chain per replica: its appends are serialised by this one sink, shared by every stage and service.
    this.audit = new JetStreamAuditSink(this.js, config.subjects.audit, { chainId: this.instanceId, stream: config.streams.audit });
    this.deadLetters = new AuditedDeadLetterSink(new JetStreamDeadLetterSink(this.js, config.subjects.deadLetter, () => this.nc.info?.max_payload), (action, details, subject) => this.recordAudit(action, details, subject));
    this.opsAudit.attach(this.audit);
    this.auditWriter = new AuditWriter(this.audit, this.actor, this.clock, this.metrics, this.logger, () => this.stopping);
    // Every resource provisioning created or changed, and every difference JetStream cannot change, is audited.
    for (const { action, ...change } of provisioned.changes) {
      if (action === "unchangeable") this.logger.error(change, "a JetStream setting differs from what Klaxon declares and cannot be changed on a live resource");
      await this.recordAudit(`provision.${action}`, change, change.resource);
    }
    // The hash identifies the rule set; listing every rule here would outgrow a message with thousands of rules.
    await this.recordAudit("engine.start", {
      instance: this.instanceId,
      rulesHash: this.ruleSet.hash,
      rules: this.ruleSet.rules.length,
      routingHash: this.routing.hash,
      oncallHash: this.directoryHash,
      configHash: sha256Hex(canonicalJson(config)),
      git: (await gitRevision(config.rulesDir)) ?? null,
    });

    this.alertSink = new JetStreamAlertSink(this.js, config.subjects.alerts);
    this.snapshots = new ObjectStoreSnapshotStore(this.nc, config.state.bucket);
    this.alertState = await KvAlertStateStore.open(this.nc, config.state.alertBucket);
    this.silenceService = new SilenceService(this.alertState, this.audit, this.clock);
    this.escalationStore = await KvEscalationStore.open(this.nc, config.state.escalationBucket);
    this.escalationService = new EscalationService(this.escalationStore, this.audit, this.clock, () => this.directory);
    // Made before the roles it runs (their stages ask its fence); it calls on them only once started, below.
    const membership: ClusterMembership = new ClusterMembership({
      store: await KvClusterStore.open(this.nc, config.cluster.bucket),
      instanceId: this.instanceId,
      roles: [COORDINATOR_ROLE, ...evaluationPartitions(config).map((p) => p.role)],
      leaseMs: config.cluster.leaseMs,
      renewMs: config.cluster.renewMs,
      runner: {
        start: async (role) => {
          await roles.start(role);
          this.readiness.roleStarted(role);
        },
        stop: (role, graceful): Promise<void> => {
          this.readiness.roleStopped(role);
          return roles.stop(role, graceful);
        },
      },
      logger: this.logs.logger("cluster"),
      metrics: this.metrics,
      recordAudit: (action, details) => this.recordAudit(action, details),
    });
    const roles: EngineRoles = new EngineRoles({
      ...this.context(),
      actor: this.actor,
      audit: this.audit,
      alertSink: this.alertSink,
      deadLetters: this.deadLetters,
      snapshots: this.snapshots,
      alertState: this.alertState,
      escalationStore: this.escalationStore,
      escalation: this.escalationService,
      silences: this.silenceService,
      recordAudit: (action, details) => this.recordAudit(action, details),
      holdsRole: (role) => this.membership?.holds(role) ?? Promise.resolve(false),
      fence: membership.fence,
      current: () => ({ rules: this.compiled(), rulesHash: this.ruleSet.hash, routing: this.routing, directory: this.directory, inventory: this.inventory }),
    });
    this.roles = roles;
    this.membership = membership;
    // The coordinator first: downstream stages listen before the first alert is evaluated.
    await membership.start();
    this.readiness.markJoined();
    this.ops = await this.startOps();
    this.routes.splice(0, this.routes.length, ...healthRoutes(this.healthSources()), ...this.httpRoutes());
    process.on("SIGHUP", this.onSighup);
    if (config.watchRules) this.watchRules();
    this.logger.info({ rules: this.ruleSet.rules.length, instance: this.instanceId, roles: membership.roles() }, "engine started");
  }

  /** Graceful stop: finish what is in hand, save a snapshot, close. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.shutdownLocal();
    await this.ops?.stop();
    await this.http?.close();
    const roles = this.membership?.roles() ?? [];
    await this.membership?.stop();
    await this.lane.idle();
    if (this.membership) await this.recordAudit("engine.stop", { instance: this.instanceId, roles }).catch(() => undefined);
    await this.nc?.drain().catch(() => undefined);
    this.opsAudit.close();
    this.logger.info("engine stopped");
  }

  /** Die without saving anything, as a crash would (tests use this to prove recovery). */
  async crash(): Promise<void> {
    this.stopping = true;
    this.shutdownLocal();
    void this.ops?.stop();
    this.opsAudit.close();
    this.membership?.halt();
    this.roles?.haltAll();
    await this.http?.close();
    await this.nc?.close().catch(() => undefined);
  }

  /**
   * What this replica holds and how far it got. `appliedSeq` is the lowest of its partitions' floors (every event
   * up to it is applied in every partition held here); counts are summed.
   */
  status(): ReturnType<EvaluationStage["status"]> & { rulesHash: string; instance: string; roles: string[] } {
    const stages = this.roles?.evaluationStatuses() ?? [];
    const sum = (pick: (s: ReturnType<EvaluationStage["status"]>) => number): number => stages.reduce((total, s) => total + pick(s), 0);
    return {
      appliedSeq: stages.length === 0 ? 0 : Math.min(...stages.map((s) => s.appliedSeq)),
      pendingAcks: sum((s) => s.pendingAcks),
      rules: stages[0]?.rules ?? this.ruleSet.rules.length,
      series: sum((s) => s.series),
      pendingAlerts: sum((s) => s.pendingAlerts),
      rulesHash: this.ruleSet.hash,
      instance: this.instanceId,
      roles: this.membership?.roles() ?? [],
    };
  }

  /** Re-read the rules directory. Invalid rules are refused as a whole and the running set stays. */
  reloadRules(trigger: string): Promise<{ ok: boolean; changes: number }> {
    return this.lane.run(async () => {
      const loaded = await loadVersionedFiles(this.config.rulesDir, this.config.cluster.partitions);
      const git = (await gitRevision(this.config.rulesDir)) ?? null;
      if (!loaded.ok) {
        this.metrics.ruleReloads.inc({ outcome: "rejected" });
        for (const { kind, issues } of loaded.rejected) {
          this.logger.error({ issues, trigger }, `${kind} reload rejected; everything loaded before stays in use`);
          await this.recordAudit(`${kind}.reload_rejected`, { trigger, git, issues });
        }
        return { ok: false, changes: 0 };
      }
      const { files } = loaded;
      let otherChanges = 0;
      if (files.inventory.hash !== this.inventory.hash) {
        await this.recordAudit("inventory.changed", { trigger, git, oldHash: this.inventory.hash, newHash: files.inventory.hash, version: files.inventory.version, files: files.inventory.files, members: files.inventory.members.length });
        await this.roles?.setInventory(files.inventory);
        otherChanges++;
      }
      if (files.directory.hash !== this.directoryHash) {
        await this.recordAudit("oncall.changed", { trigger, git, oldHash: this.directoryHash, newHash: files.directory.hash, files: files.directory.files });
        otherChanges++;
      }
      if (files.routing.hash !== this.routing.hash) {
        await this.recordAudit("routing.changed", { trigger, git, file: files.routing.file ?? null, oldVersion: this.routing.routing.version, newVersion: files.routing.routing.version, oldHash: this.routing.hash, newHash: files.routing.hash });
        await this.roles?.setRouting(files.routing);
        otherChanges++;
      }
      const changes = diffRuleSets(this.ruleSet, files.ruleSet);
      this.adopt({ ...files, ruleSet: changes.length === 0 ? this.ruleSet : files.ruleSet });
      if (changes.length === 0) return { ok: true, changes: otherChanges };
      await this.roles?.setRules(this.compiled(), this.ruleSet.hash);
      this.metrics.ruleReloads.inc({ outcome: "applied" });
      for (const change of changes) {
        if (change.versionNotBumped) this.logger.warn({ rule: change.ruleId, file: change.file }, "rule content changed without a version bump");
        await this.recordAudit(`rules.${change.change}`, { trigger, git, ...change }, change.ruleId);
      }
      this.logger.info({ trigger, changes: changes.length, rulesHash: this.ruleSet.hash }, "rules reloaded");
      return { ok: true, changes: changes.length + otherChanges };
    });
  }

  get silences(): SilenceService {
    return this.silenceService;
  }

  get incidents(): EscalationService {
    return this.escalationService;
  }

  get httpPort(): number | undefined {
    return this.http?.port;
  }

  private async startHttp(port: number): Promise<void> {
    const { config } = this;
    const auth = config.http.tokensFile ? TokenAuth.fromFile(config.http.tokensFile) : TokenAuth.none();
    if (!config.http.tokensFile) this.logger.warn("no http.tokensFile: the HTTP API will refuse every request that needs a token");
    this.http = await startHttpServer(
      {
        metrics: async () => ({ contentType: this.metrics.registry.contentType, body: await this.metrics.registry.metrics() }),
        listAlerts: async (fingerprints) => {
          const live = await this.roles?.alerts(fingerprints);
          if (live) return live;
          const { alerts } = await this.alertState.loadAll();
          const listed = fingerprints === undefined ? alerts : valuesAt(byFingerprint(alerts), fingerprints);
          return new JsonArrayBody(listed, (alert) => alert);
        },
        listSilences: () => this.silenceService.list(),
        createSilence: (body, actor) => this.silenceService.create(body, actor, "http"),
        expireSilence: (id, actor) => this.silenceService.expire(id, actor, "http"),
        listIncidents: () => this.escalationService.list(),
        acknowledgeIncident: (id, actor) => this.escalationService.acknowledge(id, actor, "http"),
        resolveIncident: (id, actor) => this.escalationService.resolve(id, actor, "http"),
      },
      auth,
      { host: config.http.host, port, logger: this.logs.logger("http"), routes: this.routes },
    );
    // Until the stages run, only health answers; the API says 503 (the stages' routes join once they run).
    this.routes.push(...healthRoutes(this.healthSources()), ...startingGate());
  }

  private healthSources(): Parameters<typeof healthRoutes>[0] {
    return { instance: this.instanceId, alive: () => !this.stopping, readiness: () => this.readiness.report() };
  }

  /** Every feature's HTTP routes, registered here in one list (console, webhooks, admin API). */
  private httpRoutes(): HttpRoute[] {
    return [
      ...consoleRoutes({
        // From the coordinator's memory; another replica reads the store (a scan of every alert record, for membership).
        groups: async () => (await this.roles?.groups()) ?? new JsonArrayBody((await this.alertState.loadAll()).groups, (group) => group),
        board: async (rows) => {
          // Here if this replica is the coordinator, else from it over NATS; only without one, from the store (a scan
          // of every alert record, and mutes are not kept there).
          const board = (await this.roles?.board(rows)) ?? (await requestBoard(this.nc, boardSubject(this.config), rows, BOARD_REQUEST_TIMEOUT_MS));
          if (board) return board;
          const { alerts, groups } = await this.alertState.loadAll();
          return alertBoard(byFingerprint(alerts), groups, rows, () => []);
        },
        pages: () => this.escalationStore.listPages(),
        features: () => (this.extraRoutes.some((route) => route.pattern.test("/api/v1/outbox")) ? ["outbox"] : []),
      }),
      ...oncallRoutes({ roster: () => this.roster, clock: this.clock }),
      ...auditRoutes({ queries: () => new AuditQueries(this.js, { stream: this.config.streams.audit, subjectPrefix: this.config.subjects.audit }), clock: this.clock }),
      ...adminRoutes(this.logs, this.instanceId),
      ...notifyRoutes({ config: this.config, nc: this.nc, clock: this.clock, logger: this.logs.logger("notify"), escalationStore: this.escalationStore, escalation: this.escalationService, silences: this.silenceService, directory: () => this.directory }),
      ...this.extraRoutes,
    ];
  }

  /** The engine watching itself: heartbeat, drift watch, consumer lag, the NATS control subject (see ops.ts). */
  private startOps(): Promise<OpsServices> {
    return OpsServices.start({
      ...this.context(),
      replica: this.instanceId,
      readiness: this.readiness,
      alerts: this.alertSink,
      audit: (action, details) => this.recordAudit(action, details),
      loaded: () => ({ ruleSet: this.ruleSet, routing: { hash: this.routing.hash, version: this.routing.routing.version }, oncall: { hash: this.directoryHash } }),
      exclusive: (task) => this.lane.run(task),
      alertCounts: () => this.roles?.alertCounts(),
    });
  }

  // ---- rule files, connection ------------------------------------------------------------------------------

  private watchRules(): void {
    try {
      this.watcher = watch(this.config.rulesDir, { recursive: true }, () => {
        clearTimeout(this.reloadDebounce);
        this.reloadDebounce = setTimeout(() => void this.reloadRules("file change"), 300);
      });
    } catch (error) {
      this.logger.warn({ err: String(error) }, "cannot watch the rules directory; reload with SIGHUP");
    }
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.nc.status()) {
      this.metrics.natsStatus.inc({ type: status.type });
      if (status.type === "disconnect" || status.type === "reconnect") {
        this.logger.warn({ status: status.type }, "NATS connection status changed");
        // Recorded once the connection is back (the writer retries); the time is when it happened.
        void this.recordAudit(`nats.${status.type}`, { server: status.server.replace(/^.*@/, "") }).catch(() => undefined);
      }
    }
  }

  private shutdownLocal(): void {
    this.logs.stop();
    clearTimeout(this.reloadDebounce);
    this.watcher?.close();
    process.off("SIGHUP", this.onSighup);
  }

  private context(): EngineContext {
    return { config: this.config, nc: this.nc, js: this.js, jsm: this.jsm, clock: this.clock, logs: this.logs, metrics: this.metrics };
  }

  /** Make a loaded set of versioned files the one in use (at start, and after an accepted reload). */
  private adopt(files: VersionedFiles): void {
    if (files.ruleSet !== this.ruleSet) this.compiledRules = files.ruleSet.rules.map(compileRule);
    this.ruleSet = files.ruleSet;
    this.routing = files.routing;
    this.directory = files.directory.directory;
    this.directoryHash = files.directory.hash;
    this.roster = files.directory.roster;
    this.inventory = files.inventory;
  }

  private compiled(): CompiledRule[] {
    return this.compiledRules;
  }

  private recordAudit(action: string, details: Record<string, unknown>, subject?: string): Promise<void> {
    return this.auditWriter.record(action, details, subject);
  }

}
