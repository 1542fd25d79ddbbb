/**
 * Which stream sequences have been applied to the evaluator: everything up to `floor`, plus ranges above it.
 * Redeliveries arrive out of order (after their ack wait), so a high-water mark cannot tell "applied" from "not
 * yet"; in the usual in-order case the floor just moves up and the range list stays empty.
 */
export class AppliedSequences {
  constructor(
    private floorSeq = 0,
    private ranges: Array<[number, number]> = [],
  ) {}

  get floor(): number {
    return this.floorSeq;
  }

  has(seq: number): boolean {
    if (seq <= this.floorSeq) return true;
    const index = this.search(seq);
    const range = this.ranges[index];
    return range !== undefined && range[0] <= seq && seq <= range[1];
  }

  add(seq: number): void {
    if (this.has(seq)) return;
    if (seq === this.floorSeq + 1) {
      this.floorSeq = seq;
      this.absorb();
      return;
    }
    const index = this.search(seq);
    const before = this.ranges[index - 1];
    const at = this.ranges[index];
    if (before && before[1] === seq - 1) {
      before[1] = seq;
      if (at && at[0] === seq + 1) {
        before[1] = at[1];
        this.ranges.splice(index, 1);
      }
    } else if (at && at[0] === seq + 1) {
      at[0] = seq;
    } else {
      this.ranges.splice(index, 0, [seq, seq]);
    }
  }

  /** The highest sequence applied (0: none). */
  get highest(): number {
    const last = this.ranges[this.ranges.length - 1];
    return last === undefined ? this.floorSeq : last[1];
  }

  /** Add every sequence `other` holds (its ranges are short: the gaps redeliveries leave). */
  addAll(other: AppliedSequences): void {
    this.raiseFloor(other.floorSeq);
    for (const [start, end] of other.ranges) for (let seq = start; seq <= end; seq++) this.add(seq);
  }

  /** Everything up to `seq` is applied (e.g. the consumer's ack floor after replay). */
  raiseFloor(seq: number): void {
    if (seq <= this.floorSeq) return;
    this.floorSeq = seq;
    this.ranges = this.ranges.filter(([, end]) => end > seq).map(([start, end]) => [Math.max(start, seq + 1), end]);
    this.absorb();
  }

  toJSON(): { floor: number; ranges: Array<[number, number]> } {
    return { floor: this.floorSeq, ranges: this.ranges.map(([a, b]) => [a, b]) };
  }

  static from(saved: { floor: number; ranges: ReadonlyArray<readonly [number, number]> }): AppliedSequences {
    return new AppliedSequences(saved.floor, saved.ranges.map(([a, b]) => [a, b]));
  }

  /** Index of the first range whose end is at or after `seq`. */
  private search(seq: number): number {
    let lo = 0;
    let hi = this.ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.ranges[mid] as [number, number])[1] < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private absorb(): void {
    while (this.ranges.length > 0 && (this.ranges[0] as [number, number])[0] <= this.floorSeq + 1) {
      this.floorSeq = Math.max(this.floorSeq, (this.ranges.shift() as [number, number])[1]);
    }
  }
}
