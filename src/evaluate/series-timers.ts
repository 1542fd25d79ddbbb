/**
 * The evaluator's timers: a binary min-heap of (due time, owner, series) kept in three parallel arrays. Same ordering
 * as core's DeadlineQueue, comparison for comparison, so ties pop in the same order and ticks report the same
 * transitions; but a push allocates nothing, where an entry object per push (one per new series) was a steady
 * stream of garbage, all of it promoted since timers outlive a young generation.
 */
export class SeriesTimers<Owner, Item> {
  private readonly dues: number[] = [];
  private readonly owners: Owner[] = [];
  private readonly items: Item[] = [];
  // The entry `popDue` took out last, read field by field: returning it as an object would allocate per pop.
  poppedDueMs = Number.POSITIVE_INFINITY;
  poppedOwner: Owner | undefined = undefined;
  poppedItem: Item | undefined = undefined;

  get size(): number {
    return this.dues.length;
  }

  push(dueMs: number, owner: Owner, item: Item): void {
    const { dues } = this;
    let i = dues.length;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((dues[parent] as number) <= dueMs) break;
      this.move(parent, i);
      i = parent;
    }
    this.place(i, dueMs, owner, item);
  }

  /** One slot's entry to another: the three arrays always move together. */
  private move(from: number, to: number): void {
    this.place(to, this.dues[from] as number, this.owners[from] as Owner, this.items[from] as Item);
  }

  private place(i: number, dueMs: number, owner: Owner, item: Item): void {
    this.dues[i] = dueMs;
    this.owners[i] = owner;
    this.items[i] = item;
  }

  peekDue(): number | undefined {
    return this.dues.length > 0 ? this.dues[0] : undefined;
  }

  /** Takes out the earliest entry into `popped*` and returns true, if one is due at or before `nowMs`. */
  popDue(nowMs: number): boolean {
    const { dues, owners, items } = this;
    if (dues.length === 0 || (dues[0] as number) > nowMs) return false;
    this.poppedDueMs = dues[0] as number;
    this.poppedOwner = owners[0];
    this.poppedItem = items[0];
    const lastDue = dues.pop() as number;
    const lastOwner = owners.pop() as Owner;
    const lastItem = items.pop() as Item;
    const length = dues.length;
    if (length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        let smallestDue = lastDue;
        if (left < length && (dues[left] as number) < smallestDue) {
          smallest = left;
          smallestDue = dues[left] as number;
        }
        if (right < length && (dues[right] as number) < smallestDue) smallest = right;
        if (smallest === i) break;
        this.move(smallest, i);
        i = smallest;
      }
      this.place(i, lastDue, lastOwner, lastItem);
    }
    return true;
  }

  clear(): void {
    this.dues.length = 0;
    this.owners.length = 0;
    this.items.length = 0;
    this.poppedOwner = undefined;
    this.poppedItem = undefined;
  }
}
