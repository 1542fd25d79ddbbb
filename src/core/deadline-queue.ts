/** A binary min-heap of (due time, item): timers as data, so a tick only touches what is due. */
export class DeadlineQueue<T> {
  private readonly heap: Array<{ dueMs: number; item: T }> = [];

  get size(): number {
    return this.heap.length;
  }

  push(dueMs: number, item: T): void {
    const heap = this.heap;
    heap.push({ dueMs, item });
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((heap[parent] as { dueMs: number }).dueMs <= dueMs) break;
      heap[i] = heap[parent] as { dueMs: number; item: T };
      i = parent;
    }
    heap[i] = { dueMs, item };
  }

  peekDue(): number | undefined {
    return this.heap[0]?.dueMs;
  }

  /** Remove and return the earliest entry if it is due at or before `nowMs`. */
  popDue(nowMs: number): { dueMs: number; item: T } | undefined {
    const heap = this.heap;
    const top = heap[0];
    if (!top || top.dueMs > nowMs) return undefined;
    const last = heap.pop() as { dueMs: number; item: T };
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        let smallestDue = last.dueMs;
        if (left < heap.length && (heap[left] as { dueMs: number }).dueMs < smallestDue) {
          smallest = left;
          smallestDue = (heap[left] as { dueMs: number }).dueMs;
        }
        if (right < heap.length && (heap[right] as { dueMs: number }).dueMs < smallestDue) smallest = right;
        if (smallest === i) break;
        heap[i] = heap[smallest] as { dueMs: number; item: T };
        i = smallest;
      }
      heap[i] = last;
    }
    return top;
  }

  clear(): void {
    this.heap.length = 0;
  }
}
