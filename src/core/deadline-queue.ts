/**
 * A binary min-heap of (due time, item, extra): timers as data, so a tick only touches what is due. Kept in parallel
 * arrays, and the entry taken out is read from `popped*`: a push or pop allocates nothing, where an entry object per
 * push (one per new evaluator series) was a steady stream of garbage, all of it promoted since timers outlive a young
 * generation. `extra` lets a caller keep a second value with each entry (the evaluator: the series' rule) at no cost.
 */
export class DeadlineQueue<Item, Extra = undefined> {
  private readonly dues: number[] = [];
  private readonly owners: Array<Extra | undefined> = [];
  private readonly items: Item[] = [];
  // The entry `popDue` took out last, read field by field: returning it as an object would allocate per pop.
  poppedDueMs = Number.POSITIVE_INFINITY;
  poppedExtra: Extra | undefined = undefined;
  poppedItem: Item | undefined = undefined;

  get size(): number {
    return this.dues.length;
  }

  push(dueMs: number, item: Item, extra?: Extra): void {
    const { dues } = this;
    let i = dues.length;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((dues[parent] as number) <= dueMs) break;
      this.move(parent, i);
      i = parent;
    }
    this.place(i, dueMs, extra, item);
  }

  /** One slot's entry to another: the three arrays always move together. */
  private move(from: number, to: number): void {
    this.place(to, this.dues[from] as number, this.owners[from], this.items[from] as Item);
  }

  private place(i: number, dueMs: number, owner: Extra | undefined, item: Item): void {
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
    this.poppedExtra = owners[0];
    this.poppedItem = items[0];
    const lastDue = dues.pop() as number;
    const lastOwner = owners.pop();
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
    this.poppedExtra = undefined;
    this.poppedItem = undefined;
  }
}
