import type { IANAZone } from "luxon";
import { DAY_MS, MINUTE_MS, nextWallEdgeMs, wallDayStart, wallOf, wallWeekday, zoneOf } from "./local-time.js";
import { RotationClock } from "./rotation.js";
import type { Restriction, Schedule } from "./schedule.schema.js";

/*
 * Who is on call, as a pure function of a schedule and an instant.
 *
 * - Rotations: see RotationClock. Shift n belongs to participants[n mod length]; before `start` a layer has nobody.
 * - Layers: a later layer in the list is higher and wins wherever it has someone on call. A layer with restrictions
 *   has someone only inside one of its windows; outside them it yields to the layers below. Windows are read on the
 *   schedule's local clock at the instant asked about: a window starts on each of its weekdays at `start` and is
 *   half-open; `end` may be "24:00", and an `end` at or before `start` means the next day ("22:00"–"06:00" on
 *   Friday runs into Saturday morning). Across DST a window follows the wall clock: local times skipped in spring
 *   are never inside it, and the repeated hour in autumn is inside it (or not) both times.
 * - Overrides are absolute instants [start, end): the override's user is on call instead of whatever the layers
 *   say. Where overrides overlap, the one listed latest wins.
 */

export interface OnCall {
  /** Who is on call: one user for a shift, none when nobody is. */
  users: string[];
  source: "override" | "layer" | "none";
  /** The layer's name, for source "layer". */
  layer?: string;
  /** The index in `schedule.overrides`, for source "override". */
  overrideIndex?: number;
  /**
   * The stretch around the instant during which this same rotation shift (or this same override) decides: bounded
   * by handoffs, restriction windows, higher layers and overrides. Absent for source "none".
   */
  shiftStartMs?: number;
  shiftEndMs?: number;
}

export interface Shift {
  user: string;
  startMs: number;
  endMs: number;
  /** The layer's name, when the shift comes from a rotation. */
  layer?: string;
  override: boolean;
}

type Decision = { kind: "none" } | { kind: "override"; index: number } | { kind: "layer"; index: number; shift: number };

const NOBODY: Decision = { kind: "none" };

function sameDecision(a: Decision, b: Decision): boolean {
  if (a.kind === "none" || b.kind === "none") return a.kind === b.kind;
  if (a.kind === "override") return b.kind === "override" && a.index === b.index;
  return b.kind === "layer" && a.index === b.index && a.shift === b.shift;
}

function inWindow(restriction: Restriction, wallMs: number): boolean {
  const dayMs = wallMs - wallDayStart(wallMs);
  const weekday = wallWeekday(wallMs);
  const startMs = restriction.startMinute * MINUTE_MS;
  const endMs = restriction.endMinute * MINUTE_MS;
  const startsOn = (day: number) => restriction.weekdays.includes(day);
  if (startMs < endMs) return startsOn(weekday) && startMs <= dayMs && dayMs < endMs;
  if (startMs === endMs) return false;
  return (startsOn(weekday) && dayMs >= startMs) || (startsOn(weekday === 1 ? 7 : weekday - 1) && dayMs < endMs);
}

/** A schedule prepared for questions about time: the zone and one RotationClock per layer. */
class Timeline {
  private readonly zone: IANAZone;
  private readonly clocks: RotationClock[];
  /** Local times of day (ms) at which some restriction window opens or closes, with midnight; undefined if none. */
  private readonly windowEdgesMs: number[] | undefined;

  constructor(readonly schedule: Schedule) {
    this.zone = zoneOf(schedule.timeZone);
    this.clocks = schedule.layers.map((layer) => new RotationClock(layer.rotation, this.zone));
    const restrictions = schedule.layers.flatMap((layer) => layer.restrictions ?? []);
    if (restrictions.length > 0) {
      const edges = new Set([0, DAY_MS]);
      for (const r of restrictions) edges.add(r.startMinute * MINUTE_MS).add(r.endMinute * MINUTE_MS);
      this.windowEdgesMs = [...edges].sort((a, b) => a - b);
    }
  }

  decide(atMs: number): Decision {
    const { overrides, layers } = this.schedule;
    for (let i = overrides.length - 1; i >= 0; i -= 1) {
      const override = overrides[i];
      if (override && override.startMs <= atMs && atMs < override.endMs) return { kind: "override", index: i };
    }
    let wallMs: number | undefined;
    for (let i = layers.length - 1; i >= 0; i -= 1) {
      const shift = (this.clocks[i] as RotationClock).shiftAt(atMs);
      if (shift < 0) continue;
      const restrictions = layers[i]?.restrictions;
      if (restrictions) {
        wallMs ??= wallOf(this.zone, atMs);
        const at = wallMs;
        if (!restrictions.some((r) => inWindow(r, at))) continue;
      }
      return { kind: "layer", index: i, shift };
    }
    return NOBODY;
  }

  /** The next instant after `afterMs` at which the decision may change; it is constant until then. */
  nextCandidateMs(afterMs: number): number {
    let nextMs = Infinity;
    for (const override of this.schedule.overrides) {
      if (override.startMs > afterMs) nextMs = Math.min(nextMs, override.startMs);
      if (override.endMs > afterMs) nextMs = Math.min(nextMs, override.endMs);
    }
    for (const clock of this.clocks) nextMs = Math.min(nextMs, clock.startMs(clock.shiftAt(afterMs) + 1));
    if (this.windowEdgesMs) nextMs = Math.min(nextMs, nextWallEdgeMs(this.zone, afterMs, this.windowEdgesMs));
    return nextMs;
  }

  /** Where a decision can hold at most: its rotation shift, or its override. */
  bounds(decision: Decision): [number, number] {
    if (decision.kind === "override") {
      const override = this.schedule.overrides[decision.index];
      return [override?.startMs ?? NaN, override?.endMs ?? NaN];
    }
    if (decision.kind === "layer") {
      const clock = this.clocks[decision.index] as RotationClock;
      return [clock.startMs(decision.shift), clock.startMs(decision.shift + 1)];
    }
    return [-Infinity, Infinity];
  }

  user(decision: Decision): string | undefined {
    if (decision.kind === "override") return this.schedule.overrides[decision.index]?.user;
    if (decision.kind === "layer") return this.clocks[decision.index]?.participant(decision.shift);
    return undefined;
  }

  layerName(decision: Decision): string | undefined {
    return decision.kind === "layer" ? this.schedule.layers[decision.index]?.name : undefined;
  }
}

function checkInstant(name: string, ms: number): void {
  if (!Number.isFinite(ms)) throw new RangeError(`${name} must be a finite number of epoch milliseconds, got ${ms}`);
}

/** Who is on call in `schedule` at `atMs`, and why. */
export function onCallAt(schedule: Schedule, atMs: number): OnCall {
  checkInstant("atMs", atMs);
  const timeline = new Timeline(schedule);
  const decision = timeline.decide(atMs);
  const user = timeline.user(decision);
  if (decision.kind === "none" || user === undefined) return { users: [], source: "none" };

  // Walk the decision's shift (or override) from its start to find the stretch around atMs where it holds.
  const [lowMs, highMs] = timeline.bounds(decision);
  let stretchStartMs = lowMs;
  let holds = sameDecision(timeline.decide(lowMs), decision);
  let candidateMs = timeline.nextCandidateMs(lowMs);
  while (candidateMs <= atMs) {
    const same = sameDecision(timeline.decide(candidateMs), decision);
    if (same && !holds) stretchStartMs = candidateMs;
    holds = same;
    candidateMs = timeline.nextCandidateMs(candidateMs);
  }
  let stretchEndMs = candidateMs;
  while (stretchEndMs < highMs && sameDecision(timeline.decide(stretchEndMs), decision)) stretchEndMs = timeline.nextCandidateMs(stretchEndMs);

  const layer = timeline.layerName(decision);
  return {
    users: [user],
    source: decision.kind,
    ...(layer !== undefined && { layer }),
    ...(decision.kind === "override" && { overrideIndex: decision.index }),
    shiftStartMs: stretchStartMs,
    shiftEndMs: Math.min(stretchEndMs, highMs),
  };
}

/**
 * Who is on call from `fromMs` until `toMs`, in order: clipped to the range, stretches with nobody on call left out,
 * and consecutive pieces with the same user from the same source (the same layer, or overrides) merged into one.
 */
export function shifts(schedule: Schedule, fromMs: number, toMs: number): Shift[] {
  checkInstant("fromMs", fromMs);
  checkInstant("toMs", toMs);
  const out: Shift[] = [];
  if (toMs <= fromMs) return out;
  const timeline = new Timeline(schedule);

  const emit = (decision: Decision, startMs: number, endMs: number): void => {
    const user = timeline.user(decision);
    if (user === undefined) return;
    const layer = timeline.layerName(decision);
    const override = decision.kind === "override";
    const last = out.at(-1);
    if (last && last.endMs === startMs && last.user === user && last.layer === layer && last.override === override) last.endMs = endMs;
    else out.push({ user, startMs, endMs, ...(layer !== undefined && { layer }), override });
  };

  let decision = timeline.decide(fromMs);
  let pieceStartMs = fromMs;
  let atMs = fromMs;
  for (;;) {
    const candidateMs = timeline.nextCandidateMs(atMs);
    if (candidateMs >= toMs) break;
    const next = timeline.decide(candidateMs);
    if (!sameDecision(next, decision)) {
      emit(decision, pieceStartMs, candidateMs);
      decision = next;
      pieceStartMs = candidateMs;
    }
    atMs = candidateMs;
  }
  emit(decision, pieceStartMs, toMs);
  return out;
}
