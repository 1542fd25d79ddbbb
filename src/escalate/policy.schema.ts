import { z } from "zod";
import { durationSchema } from "../core/duration.js";

const slug = z.string().regex(/^[a-z0-9][a-z0-9_.-]{0,127}$/, 'ids are lowercase slugs (e.g. "ops-default")');

/** Whom a level pages: a person, or whoever a schedule has on call at that moment. */
export const escalationTargetSchema = z.union([z.strictObject({ user: slug }), z.strictObject({ schedule: slug })], {
  error: 'a target is { "user": "<id>" } or { "schedule": "<id>" }',
});

/**
 * An escalation policy: levels paged one after another until someone acknowledges. Each level waits `delay` before
 * the next; after the last level the policy starts over `repeat` more times.
 */
export const escalationPolicySchema = z.strictObject({
  id: slug,
  version: z.number().int().positive(),
  name: z.string().max(200).optional(),
  levels: z
    .array(
      z.strictObject({
        targets: z.array(escalationTargetSchema).min(1, "a level needs at least one target"),
        delay: durationSchema.refine((ms) => ms >= 60_000, "give people at least a minute before escalating (delay ≥ 1m)"),
      }),
    )
    .min(1, "a policy needs at least one level"),
  repeat: z.number().int().min(0).max(10).default(0),
  /** Acknowledged but still unresolved after this long: escalate again from the first level. */
  ackTimeout: durationSchema.optional(),
});

export type EscalationTarget = z.output<typeof escalationTargetSchema>;
export type EscalationPolicy = z.output<typeof escalationPolicySchema>;
