/** Whether a replica may act on the roles it holds now: take a message, run a tick. */
export interface RoleFence {
  /** Asked per message: one read of the monotonic clock. */
  isOpen(): boolean;
  /** Resolves once the fence is open (at once if it is). */
  whenOpen(): Promise<void>;
}

/** For stages that run outside any cluster role (tests, tools): always open. */
export const NO_FENCE: RoleFence = { isOpen: () => true, whenOpen: () => Promise.resolve() };

/**
 * A replica's own judgment of whether the others may have presumed it dead. They take its roles over once its
 * heartbeat has not moved for a lease, as they observe it, so nobody can take over sooner than a lease after the
 * sending of the last heartbeat that landed. The fence stays open while each heartbeat landed before the lease of the
 * one before it (less a margin for the replica's own writes in flight) ran out. A replica that stood still past that
 * (SIGSTOP, a VM descheduled, a long GC) or lost contact finds it closed when it goes on, before it touches the first
 * message its client buffered meanwhile; a heartbeat alone does not open it again, since a role may have been taken
 * over in the gap: a plan begun after such a heartbeat landed must have found every held lease still its own. A role
 * found taken is stopped by that plan, as before; the fence only keeps the stale replica from acting until then. Until
 * 2026-12-07 it went on handling messages of a partition someone else now held, applying events the new holder never
 * saw, until its next plan. Pure: the caller reports heartbeats and plans with its monotonic time.
 */
export class ContactFence implements RoleFence {
  /** Open until then (monotonic ms), unless a gap is being confirmed. Before the first heartbeat nothing is held. */
  private openUntilMs = Number.POSITIVE_INFINITY;
  /** Since a heartbeat went out after the fence had closed: when the first such one had landed, and the latest sent. */
  private gap: { landedAtMs: number; lastSentAtMs: number } | undefined;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly leaseMs: number,
    /** Taken off the lease: the time an action admitted just before the end needs to land (a renew period). */
    private readonly marginMs: number,
    private readonly now: () => number,
  ) {}

  isOpen(): boolean {
    return this.gap === undefined && this.now() < this.openUntilMs;
  }

  whenOpen(): Promise<void> {
    if (this.isOpen()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * A heartbeat sent at `sentAtMs` was stored; its reply came at `landedAtMs`. It continues the contact only if it is
   * known to have landed before the fence closed: one that landed later may have landed after someone judged this
   * replica dead.
   */
  heartbeatStored(sentAtMs: number, landedAtMs: number): void {
    if (this.gap === undefined && landedAtMs < this.openUntilMs) {
      this.openUntilMs = sentAtMs + this.leaseMs - this.marginMs;
      this.wakeIfOpen();
      return;
    }
    this.gap ??= { landedAtMs, lastSentAtMs: sentAtMs };
    this.gap.lastSentAtMs = Math.max(this.gap.lastSentAtMs, sentAtMs);
  }

  /** A plan begun at `startedAtMs` read every lease this replica holds and found each still its own. */
  leasesConfirmed(startedAtMs: number): void {
    if (this.gap === undefined || startedAtMs < this.gap.landedAtMs) return;
    this.openUntilMs = this.gap.lastSentAtMs + this.leaseMs - this.marginMs;
    this.gap = undefined;
    this.wakeIfOpen();
  }

  private wakeIfOpen(): void {
    if (this.waiters.length === 0 || !this.isOpen()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
