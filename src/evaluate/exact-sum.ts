/**
 * Sums of doubles kept exactly, and rounded once when read: a window adds each sample as it enters and subtracts it as
 * it leaves. As a plain running sum, rounding errors stayed for as long as the window never emptied (a 1e16 entering
 * swallowed the 1 beside it, and read 0 once it left), and a window rebuilt from a snapshot summed the same samples
 * afresh, so a restored evaluator could decide a threshold at its edge unlike the live one. Exact, a sum depends on
 * the samples alone, whatever the order they came and went in.
 *
 * `ExactSum`: non-overlapping partials in increasing magnitude (Shewchuk's algorithm, as in Python's `math.fsum`).
 * Only finite sums are exact: a partial that overflows turns the sum into NaN, and the caller sums afresh.
 */
export type ExactSum = number[];

/**
 * Add `value` to the first `count` partials (subtract by adding its negation); returns the new count. Entries past
 * the count are stale and never read: the array only grows, since shortening an array is a call into V8's runtime,
 * too dear to make for every sample, and the next sample would grow it again.
 */
export function addExact(partials: ExactSum, count: number, value: number): number {
  let x = value;
  let kept = 0;
  for (let j = 0; j < count; j++) {
    let y = partials[j] as number;
    if (Math.abs(x) < Math.abs(y)) {
      const t = x;
      x = y;
      y = t;
    }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) partials[kept++] = lo;
    x = hi;
  }
  if (x !== 0) partials[kept++] = x;
  return kept;
}

/** The exact sum of the first `count` partials, correctly rounded (half to even across them); NaN once one overflowed. */
export function exactValue(partials: ExactSum, count: number): number {
  let n = count;
  if (n === 0) return 0;
  let hi = partials[--n] as number;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n] as number;
    hi = x + y;
    lo = y - (hi - x);
    if (lo !== 0) break;
  }
  // The partials below may push a halfway case the other way: 1e-16 + 1 + 1e16 rounds up, not down.
  if (n > 0 && ((lo < 0 && (partials[n - 1] as number) < 0) || (lo > 0 && (partials[n - 1] as number) > 0))) {
    const twice = lo * 2;
    const x = hi + twice;
    if (x - hi === twice) hi = x;
  }
  return hi;
}

/**
 * An exact sum kept, while it can be, as two doubles whose exact sum it is (most windows never need more): a sample
 * then costs a few additions on two fields that V8 updates in place. When a third partial is needed (samples of far
 * apart magnitudes), the partials move to an array (`addExact`) until they fit in two again. Either way the value read
 * is the exact sum correctly rounded: a function of what was added, not of the order.
 */
export class ExactAccumulator {
  private hi = 0;
  private lo = 0;
  private spilled = false;
  private readonly partials: ExactSum = [];
  private count = 0;

  add(value: number): void {
    if (!this.spilled) {
      // Knuth's TwoSum, twice: hi + value = s + e and e + lo = t + f, each exactly.
      const s = this.hi + value;
      const sb = s - this.hi;
      const e = this.hi - (s - sb) + (value - sb);
      const t = e + this.lo;
      const tb = t - e;
      const f = e - (t - tb) + (this.lo - tb);
      if (f === 0) {
        this.hi = s;
        this.lo = t;
        return;
      }
      // Three terms (or an overflow, whose NaN is never 0): on to the partials.
      this.spilled = true;
      this.count = addExact(this.partials, 0, f);
      this.count = addExact(this.partials, this.count, t);
      this.count = addExact(this.partials, this.count, s);
      return;
    }
    this.count = addExact(this.partials, this.count, value);
    if (this.count <= 2) {
      this.spilled = false;
      this.hi = this.count >= 1 ? (this.partials[this.count - 1] as number) : 0;
      this.lo = this.count === 2 ? (this.partials[0] as number) : 0;
    }
  }

  /** The exact sum, correctly rounded: the sum of two doubles as IEEE rounds it, or the partials' (see exactValue). */
  get value(): number {
    return this.spilled ? exactValue(this.partials, this.count) : this.hi + this.lo;
  }

  reset(): void {
    this.hi = 0;
    this.lo = 0;
    this.spilled = false;
    this.count = 0;
  }
}
