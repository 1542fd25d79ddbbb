import { onCallAt, shifts, type Schedule, type Shift, type User } from "../../schedules/index.js";

/** The people and schedules the engine has loaded (and validated against each other). */
export interface Roster {
  users: readonly User[];
  schedules: readonly Schedule[];
}

/** One stretch of one person on call. `name` is the user's display name (the id when unknown). */
export interface ShiftView {
  user: string;
  name: string;
  startMs: number;
  endMs: number;
  layer?: string;
  override: boolean;
}

export interface ScheduleOverview {
  id: string;
  name: string;
  timeZone: string;
  /**
   * Whoever is on call at `nowMs`, from the start of their current shift (or override) until they hand over to someone
   * else: back-to-back shifts of theirs count as one (a one-person rotation's new week is no handover); null when
   * nobody is on call.
   */
  now: ShiftView | null;
  /** The next handoff to someone else within NEXT_LOOKAHEAD_MS; null when there is none. */
  next: ShiftView | null;
  /** Every shift overlapping [fromMs, toMs), clipped to it. */
  shifts: ShiftView[];
}

export interface OnCallOverview {
  nowMs: number;
  fromMs: number;
  toMs: number;
  schedules: ScheduleOverview[];
}

/** How far ahead "next" looks: a month covers weekly and fortnightly rotations with room to spare. */
export const NEXT_LOOKAHEAD_MS = 31 * 86_400_000;

/**
 * Who is on call now and next in every schedule, and the shifts of a range, as the console draws them. Contacts
 * (phone, e-mail) are left out: the console shows who, never how to reach them.
 */
export function onCallOverview(roster: Roster, fromMs: number, toMs: number, nowMs: number): OnCallOverview {
  const names = new Map(roster.users.map((u) => [u.id, u.name] as const));
  const view = (shift: { user: string; startMs: number; endMs: number; layer?: string; override: boolean }): ShiftView => ({
    user: shift.user,
    name: names.get(shift.user) ?? shift.user,
    startMs: shift.startMs,
    endMs: shift.endMs,
    ...(shift.layer !== undefined && { layer: shift.layer }),
    override: shift.override,
  });

  const schedules = roster.schedules.map((schedule): ScheduleOverview => {
    const current = onCallAt(schedule, nowMs);
    const user = current.users[0];
    const ahead = shifts(schedule, nowMs, nowMs + NEXT_LOOKAHEAD_MS);
    const now =
      user !== undefined && current.shiftStartMs !== undefined && current.shiftEndMs !== undefined
        ? view({ user, startMs: current.shiftStartMs, endMs: handoverMs(ahead, user, current.shiftEndMs), ...(current.layer !== undefined && { layer: current.layer }), override: current.source === "override" })
        : null;
    const upcoming = ahead.find((s) => s.user !== now?.user && s.startMs >= (now?.endMs ?? nowMs));
    return {
      id: schedule.id,
      name: schedule.name,
      timeZone: schedule.timeZone,
      now,
      next: upcoming === undefined ? null : view(upcoming),
      shifts: shifts(schedule, fromMs, toMs).map(view),
    };
  });
  return { nowMs, fromMs, toMs, schedules };
}

/**
 * When `user`, on call in a shift ending at `shiftEndMs`, hands over to someone else: "until" is when they stop being on
 * call, not where their current shift happens to end. `ahead` are the shifts from now on, in order.
 */
function handoverMs(ahead: readonly Shift[], user: string, shiftEndMs: number): number {
  let endMs = shiftEndMs;
  for (const shift of ahead) {
    if (shift.user !== user || shift.startMs > endMs) break;
    endMs = Math.max(endMs, shift.endMs);
  }
  return endMs;
}
