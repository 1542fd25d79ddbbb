import { z } from "zod";
import { compileMatchers, matcherSchema } from "./matchers.js";
import type { Labels, Matcher } from "./model.js";

/** A silence: alerts matching every matcher between start and end are tracked but not notified. */
export interface Silence {
  readonly id: string;
  readonly matchers: readonly Matcher[];
  readonly startsAtMs: number;
  readonly endsAtMs: number;
  readonly createdBy: string;
  readonly comment: string;
  readonly updatedAtMs: number;
}

export type SilenceState = "pending" | "active" | "expired";

export function silenceState(silence: Silence, nowMs: number): SilenceState {
  if (nowMs < silence.startsAtMs) return "pending";
  return nowMs < silence.endsAtMs ? "active" : "expired";
}

/** Expired for longer than `retentionMs`: removed from the store, as Alertmanager drops them after its retention. */
export function isPastRetention(silence: Silence, nowMs: number, retentionMs: number): boolean {
  return silenceState(silence, nowMs) === "expired" && nowMs - silence.endsAtMs >= retentionMs;
}

/** What a person (CLI, HTTP, Slack button) submits; ids and times are filled in by the silence service. */
export const silenceRequestSchema = z
  .strictObject({
    matchers: z.array(matcherSchema).min(1, "a silence needs at least one matcher"),
    startsAt: z.iso.datetime({ offset: true }).optional(),
    endsAt: z.iso.datetime({ offset: true }).optional(),
    /** Alternative to endsAt: how long from the start, e.g. "2h". */
    duration: z.string().optional(),
    comment: z.string().trim().min(1, "say why: a comment is required").max(1_000),
  })
  .refine((r) => (r.endsAt === undefined) !== (r.duration === undefined), { message: "give either endsAt or duration", path: ["endsAt"] });
export type SilenceRequest = z.output<typeof silenceRequestSchema>;

/** The stored form (JSON in the state bucket). */
export const silenceSchema = z.strictObject({
  id: z.string().min(1),
  matchers: z.array(z.strictObject({ name: z.string(), op: z.enum(["=", "!=", "=~", "!~"]), value: z.string() })),
  startsAtMs: z.number(),
  endsAtMs: z.number(),
  createdBy: z.string(),
  comment: z.string(),
  updatedAtMs: z.number(),
});

interface CompiledSilence {
  silence: Silence;
  matches: (labels: Labels) => boolean;
}

/** Which silences mute an alert now. Shares the `mutes` shape with the inhibitor. */
export class Silencer {
  private readonly silences = new Map<string, CompiledSilence>();
  /**
   * The silences active from `activeFromMs` until (not including) `activeUntilMs`: no silence starts or ends in
   * between. Expired silences are kept (they are listed), and asking each of them about each alert of a storm was
   * most of the work; the active few are asked instead.
   */
  private active: readonly CompiledSilence[] | undefined;
  private activeFromMs = 0;
  private activeUntilMs = 0;

  upsert(silence: Silence): void {
    this.silences.set(silence.id, { silence, matches: compileMatchers(silence.matchers) });
    this.active = undefined;
  }

  remove(id: string): void {
    this.silences.delete(id);
    this.active = undefined;
  }

  get(id: string): Silence | undefined {
    return this.silences.get(id)?.silence;
  }

  list(): Silence[] {
    return [...this.silences.values()].map((s) => s.silence);
  }

  /** Ids of the active silences that match these labels. */
  mutedBy(labels: Labels, nowMs: number): string[] {
    const ids: string[] = [];
    for (const { silence, matches } of this.activeAt(nowMs)) if (matches(labels)) ids.push(silence.id);
    return ids;
  }

  private activeAt(nowMs: number): readonly CompiledSilence[] {
    if (this.active !== undefined && nowMs >= this.activeFromMs && nowMs < this.activeUntilMs) return this.active;
    const active: CompiledSilence[] = [];
    for (const entry of this.silences.values()) if (silenceState(entry.silence, nowMs) === "active") active.push(entry);
    this.active = active;
    this.activeFromMs = nowMs;
    this.activeUntilMs = this.nextChangeMs(nowMs) ?? Number.POSITIVE_INFINITY;
    return active;
  }

  /** The next instant a silence starts or ends: the dispatcher looks again then. */
  nextChangeMs(nowMs: number): number | undefined {
    let next: number | undefined;
    for (const { silence } of this.silences.values()) {
      for (const t of [silence.startsAtMs, silence.endsAtMs]) if (t > nowMs && (next === undefined || t < next)) next = t;
    }
    return next;
  }
}
