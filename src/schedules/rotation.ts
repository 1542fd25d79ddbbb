import type { IANAZone } from "luxon";
import { DAY_MS, HOUR_MS, instantOfWall, wallDayStart } from "./local-time.js";
import type { Rotation } from "./schedule.schema.js";

/**
 * Shift boundaries of one rotation, as instants. Shift n runs from `startMs(n)` until `startMs(n + 1)`.
 * - Hourly shifts: `start` resolved once, then every `count` real hours.
 * - Daily and weekly shifts: shift 0 starts at `start`; shift n ≥ 1 starts on the local date `n × count` days after
 *   start's date, at the handoff time, resolved with `instantOfWall` (skipped times move to the jump, repeated times
 *   take their first occurrence). So a 09:00 handoff stays at 09:00 local across DST.
 */
export class RotationClock {
  private readonly firstMs: number;
  private readonly stepMs: number;
  /** Wall time of handoff 0 if it were at the handoff time: handoff n is at `baseWallMs + n × stepMs`. */
  private readonly baseWallMs: number;
  /** Handoff instants already resolved: callers walk back and forth over the same few, and each costs offset lookups. */
  /** How far start's wall time lies after the handoff time of its day (negative when before). */
  private readonly startWallOffsetMs: number;
  private readonly handoffs = new Map<number, number>();

  constructor(
    private readonly rotation: Rotation,
    private readonly zone: IANAZone,
  ) {
    this.firstMs = instantOfWall(zone, rotation.startWallMs);
    this.stepMs = rotation.shift.count * (rotation.shift.unit === "hours" ? HOUR_MS : DAY_MS);
    this.baseWallMs = wallDayStart(rotation.startWallMs) + rotation.handoffMsOfDay;
    this.startWallOffsetMs = rotation.startWallMs - this.baseWallMs;
  }

  startMs(shift: number): number {
    if (shift <= 0 || this.rotation.shift.unit === "hours") return this.firstMs + shift * this.stepMs;
    let startMs = this.handoffs.get(shift);
    if (startMs === undefined) {
      startMs = instantOfWall(this.zone, this.baseWallMs + shift * this.stepMs);
      this.handoffs.set(shift, startMs);
    }
    return startMs;
  }

  /** The shift in progress at `atMs`, or -1 before the first. */
  shiftAt(atMs: number): number {
    if (atMs < this.firstMs) return -1;
    if (this.rotation.shift.unit === "hours") return Math.floor((atMs - this.firstMs) / this.stepMs);
    // Counting from start's offset, the guess is off by the offset changes since: at most one shift.
    let shift = Math.max(0, Math.floor((atMs - this.firstMs + this.startWallOffsetMs) / this.stepMs));
    while (this.startMs(shift + 1) <= atMs) shift += 1;
    while (shift > 0 && this.startMs(shift) > atMs) shift -= 1;
    return shift;
  }

  participant(shift: number): string {
    const { participants } = this.rotation;
    return participants[shift % participants.length] as string;
  }
}
