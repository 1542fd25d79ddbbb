/** Whether a replica may act on the roles it holds now: take a message, run a tick. */
export interface RoleFence {
  /** Asked per message: one read of the monotonic clock. */
  isOpen(): boolean;
  /** Resolves once the fence is open (at once if it is). */
  whenOpen(): Promise<void>;
}

/**
 * Closes when this process has stood still long enough that the others may have presumed it dead (SIGSTOP, a VM
 * descheduled, a long pause), and stays closed until it knows its leases are still its own. Such a process goes on
 * where it was, unaware, with messages its client buffered meanwhile: until 2026-12-07 it applied them (and pulled
 * more) until its next plan saw its leases taken, so a partition's events could be applied by a holder that no longer
 * held it and never seen by the one that did.
 *
 * Standing still is seen from this process's own event loop: a beat every `beatMs` that finds the time since the
 * previous one longer than `stallMs`, or a message asked about in that state before the beat could run (after a
 * pause, buffered input is handled before timers). Closed, a heartbeat alone does not open it (a role may have been
 * taken over meanwhile): a plan begun after a heartbeat sent after the stall had landed must have read every held lease
 * as its own (the plan stops the roles it finds taken, as before). NATS being slow does not close it: a first version
 * that closed whenever heartbeats landed late held healthy replicas back under load, and the messages they held were
 * delivered again and again until they went to dead letter as undeliverable (a chaos run lost pages so).
 * Pure: the caller reports beats, heartbeats and plans with its monotonic time.
 */
export class ContactFence implements RoleFence {
  private lastBeatMs: number;
  /** Since when it is closed, and when the first heartbeat sent after that landed (if one has). */
  private stall: { sinceMs: number; heartbeatLandedAtMs?: number } | undefined;
  private waiters: Array<() => void> = [];

  constructor(
    /** Standing still longer than this closes it: less than a lease less a renew period, when a takeover becomes possible. */
    private readonly stallMs: number,
    private readonly now: () => number,
  ) {
    this.lastBeatMs = now();
  }

  isOpen(): boolean {
    if (this.stall !== undefined) return false;
    const now = this.now();
    if (now - this.lastBeatMs <= this.stallMs) return true;
    this.stall = { sinceMs: now };
    return false;
  }

  whenOpen(): Promise<void> {
    if (this.isOpen()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The event loop ran the beat timer now. */
  beat(): void {
    const now = this.now();
    if (this.stall === undefined && now - this.lastBeatMs > this.stallMs) this.stall = { sinceMs: now };
    this.lastBeatMs = now;
  }

  /** A heartbeat sent at `sentAtMs` was stored; its reply came at `landedAtMs`. */
  heartbeatStored(sentAtMs: number, landedAtMs: number): void {
    if (this.stall !== undefined && sentAtMs >= this.stall.sinceMs) this.stall.heartbeatLandedAtMs ??= landedAtMs;
  }

  /** A plan begun at `startedAtMs` read every lease this replica holds and found each still its own. */
  leasesConfirmed(startedAtMs: number): void {
    const landed = this.stall?.heartbeatLandedAtMs;
    if (landed === undefined || startedAtMs < landed) return;
    this.stall = undefined;
    this.lastBeatMs = this.now();
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
