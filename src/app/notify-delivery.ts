import type { Clock } from "../core/clock.js";
import { AppError } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { DeliveryError } from "../notify/errors.js";
import type { ChannelName, Receipt } from "../notify/model.js";
import { RateLimiter } from "../notify/rate-limiter.js";
import { decideRetry, type RetrySettings } from "../notify/retry-policy.js";
import type { Metrics } from "./metrics.js";
import type { DeliveryKind, DeliveryRecord, NotifyStore } from "./notify-store.js";
import { askProvider, type SentCheck } from "./notify-reconcile.js";
import { Lane } from "./lane.js";
import { retryUntilDone } from "./retry.js";

/** One message to deliver: where first, where next if that fails, and how to send on a channel. */
export interface DeliveryPlan {
  id: string;
  kind: DeliveryKind;
  incidentId?: string;
  groupId?: string;
  user?: string;
  first: { channel: ChannelName; address: string };
  /** A person's next contact methods after `failed` (none for updates, group channels and webhooks). */
  fallbacks?: (failed: ChannelName, tried: readonly ChannelName[]) => Array<{ channel: ChannelName; address: string }>;
  send(channel: ChannelName, address: string, notes: SendNotes): Promise<Receipt>;
  /**
   * How to ask `channel`'s provider whether this delivery went out, used only when it is taken over from a holder
   * that died mid-send. Undefined where the receiver drops repeats itself (e-mail by Message-ID, webhooks by the
   * Klaxon-Delivery header): those are sent again.
   */
  findSent?: (channel: ChannelName, address: string) => SentCheck | undefined;
}

/** What a send tells the runner on its way to the provider. */
export interface SendNotes {
  /** Record the contentDigest of exactly what is about to go out (SMS), before it goes: a takeover matches on it. */
  content(digest: string): Promise<void>;
}

export type DeliveryOutcome =
  | { outcome: "sent" | "failed" | "skipped"; record: DeliveryRecord }
  /** Settled before (a redelivery): nothing was sent. */
  | { outcome: "already"; record: DeliveryRecord }
  /** Someone else holds a live lease on it: look again after `retryInMs`. */
  | { outcome: "busy"; retryInMs: number }
  /** Stopped (engine stopping) or the lease was taken over: not settled, someone else will finish it. */
  | { outcome: "interrupted" };

export interface DeliveryRunnerDeps {
  store: NotifyStore;
  clock: Clock;
  logger: Logger;
  metrics: Metrics;
  audit: (action: string, details: Record<string, unknown>, subject?: string) => Promise<void>;
  retry: RetrySettings;
  leaseMs: number;
  /** Per-channel spacing between sends to one destination. */
  rateLimits: Record<ChannelName, number>;
  /** Extra work while a delivery runs (keep the JetStream message in progress), every `heartbeatMs`. */
  heartbeatMs: number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Monotonic milliseconds, for how long a renewal took (performance.now unless a test moves it). */
  monotonicNow?: () => number;
}

/** Someone else wrote the record since we last did: they took the delivery over. Not retryable. */
class LeaseLost extends AppError {}

/**
 * Delivers one plan exactly once across redeliveries, restarts and replicas, as far as a provider without
 * idempotency keys allows: `sending` is claimed before the provider is called, renewed while retries run, and
 * replaced by `sent` once it accepted. A holder that dies in between leaves `sending` behind; whoever takes it over
 * first asks the provider whether the message went out (reconcile). Retries back off with jitter (or wait for
 * Retry-After); a permanent failure or exhausted retries moves to the person's next contact method. Every attempt,
 * retry, failure and fallback is counted and audited; a delivery that fails everywhere is logged as an error and
 * audited, never dropped silently.
 */
export class DeliveryRunner {
  private readonly limiters: Record<ChannelName, RateLimiter>;
  private stopped = false;
  /** Halted (a crash, in tests): stop as abruptly as a dead process would, giving nothing back. */
  private halted = false;
  private readonly wakers = new Set<() => void>();
  /**
   * Deliveries this process holds now. Its own lease can look stale while NATS is away (renewals fail, the message is
   * redelivered after its ack wait); taking it over from ourselves would send a second time what may be on its way.
   */
  private readonly holding = new Set<string>();

  constructor(private readonly deps: DeliveryRunnerDeps) {
    const limiter = (ms: number): RateLimiter => new RateLimiter(ms, { now: () => Date.now(), sleep: (t) => this.sleep(t) });
    this.limiters = { slack: limiter(deps.rateLimits.slack), email: limiter(deps.rateLimits.email), sms: limiter(deps.rateLimits.sms), webhook: limiter(deps.rateLimits.webhook) };
  }

  /** Stop retrying: deliveries in a backoff give up their lease at once so another engine can take them. */
  stop(): void {
    this.stopped = true;
    for (const wake of this.wakers) wake();
  }

  halt(): void {
    this.halted = true;
    this.stop();
  }

  /** Record a delivery as skipped (stale, or its incident is over) unless it is settled already. */
  async skip(plan: DeliveryPlan, reason: string): Promise<DeliveryOutcome> {
    const now = this.deps.clock.now();
    const record: DeliveryRecord = { ...this.base(plan, now), status: "skipped", finishedAtMs: now, reason };
    if ((await this.deps.store.createDelivery(record)) === undefined) {
      const existing = await this.deps.store.getDelivery(plan.id);
      if (!existing) return { outcome: "interrupted" };
      if (existing.value.status !== "sending") return { outcome: "already", record: existing.value };
      return this.settleAbandoned(plan, reason);
    }
    this.deps.metrics.notifications.inc({ channel: plan.first.channel, outcome: "skipped" });
    await this.deps.audit("notify.skipped", { delivery: plan.id, channel: plan.first.channel, user: plan.user ?? null, reason }, plan.incidentId ?? plan.groupId);
    return { outcome: "skipped", record };
  }

  /**
   * A delivery a dead engine left `sending`, no longer wanted (its incident is over): settle it by what the provider
   * says — `sent` if the message went out (later updates then edit it), `skipped` if it did not — instead of leaving
   * it `sending` for ever. A live holder's delivery is left to it.
   */
  private async settleAbandoned(plan: DeliveryPlan, reason: string): Promise<DeliveryOutcome> {
    const claim = await this.claim(plan);
    if ("outcome" in claim) return claim;
    try {
      return await this.settleClaimed(plan, claim.handle, reason);
    } finally {
      this.holding.delete(plan.id);
    }
  }

  private async settleClaimed(plan: DeliveryPlan, handle: RecordHandle, reason: string): Promise<DeliveryOutcome> {
    const { metrics, audit, clock } = this.deps;
    const subject = plan.incidentId ?? plan.groupId;
    const answer = await askProvider(plan.findSent?.(handle.record.channel, handle.record.address), handle.record);
    const now = clock.now();
    if (answer.outcome === "found") {
      await handle.write((r) => ({ ...r, status: "sent", receipt: answer.receipt, finishedAtMs: now }));
      metrics.notificationReconciles.inc({ channel: handle.record.channel, outcome: "found" });
      await audit("notify.reconciled", { delivery: plan.id, kind: plan.kind, channel: handle.record.channel, user: plan.user ?? null, found: answer.receipt }, subject);
      return { outcome: "sent", record: handle.record };
    }
    await handle.write((r) => ({ ...r, status: "skipped", finishedAtMs: now, reason }));
    metrics.notifications.inc({ channel: handle.record.channel, outcome: "skipped" });
    await audit("notify.skipped", { delivery: plan.id, channel: handle.record.channel, user: plan.user ?? null, reason, lookup: answer.outcome }, subject);
    return { outcome: "skipped", record: handle.record };
  }

  async run(plan: DeliveryPlan, keepAlive: () => void = () => undefined): Promise<DeliveryOutcome> {
    const claim = await this.claim(plan);
    if ("outcome" in claim) return claim;
    const { handle, silentForMs } = claim;
    const timer = setInterval(() => {
      keepAlive();
      void handle.renew(this.deps.clock.now()).catch(() => undefined);
    }, this.deps.heartbeatMs);
    try {
      if (silentForMs !== undefined) {
        const settled = await this.reconcile(plan, handle, silentForMs);
        if (settled) return settled;
      }
      return await this.deliver(plan, handle);
    } catch (error) {
      if (error instanceof LeaseLost) {
        this.deps.logger.warn({ delivery: plan.id }, "another engine took this delivery over; leaving it to them");
        return { outcome: "interrupted" };
      }
      throw error;
    } finally {
      clearInterval(timer);
      this.holding.delete(plan.id);
    }
  }

  /**
   * Take the delivery: create its record, or take over one whose holder stopped renewing it (`silentForMs`: how long
   * it had been silent).
   */
  private async claim(plan: DeliveryPlan): Promise<{ handle: RecordHandle; silentForMs?: number } | DeliveryOutcome> {
    const { store, clock, leaseMs } = this.deps;
    for (let attempt = 0; attempt < 3; attempt++) {
      if (this.holding.has(plan.id)) return { outcome: "busy", retryInMs: leaseMs };
      const now = clock.now();
      const existing = await store.getDelivery(plan.id);
      if (!existing) {
        const record: DeliveryRecord = { ...this.base(plan, now), status: "sending" };
        const revision = await store.createDelivery(record);
        if (revision === undefined) continue;
        this.holding.add(plan.id);
        return { handle: new RecordHandle(store, record, revision) };
      }
      const record = existing.value;
      if (record.status !== "sending") return { outcome: "already", record };
      const age = now - record.heartbeatAtMs;
      if (age < leaseMs) return { outcome: "busy", retryInMs: leaseMs - age };
      // The holder died between claiming and settling: the provider may or may not have accepted (reconcile asks).
      const taken: DeliveryRecord = { ...record, heartbeatAtMs: now };
      const revision = await store.updateDelivery(taken, existing.revision);
      if (revision === undefined) continue;
      this.holding.add(plan.id);
      return { handle: new RecordHandle(store, taken, revision), silentForMs: age };
    }
    return { outcome: "busy", retryInMs: 1_000 };
  }

  /**
   * A delivery taken over from a dead holder: ask the provider whether the message went out before sending it again.
   * Found: recorded as sent, nothing is sent. Not found, or the provider cannot say (a possible duplicate beats a lost
   * page): undefined, and the caller sends. Every answer is counted, logged and audited.
   */
  private async reconcile(plan: DeliveryPlan, handle: RecordHandle, silentForMs: number): Promise<DeliveryOutcome | undefined> {
    const { metrics, audit, logger, clock } = this.deps;
    const { channel, address } = handle.record;
    const subject = plan.incidentId ?? plan.groupId;
    const answer = await askProvider(plan.findSent?.(channel, address), handle.record);
    if (answer.outcome !== "unchecked") metrics.notificationReconciles.inc({ channel, outcome: answer.outcome });
    if (answer.outcome === "found") {
      const now = clock.now();
      await retryUntilDone(
        () => handle.write((r) => ({ ...r, status: "sent", receipt: answer.receipt, finishedAtMs: now })),
        () => metrics.publishRetries.inc({ what: "delivery_record" }),
        () => this.halted,
      );
      metrics.notifications.inc({ channel, outcome: "sent" });
      logger.warn({ delivery: plan.id, channel, silentForMs }, "delivery interrupted by a crash had gone out already; recorded as sent, not sent again");
      await audit("notify.reconciled", { delivery: plan.id, kind: plan.kind, channel, user: plan.user ?? null, silentForMs, found: answer.receipt }, subject);
      return { outcome: "sent", record: handle.record };
    }
    const lookup = answer.outcome === "failed" ? { lookup: "failed", lookupError: answer.error } : { lookup: answer.outcome };
    logger.warn({ delivery: plan.id, channel, silentForMs, ...lookup }, "delivery interrupted by a crash; sending again");
    await audit("notify.resumed", { delivery: plan.id, channel, silentForMs, ...lookup }, subject);
    return undefined;
  }

  private async deliver(plan: DeliveryPlan, handle: RecordHandle): Promise<DeliveryOutcome> {
    const { metrics, audit, logger, clock } = this.deps;
    const subject = plan.incidentId ?? plan.groupId;
    for (;;) {
      const { channel, address } = handle.record;
      const result = await this.attempts(plan, handle, channel, address);
      if (result.kind === "interrupted") {
        // Give the lease back at once: the next engine need not wait for it to expire.
        if (!this.halted) await handle.write((r) => ({ ...r, heartbeatAtMs: 0 })).catch(() => undefined);
        return { outcome: "interrupted" };
      }
      if (result.kind === "sent") {
        const now = clock.now();
        // The provider has accepted: from here until this write lands is the only window in which a crash makes the
        // next engine send again. Transient store errors are retried rather than widening it.
        await retryUntilDone(
          () => handle.write((r) => ({ ...r, status: "sent", receipt: result.receipt, finishedAtMs: now })),
          () => metrics.publishRetries.inc({ what: "delivery_record" }),
          () => this.halted,
        );
        metrics.notifications.inc({ channel, outcome: "sent" });
        await audit("notify.sent", { delivery: plan.id, kind: plan.kind, channel, user: plan.user ?? null, attempts: result.attempts, fallbackFrom: handle.record.tried }, subject);
        return { outcome: "sent", record: handle.record };
      }
      metrics.notifications.inc({ channel, outcome: "failed" });
      await audit("notify.failed", { delivery: plan.id, kind: plan.kind, channel, user: plan.user ?? null, attempts: result.attempts, error: result.error.message, why: result.reason }, subject);
      const tried = [...handle.record.tried, channel];
      const next = plan.fallbacks?.(channel, tried)[0];
      if (!next) {
        const now = clock.now();
        await handle.write((r) => ({ ...r, status: "failed", tried, finishedAtMs: now, reason: result.error.message }));
        logger.error({ delivery: plan.id, user: plan.user, tried, error: result.error.message }, "notification could not be delivered on any channel");
        return { outcome: "failed", record: handle.record };
      }
      metrics.notifications.inc({ channel, outcome: "fallback" });
      logger.warn({ delivery: plan.id, user: plan.user, from: channel, to: next.channel, error: result.error.message }, "notification falls back to the next contact method");
      await audit("notify.fallback", { delivery: plan.id, user: plan.user ?? null, from: channel, to: next.channel, error: result.error.message }, subject);
      await handle.write((r) => ({ ...withoutContent(r), channel: next.channel, address: next.address, tried, heartbeatAtMs: clock.now() }));
    }
  }

  private async attempts(
    plan: DeliveryPlan,
    handle: RecordHandle,
    channel: ChannelName,
    address: string,
  ): Promise<{ kind: "sent"; receipt: Receipt; attempts: number } | { kind: "failed"; error: DeliveryError; reason: string; attempts: number } | { kind: "interrupted" }> {
    const { metrics, audit, retry } = this.deps;
    const subject = plan.incidentId ?? plan.groupId;
    const limiter = this.limiters[channel];
    const notes: SendNotes = {
      content: (digest) => (handle.record.contentDigest === digest ? Promise.resolve() : handle.write((r) => ({ ...r, contentDigest: digest }))),
    };
    for (let attempt = 1; ; attempt++) {
      await limiter.acquire(address);
      if (this.stopped) return { kind: "interrupted" };
      metrics.notifications.inc({ channel, outcome: "attempt" });
      await audit("notify.attempt", { delivery: plan.id, channel, attempt, user: plan.user ?? null }, subject);
      // Renewed right before the provider is called, after anything that may wait (the audit append): a takeover
      // then needs leaseMs of silence, longer than any request can still be in flight (leaseMs > requestTimeoutMs).
      await this.renewJustBefore(handle);
      let error: DeliveryError;
      try {
        return { kind: "sent", receipt: await plan.send(channel, address, notes), attempts: attempt };
      } catch (thrown) {
        error = thrown instanceof DeliveryError ? thrown : new DeliveryError(channel, `unexpected error: ${thrown instanceof Error ? thrown.message : String(thrown)}`, { retryable: true });
      }
      const decision = decideRetry(error, attempt, retry, this.deps.random);
      if (!decision.retry) return { kind: "failed", error, reason: decision.reason, attempts: attempt };
      if (error.retryAfterMs !== undefined) limiter.pause(address, error.retryAfterMs);
      metrics.notifications.inc({ channel, outcome: "retry" });
      metrics.notificationRetries.inc({ channel });
      await audit("notify.retry", { delivery: plan.id, channel, attempt, error: error.message, delayMs: decision.delayMs }, subject);
      await this.sleep(decision.delayMs);
      if (this.stopped) return { kind: "interrupted" };
    }
  }

  /**
   * Renew, and again while the renewal took long enough that this process may have stood still after sending it (a
   * pause past the lease: SIGSTOP, a VM descheduled): another engine may have taken the delivery over meanwhile and
   * sent it, and this engine, going on where it was, sent it a second time (a chaos run with paused replicas paged
   * twice so). The renewal that follows such a pause fails (LeaseLost) instead. A few tries at most: NATS being slow
   * is not a pause, and the delivery goes on then.
   */
  private async renewJustBefore(handle: RecordHandle): Promise<void> {
    const freshMs = this.deps.leaseMs / 4;
    const now = this.deps.monotonicNow ?? (() => performance.now());
    for (let attempt = 1; ; attempt++) {
      const sentAt = now();
      await handle.renew(this.deps.clock.now());
      if (now() - sentAt < freshMs || attempt >= 3) return;
    }
  }

  private base(plan: DeliveryPlan, now: number): Omit<DeliveryRecord, "status"> {
    return {
      id: plan.id,
      kind: plan.kind,
      ...(plan.incidentId === undefined ? {} : { incidentId: plan.incidentId }),
      ...(plan.groupId === undefined ? {} : { groupId: plan.groupId }),
      ...(plan.user === undefined ? {} : { user: plan.user }),
      channel: plan.first.channel,
      address: plan.first.address,
      tried: [],
      startedAtMs: now,
      heartbeatAtMs: now,
    };
  }

  /** Sleep that `stop()` cuts short. */
  private sleep(ms: number): Promise<void> {
    if (this.deps.sleep) return this.deps.sleep(ms);
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.wakers.add(wake);
    });
  }
}

/** The record for the next channel: what was handed to the previous one's provider says nothing about this one. */
function withoutContent(record: DeliveryRecord): DeliveryRecord {
  const next = { ...record };
  delete next.contentDigest;
  return next;
}

/** The record of a delivery in progress; every write is compare-and-set on the last revision, one at a time. */
class RecordHandle {
  private readonly lane = new Lane();

  constructor(
    private readonly store: NotifyStore,
    public record: DeliveryRecord,
    private revision: number,
  ) {}

  /** Renew the lease. Throws LeaseLost when someone else wrote the record: they took it over. */
  renew(now: number): Promise<void> {
    return this.write((current) => ({ ...current, heartbeatAtMs: now }));
  }

  /** `change` sees the record as it is when the write runs, after every write queued before it. */
  write(change: (current: DeliveryRecord) => DeliveryRecord): Promise<void> {
    return this.lane.run(async () => {
      const next = change(this.record);
      const revision = await this.store.updateDelivery(next, this.revision);
      if (revision === undefined) throw new LeaseLost(`delivery ${next.id} was taken over`);
      this.record = next;
      this.revision = revision;
    });
  }
}
