import { onCallAt, shifts, type Schedule, type User } from "../../schedules/index.js";

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
  /** Whoever is on call at `nowMs`, for as long as this same shift (or override) lasts; null when nobody is. */
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
    const now =
      user !== undefined && current.shiftStartMs !== undefined && current.shiftEndMs !== undefined
        ? view({ user, startMs: current.shiftStartMs, endMs: current.shiftEndMs, ...(current.layer !== undefined && { layer: current.layer }), override: current.source === "override" })
        : null;
    const upcoming = shifts(schedule, now?.endMs ?? nowMs, nowMs + NEXT_LOOKAHEAD_MS).find((s) => s.user !== now?.user);
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
