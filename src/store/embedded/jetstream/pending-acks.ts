// What a consumer delivered and is still waiting to hear about: per stream sequence, its delivery count, consumer
// sequence and redelivery deadline (ack_wait, or a NAK's delay). Due messages move to an ordered redelivery queue.

export interface PendingAck {
  readonly sseq: number;
  cseq: number;
  deliveries: number;
  /** When it is redelivered unless acknowledged; Infinity once queued for redelivery. */
  dueMs: number;
}

export class PendingAcks {
  readonly #pending = new Map<number, PendingAck>();
  /** Stream sequences due for redelivery, ascending. */
  readonly #due: number[] = [];

  get size(): number {
    return this.#pending.size;
  }

  get(sseq: number): PendingAck | undefined {
    return this.#pending.get(sseq);
  }

  track(sseq: number, cseq: number, deliveries: number, dueMs: number): void {
    const entry = this.#pending.get(sseq);
    if (entry === undefined) this.#pending.set(sseq, { sseq, cseq, deliveries, dueMs });
    else Object.assign(entry, { cseq, deliveries, dueMs });
  }

  /** An explicit ack or a +TERM. */
  settle(sseq: number): boolean {
    return this.#pending.delete(sseq);
  }

  /** AckPolicy.All: one ack settles everything delivered up to it. */
  settleUpTo(sseq: number): void {
    for (const pending of this.#pending.keys()) if (pending <= sseq) this.#pending.delete(pending);
  }

  /** Queues for redelivery now, or after `delayMs`. */
  nak(sseq: number, delayMs: number, nowMs: number): void {
    const entry = this.#pending.get(sseq);
    if (entry === undefined) return;
    if (delayMs > 0) entry.dueMs = nowMs + delayMs;
    else this.#queue(entry);
  }

  extend(sseq: number, untilMs: number): void {
    const entry = this.#pending.get(sseq);
    if (entry !== undefined && entry.dueMs !== Infinity) entry.dueMs = untilMs;
  }

  /**
   * Moves every message whose deadline passed to the redelivery queue, or drops it when it was delivered
   * `maxDeliver` times already (nats-server then stops redelivering it and lets the ack floor pass it).
   * Returns whether anything became due.
   */
  expire(nowMs: number, maxDeliver: number): boolean {
    let changed = false;
    for (const entry of this.#pending.values()) {
      if (entry.dueMs > nowMs) continue;
      changed = true;
      if (maxDeliver > 0 && entry.deliveries >= maxDeliver) this.#pending.delete(entry.sseq);
      else this.#queue(entry);
    }
    return changed;
  }

  /** The next message to redeliver, skipping those settled meanwhile. */
  takeDue(): PendingAck | undefined {
    for (let sseq = this.#due.shift(); sseq !== undefined; sseq = this.#due.shift()) {
      const entry = this.#pending.get(sseq);
      if (entry !== undefined && entry.dueMs === Infinity) return entry;
    }
    return undefined;
  }

  get redelivered(): number {
    let count = 0;
    for (const entry of this.#pending.values()) if (entry.deliveries > 1) count++;
    return count;
  }

  /** The lowest pending entry (by stream sequence), for the ack floor. */
  lowest(): PendingAck | undefined {
    let lowest: PendingAck | undefined;
    for (const entry of this.#pending.values()) if (lowest === undefined || entry.sseq < lowest.sseq) lowest = entry;
    return lowest;
  }

  #queue(entry: PendingAck): void {
    if (entry.dueMs === Infinity) return;
    entry.dueMs = Infinity;
    let low = 0;
    let high = this.#due.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((this.#due[mid] ?? 0) < entry.sseq) low = mid + 1;
      else high = mid;
    }
    this.#due.splice(low, 0, entry.sseq);
  }
}
