/** The part of a JetStream message the queue needs: acknowledging it. */
export interface Ackable {
  readonly seq: number;
  ack(): void;
}

interface Entry<M extends Ackable> {
  message: M;
  done: boolean;
}

/**
 * Acknowledges messages in the order they were taken, each once its effects are stored. Acking in order keeps
 * every acknowledged message below every unacknowledged one, so after a crash the consumer's ack floor tells
 * exactly which events are settled (replay them) and which will be redelivered (leave them to the consumer).
 */
export class AckQueue<M extends Ackable> {
  private readonly entries: Array<Entry<M>> = [];
  private head = 0;
  private readonly bySeq = new Map<number, Entry<M>>();

  get size(): number {
    return this.bySeq.size;
  }

  /** Take a message; returns a function to call once its effects are stored. */
  track(message: M): () => void {
    const entry: Entry<M> = { message, done: false };
    this.entries.push(entry);
    this.bySeq.set(message.seq, entry);
    return () => {
      entry.done = true;
      this.flush();
    };
  }

  /** A redelivery of a message still in the queue: ack the newest copy when its turn comes. */
  refresh(message: M): boolean {
    const entry = this.bySeq.get(message.seq);
    if (!entry) return false;
    entry.message = message;
    return true;
  }

  private flush(): void {
    while (this.head < this.entries.length && (this.entries[this.head] as Entry<M>).done) {
      const entry = this.entries[this.head++] as Entry<M>;
      this.bySeq.delete(entry.message.seq);
      entry.message.ack();
    }
    if (this.head > 1_024 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}
