import assert from "node:assert/strict";
import { scheduleSchema, shifts, type Schedule, type ScheduleConfig } from "../../src/schedules/index.js";

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Instants are written with an explicit offset (usually Z), so tests read the same in any TZ. */
export function ms(instant: string): number {
  const parsed = Date.parse(instant);
  assert.ok(Number.isFinite(parsed) && /(Z|[+-]\d{2}:\d{2})$/.test(instant), `bad instant in test: ${instant}`);
  return parsed;
}

export const iso = (epochMs: number): string => new Date(epochMs).toISOString().replace(".000Z", "Z");

type LayerConfig = ScheduleConfig["layers"][number];
type RotationConfig = LayerConfig["rotation"];

/** A schedule "s" in `timeZone` from its layers (and overrides), through the schema as a file would go. */
export function schedule(timeZone: string, layers: LayerConfig[], overrides: ScheduleConfig["overrides"] = []): Schedule {
  return scheduleSchema.parse({ id: "s", version: 1, name: "S", timeZone, layers, overrides });
}

/** One layer named `name` with a rotation, and restrictions if given. */
export function layer(name: string, rotation: RotationConfig, restrictions?: LayerConfig["restrictions"]): LayerConfig {
  return { name, rotation, ...(restrictions && { restrictions }) };
}

/** A schedule with one rotation layer "rota". */
export function rotation(timeZone: string, config: RotationConfig): Schedule {
  return schedule(timeZone, [layer("rota", config)]);
}

/** The shifts in [from, to) as "start user" lines: where each handoff happens, as a UTC instant. */
export function handoffs(s: Schedule, from: string, to: string): string[] {
  return shifts(s, ms(from), ms(to)).map((shift) => `${iso(shift.startMs)} ${shift.user}`);
}

/** The shifts in [from, to) as "start – end user (hours)" lines. */
export function spans(s: Schedule, from: string, to: string): string[] {
  return shifts(s, ms(from), ms(to)).map(
    (shift) => `${iso(shift.startMs)} – ${iso(shift.endMs)} ${shift.user}${shift.override ? " override" : ` ${shift.layer}`} ${(shift.endMs - shift.startMs) / HOUR}h`,
  );
}
