/** The part of a JetStream message the queue needs: acknowledging it. */
export interface Ackable {
  readonly seq: number;
  ack(): void;
}

interface Entry<M extends Ackable> {
  message: M;
  seq: number;
  done: boolean;
}

/** What the slot of an acknowledged entry holds until the array is compacted (slots below `head` are never read). */
const SETTLED: Entry<Ackable> = Object.freeze({ message: { seq: 0, ack: () => undefined }, seq: 0, done: true });

export interface AckQueueOptions {
  /**
   * The consumer's ack policy is "all": acknowledging a message settles every message before it, so one ack per
   * flush settles the whole run. With "explicit", each message is acked.
   */
  cumulative?: boolean;
  /**
   * When settled messages are acknowledged. By default at once; the evaluation stage passes `setImmediate`, so the
   * acks of one macrotask leave together (one socket write, or one cumulative ack) instead of one per event.
   */
  schedule?: (flush: () => void) => void;
  /** A failed ack (the connection closed under us) is not ours to crash on: JetStream redelivers, replay dedupes. */
  onAckError?: (error: unknown) => void;
}

/**
 * Acknowledges messages in the order they were taken, each once its effects are stored. Acking in order keeps
 * every acknowledged message below every unacknowledged one, so after a crash the consumer's ack floor tells
 * exactly which events are settled (replay them) and which will be redelivered (leave them to the consumer). An ack
 * lost to a crash between settling and flushing only means a redelivery, which the applied-sequence set absorbs.
 */
export class AckQueue<M extends Ackable> {
  private readonly entries: Array<Entry<M>> = [];
  private head = 0;
  private readonly bySeq = new Map<number, Entry<M>>();
  private flushScheduled = false;
  /** Bound once: a flush is scheduled per macrotask, and a new closure each time was garbage on the event path. */
  private readonly scheduledFlush = (): void => {
    this.flushScheduled = false;
    this.flush();
  };
  private discarded = false;
  /**
   * Sequences an earlier holder of the consumer took and never applied (it died, or stopped with them in its buffer):
   * JetStream redelivers them after their ack wait. A cumulative ack at or above one of them would settle it unread,
   * so acks wait here (the highest done entry) until each has come back and been applied.
   */
  private readonly awaited = new Set<number>();
  private lowestAwaited = Infinity;
  private withheld: Entry<M> | undefined;

  constructor(private readonly options: AckQueueOptions = {}) {}

  /** Hold cumulative acks at or above any of `seqs` until that message has been taken and settled here. */
  awaitRedelivery(seqs: Iterable<number>): void {
    if (!this.options.cumulative) return; // explicit acks settle one message each: nothing to protect
    for (const seq of seqs) this.awaited.add(seq);
    this.lowestAwaited = lowest(this.awaited);
  }

  /** Sequences still awaited; `giveUp` stops waiting for them (gone from the stream, or past their redeliveries). */
  awaiting(giveUp = false): number[] {
    const left = [...this.awaited].sort((a, b) => a - b);
    if (giveUp && left.length > 0) {
      this.awaited.clear();
      this.lowestAwaited = Infinity;
      this.requestFlush();
    }
    return left;
  }

  get size(): number {
    return this.bySeq.size;
  }

  /**
   * Take a message; returns a function to call once its effects are stored. `seq` is the message's, given by a
   * caller that has read it already (a JetStream message parses its reply subject on every `seq` it is asked).
   */
  track(message: M, seq = message.seq): () => void {
    const entry: Entry<M> = { message, seq, done: false };
    this.entries.push(entry);
    this.bySeq.set(seq, entry);
    return () => {
      entry.done = true;
      this.requestFlush();
    };
  }

  /** A redelivery of a message still in the queue: ack the newest copy when its turn comes. */
  refresh(message: M, seq = message.seq): boolean {
    const entry = this.bySeq.get(seq);
    if (!entry) return false;
    entry.message = message;
    return true;
  }

  /** Forget everything unacknowledged, as a crash would: no ack leaves after this. */
  discard(): void {
    this.discarded = true;
  }

  private requestFlush(): void {
    if (!this.options.schedule) return this.flush();
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    this.options.schedule(this.scheduledFlush);
  }

  private flush(): void {
    if (this.discarded) return;
    let last = this.withheld;
    let cameBack = false;
    while (this.head < this.entries.length && (this.entries[this.head] as Entry<M>).done) {
      const entry = this.entries[this.head] as Entry<M>;
      // Let go of the message now rather than at the next compaction, which comes only every thousand or so: until
      // then every acknowledged message stayed reachable, with its data and strings (324 in one heap snapshot).
      this.entries[this.head++] = SETTLED as Entry<M>;
      this.bySeq.delete(entry.seq);
      // A redelivered message can arrive after later ones: the highest sequence settles the whole run.
      if (this.options.cumulative) {
        last = last && last.seq > entry.seq ? last : entry;
        if (this.awaited.size > 0 && this.awaited.delete(entry.seq)) cameBack = true;
      } else this.ack(entry.message);
    }
    if (cameBack) this.lowestAwaited = lowest(this.awaited);
    if (last && last.seq >= this.lowestAwaited) {
      this.withheld = last;
      last = undefined;
    } else this.withheld = undefined;
    if (last) this.ack(last.message);
    if (this.head > 1_024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }

  private ack(message: M): void {
    try {
      message.ack();
    } catch (error) {
      this.options.onAckError?.(error);
    }
  }
}

function lowest(seqs: ReadonlySet<number>): number {
  let min = Infinity;
  for (const seq of seqs) if (seq < min) min = seq;
  return min;
}
