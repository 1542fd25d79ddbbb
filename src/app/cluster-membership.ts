import { randomUUID } from "node:crypto";
import { planRoles, RevisionLiveness, type LeaseView } from "../cluster/assignment.js";
import { ContactFence, type RoleFence } from "../cluster/contact-fence.js";
import type { Logger } from "../core/logger.js";
import type { KvClusterStore, LeaseRecord } from "../store/jetstream/cluster-store.js";
import type { Metrics } from "./metrics.js";

/** A role's start still running after this many leases is logged as an error (see `run`). */
const HANGING_START_LEASES = 5;

/** What a role means to the engine: start its stage(s) when won, stop them when handed over or lost. */
export interface RoleRunner {
  start(role: string): Promise<void>;
  /** `graceful`: finish what is in hand and save state (a hand-over); otherwise stop at once (the lease was lost). */
  stop(role: string, graceful: boolean): Promise<void>;
}

export interface ClusterMembershipDeps {
  store: KvClusterStore;
  instanceId: string;
  roles: readonly string[];
  leaseMs: number;
  renewMs: number;
  runner: RoleRunner;
  logger: Logger;
  metrics: Metrics;
  recordAudit: (action: string, details: Record<string, unknown>) => Promise<void>;
  /** Monotonic milliseconds: leases are judged by elapsed time, never by a clock a test controls. */
  monotonicNow?: () => number;
}

/**
 * One replica's part in sharing the work. A heartbeat key per replica says who is alive (its revision keeps moving);
 * a lease key per role says who holds it. Every `renewMs` each replica reads both and acts on `planRoles`: acquire
 * what rendezvous hashing gives it and nobody live holds, hand over what another live replica should hold, and drop
 * at once a role whose lease someone else took (it was presumed dead). Leases move only by compare-and-set.
 */
export class ClusterMembership {
  private readonly incarnation = randomUUID();
  private readonly liveness = new RevisionLiveness();
  private readonly held = new Map<string, number>(); // role → lease revision
  private readonly startedAtMs = Date.now();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private planTimer: NodeJS.Timeout | undefined;
  private planning: Promise<void> | undefined;
  private lastHeartbeatRevision = 0;
  private lastHeartbeatFailureMs = -Infinity;
  private duplicateReported = false;
  private stopped = false;
  /**
   * Whether this replica may act on its roles now (see ContactFence): every stage of a role asks it per message. It
   * closes when this process stood still for half of what a takeover needs (a lease less a renew period).
   */
  private readonly contact: ContactFence;
  private beatTimer: NodeJS.Timeout | undefined;

  /** Read per message through the fence: one function, not a new closure per read. */
  private readonly monotonicNow: () => number;

  constructor(private readonly deps: ClusterMembershipDeps) {
    this.monotonicNow = deps.monotonicNow ?? (() => performance.now());
    this.contact = new ContactFence((deps.leaseMs - deps.renewMs) / 2, this.monotonicNow);
  }

  get fence(): RoleFence {
    return this.contact;
  }

  private get now(): number {
    return this.monotonicNow();
  }

  /**
   * Join: the first plan runs before this resolves, so a lone replica holds every role when it returns (unless NATS
   * failed that plan: the next period tries again).
   */
  async start(): Promise<void> {
    const stallMs = (this.deps.leaseMs - this.deps.renewMs) / 2;
    this.beatTimer = setInterval(() => this.contact.beat(), Math.max(10, Math.min(100, stallMs / 4)));
    this.beatTimer.unref();
    await this.heartbeat();
    await this.plan().catch((error: unknown) => this.planFailed(error));
    this.heartbeatTimer = setInterval(
      () =>
        void this.heartbeat().catch((error: unknown) => {
          this.lastHeartbeatFailureMs = this.now;
          this.warn("heartbeat failed", error);
        }),
      this.deps.renewMs,
    );
    this.planTimer = setInterval(() => void this.planOnce(), this.deps.renewMs);
  }

  /** Leave gracefully: hand every role back (their stages stop cleanly first), then remove the heartbeat. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.planTimer);
    clearInterval(this.beatTimer);
    await this.planning;
    for (const [role, revision] of [...this.held]) {
      await this.deps.runner.stop(role, true);
      this.held.delete(role);
      await this.deps.store.release(role, revision).catch(() => false);
      await this.audit("cluster.released", { role, reason: "stopping" });
    }
    await this.deps.store.leave(this.deps.instanceId).catch(() => undefined);
  }

  /** Die: no hand-over, no goodbye. The others take the roles over after `leaseMs`. */
  halt(): void {
    this.stopped = true;
    clearInterval(this.heartbeatTimer);
    clearInterval(this.planTimer);
    clearInterval(this.beatTimer);
  }

  roles(): string[] {
    return [...this.held.keys()].sort();
  }

  /**
   * Whether this replica still holds `role` as stored now, not only as it last planned: the lease is where another
   * replica takes a role over, and a holder that stalled learns of it at its next plan. A stage whose writes must not
   * outlive its role (the coordinator's alert stage) asks before acknowledging what it wrote. Judged as `plan` judges
   * it, by owner and run, not by revision: a stage that stopped for good on an answer its membership disagreed with
   * would hold the role idle for ever. Throws when NATS does not answer.
   */
  async holds(role: string): Promise<boolean> {
    if (!this.held.has(role)) return false;
    const lease = await this.deps.store.lease(role);
    return lease !== undefined && this.isOurs(lease);
  }

  /** A lease this very run of this replica holds (not an earlier run under the same id). */
  private isOurs(lease: LeaseRecord): boolean {
    return lease.owner === this.deps.instanceId && lease.incarnation === this.incarnation;
  }

  private async heartbeat(): Promise<void> {
    if (this.stopped) return;
    const { store, instanceId } = this.deps;
    const began = this.now;
    this.lastHeartbeatRevision = await store.heartbeat({ id: instanceId, incarnation: this.incarnation, startedAtMs: this.startedAtMs, roles: this.roles() });
    this.contact.heartbeatStored(began, this.now);
    // A heartbeat that hung (a reconnect in progress) means we were as blind as the others were silent.
    if (this.now - began > this.deps.renewMs) this.lastHeartbeatFailureMs = this.now;
  }

  private planOnce(): void {
    if (this.planning || this.stopped) return;
    this.planning = this.plan()
      .catch((error: unknown) => this.planFailed(error))
      .finally(() => {
        this.planning = undefined;
      });
  }

  private planFailed(error: unknown): void {
    this.lastHeartbeatFailureMs = this.now;
    this.warn("rebalancing failed; trying again next period", error);
  }

  private async plan(): Promise<void> {
    const { store, instanceId, roles, leaseMs } = this.deps;
    const now = this.now;
    const members = await store.members();
    for (const [id, member] of members) this.liveness.observe(`member.${id}`, member.revision, now);
    this.liveness.retain(new Set([...members.keys()].map((id) => `member.${id}`)));
    this.checkDuplicateInstance(members.get(instanceId)?.value.incarnation, members.get(instanceId)?.revision);
    // Cut off from NATS ourselves, we saw nobody's heartbeat move: judge others only after a full lease of contact,
    // or every server restart would look like every other replica dying.
    const judging = now - this.lastHeartbeatFailureMs >= leaseMs;
    const live = [...members.keys()].filter((id) => id === instanceId || !judging || !this.liveness.isStale(`member.${id}`, now, leaseMs));
    if (!live.includes(instanceId)) live.push(instanceId);

    const leases = await store.leases();
    const views: LeaseView[] = [];
    for (const role of roles) {
      const lease = leases.get(role);
      // Our own id with another incarnation: the process we replace after a crash. Take its roles back now.
      const predecessor = lease !== undefined && lease.value.owner === instanceId && lease.value.incarnation !== this.incarnation;
      if (this.held.has(role) && (lease === undefined || !this.isOurs(lease.value))) await this.lost(role, lease?.value.owner);
      // Ours, this very run, yet not held: an acquisition whose write landed while its reply was lost (NATS
      // restarting). Everyone else sees the role held; left so, nobody would ever run it.
      if (lease !== undefined && !this.held.has(role) && this.isOurs(lease.value)) await this.adopt(role, lease);
      // Held by an earlier run of a replica that has restarted since: that run is dead, whatever its id's heartbeat
      // says. Left to its new run alone, a role the new run does not want would be held by nobody for ever.
      const ownerIncarnation = lease === undefined ? undefined : members.get(lease.value.owner)?.value.incarnation;
      const ownerRestarted = ownerIncarnation !== undefined && ownerIncarnation !== lease?.value.incarnation;
      views.push({ role, owner: predecessor ? `${instanceId} (previous run)` : lease?.value.owner, stale: predecessor || (lease !== undefined && (!live.includes(lease.value.owner) || ownerRestarted)) });
    }
    // Every role still held was read as ours (the others were stopped just now): after a gap in contact, the stages
    // of what is left may go on.
    this.contact.leasesConfirmed(now);

    for (const action of planRoles(instanceId, live.sort(), views)) {
      if (this.stopped) return;
      const lease = leases.get(action.role);
      if (action.action === "acquire") await this.acquire(action.role, lease, action.takeover);
      else if (action.action === "release" && lease) await this.handOver(action.role, lease.revision);
    }
  }

  private async acquire(role: string, current: { value: LeaseRecord; revision: number } | undefined, takeover: boolean): Promise<void> {
    const lease: LeaseRecord = { owner: this.deps.instanceId, incarnation: this.incarnation, acquiredAtMs: Date.now() };
    const revision = current ? await this.deps.store.takeOver(role, lease, current.revision) : await this.deps.store.acquire(role, lease);
    if (revision === undefined) return; // another replica was faster; the next period sees who holds it
    this.deps.metrics.roleChanges.inc({ change: takeover ? "takeover" : "acquired" });
    this.deps.logger.info({ role, from: current?.value.owner ?? null }, takeover ? "took over a role from a silent replica" : "acquired a role");
    await this.audit(takeover ? "cluster.takeover" : "cluster.acquired", { role, ...(current ? { from: current.value.owner } : {}) });
    await this.run(role, revision);
  }

  private async adopt(role: string, lease: { value: LeaseRecord; revision: number }): Promise<void> {
    this.deps.metrics.roleChanges.inc({ change: "adopted" });
    this.deps.logger.warn({ role }, "a role this replica acquired while NATS did not answer is its own after all; starting it");
    await this.audit("cluster.acquired", { role, adopted: true });
    await this.run(role, lease.revision);
  }

  /** Hold the role and start it; one that cannot start is given back. */
  private async run(role: string, revision: number): Promise<void> {
    this.held.set(role, revision);
    const startedAt = this.now;
    // A start runs inside a plan: one that never returns stops every later plan of this replica, while its heartbeat
    // says it is alive and the others keep handing it roles. Said loudly, so it is not silent if it happens.
    const hanging = setTimeout(
      () => this.deps.logger.error({ role, runningMs: Math.round(this.now - startedAt) }, "a role's start has not returned; this replica plans nothing meanwhile"),
      HANGING_START_LEASES * this.deps.leaseMs,
    );
    hanging.unref();
    try {
      await this.deps.runner.start(role);
      this.tookLong(role, "start", startedAt);
    } catch (error) {
      // A role we cannot run is given back rather than held idle: someone else may manage. What of it did start
      // (the coordinator is four stages) is stopped first: left running, it would read the role's consumers beside
      // the next holder's stages.
      this.warn(`role ${role} failed to start; releasing it`, error);
      this.held.delete(role);
      await this.deps.runner.stop(role, false).catch((stopError: unknown) => this.warn(`role ${role}: stopping what had started failed`, stopError));
      await this.deps.store.release(role, revision).catch(() => false);
    } finally {
      clearTimeout(hanging);
    }
  }

  private async handOver(role: string, revision: number): Promise<void> {
    const stoppingAt = this.now;
    await this.deps.runner.stop(role, true);
    this.tookLong(role, "graceful stop", stoppingAt);
    this.held.delete(role);
    await this.deps.store.release(role, revision);
    this.deps.metrics.roleChanges.inc({ change: "handed_over" });
    this.deps.logger.info({ role }, "handed a role over to its rebalanced owner");
    await this.audit("cluster.released", { role, reason: "rebalance" });
  }

  /** Someone took a role we hold: we were presumed dead (a stall, a cut connection). Stop it now, save nothing. */
  private async lost(role: string, to: string | undefined): Promise<void> {
    this.held.delete(role);
    await this.deps.runner.stop(role, false);
    this.deps.metrics.roleChanges.inc({ change: "lost" });
    this.deps.logger.error({ role, to: to ?? null }, "lost a role to another replica; it presumed this one dead");
    await this.audit("cluster.lost", { role, to: to ?? null });
  }

  /** A role's start or stop runs inside the rebalancing period: one that takes longer than a lease holds every role still. */
  private tookLong(role: string, what: string, sinceMs: number): void {
    const tookMs = Math.round(this.now - sinceMs);
    if (tookMs > this.deps.leaseMs) this.deps.logger.warn({ role, tookMs }, `role ${what} took longer than a lease`);
  }

  private checkDuplicateInstance(incarnation: string | undefined, revision: number | undefined): void {
    if (incarnation === undefined || incarnation === this.incarnation || revision === undefined || revision < this.lastHeartbeatRevision) return;
    if (this.duplicateReported) return;
    this.duplicateReported = true;
    this.deps.logger.error({ instanceId: this.deps.instanceId }, "another running engine uses this instance id; give every replica its own --instance");
    void this.audit("cluster.duplicate_instance", { instanceId: this.deps.instanceId });
  }

  private audit(action: string, details: Record<string, unknown>): Promise<void> {
    return this.deps.recordAudit(action, { instance: this.deps.instanceId, ...details }).catch(() => undefined);
  }

  private warn(message: string, error: unknown): void {
    if (!this.stopped) this.deps.logger.warn({ err: String(error) }, message);
  }
}
