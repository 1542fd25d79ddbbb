export interface Timer {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realTimer: Timer = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Spaces sends to one destination (a Slack channel, a phone number) at least `intervalMs` apart. A send that comes
 * too soon waits its turn, in arrival order; nothing is dropped. A provider's "slow down" (429 Retry-After) pushes
 * the destination's next slot out for everyone queued behind it.
 */
export class RateLimiter {
  private readonly nextFreeAt = new Map<string, number>();

  constructor(
    private readonly intervalMs: number,
    private readonly timer: Timer = realTimer,
  ) {}

  /** Resolves when the caller may send to `key`. Slots are handed out at call time, so callers keep their order. */
  async acquire(key: string): Promise<void> {
    if (this.intervalMs <= 0 && !this.nextFreeAt.has(key)) return;
    const now = this.timer.now();
    const slot = Math.max(now, this.nextFreeAt.get(key) ?? now);
    this.nextFreeAt.set(key, slot + this.intervalMs);
    this.forgetOld(now);
    if (slot > now) await this.timer.sleep(slot - now);
  }

  /** Nobody sends to `key` for `ms` from now. */
  pause(key: string, ms: number): void {
    const until = this.timer.now() + ms;
    if ((this.nextFreeAt.get(key) ?? 0) < until) this.nextFreeAt.set(key, until);
  }

  /** Slots long past say nothing; dropping them keeps the map as small as the set of busy destinations. */
  private forgetOld(now: number): void {
    if (this.nextFreeAt.size < 1_000) return;
    for (const [key, at] of this.nextFreeAt) if (at < now) this.nextFreeAt.delete(key);
  }
}
