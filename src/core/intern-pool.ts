/**
 * One shared copy of values that recur, among the last `capacity` distinct keys seen. JSON.parse gives every string
 * longer than 10 characters a copy of its own, so 100,000 alerts from one rule held 100,000 copies of its name, its
 * service and its generator. Bounded: when full, the pool starts afresh (what recurs is back in it at once), so a
 * label with a value per alert cannot grow it without limit. Pooled values are shared: they must not be mutated.
 */
export class InternPool<T> {
  private readonly values = new Map<string, T>();

  constructor(private readonly capacity: number) {}

  /** The pooled value for `key`, or `value` (now pooled) if there is none. */
  intern(key: string, value: T): T {
    const known = this.values.get(key);
    if (known !== undefined) return known;
    if (this.values.size >= this.capacity) this.values.clear();
    this.values.set(key, value);
    return value;
  }

  get size(): number {
    return this.values.size;
  }
}
