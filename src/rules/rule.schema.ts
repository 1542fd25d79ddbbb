import { z } from "zod";
import { durationSchema, positiveDurationSchema } from "../core/duration.js";
import { conditionsSchema } from "./conditions/index.js";

/** Rule ids appear in alert labels, message ids and CLI output: a slug. */
export const ruleIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_.-]{0,127}$/, "rule id must be a lowercase slug: letters, digits, '_', '.', '-' (e.g. \"api-latency-high\")");

const labelNameSchema = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "label names look like Prometheus label names (e.g. \"team\")");

/**
 * Event fields that identify one alert of a rule: "source", "service", "name", "level", "labels" (every event
 * label) or "labels.<name>" (one label).
 */
export const keyFieldSchema = z
  .string()
  .regex(/^(source|service|name|level|labels|labels\.[A-Za-z_][A-Za-z0-9_]*)$/, 'key fields are "source", "service", "name", "level", "labels" or "labels.<name>"');

export const severitySchema = z.enum(["critical", "error", "warning", "info"]);
export const aggregateSchema = z.enum(["avg", "min", "max", "sum", "count", "rate"]);

const common = {
  id: ruleIdSchema,
  version: z.number().int().positive(),
  description: z.string().max(2_000).optional(),
  enabled: z.boolean().optional(),
  /** Which events feed the rule. */
  event: z.enum(["metric", "log"]),
  /** json-rules-engine conditions selecting the events of this rule; top-level `equal`s on name/service/source/level index it. */
  match: conditionsSchema.optional(),
  keyBy: z.array(keyFieldSchema).min(1).optional(),
  severity: severitySchema,
  // Bounded so an alert message always fits in one NATS message.
  labels: z.record(labelNameSchema, z.string().max(1_024)).refine((l) => Object.keys(l).length <= 32, "at most 32 labels").optional(),
  /** Text rendered from the facts at firing time: "{{ value }}", "{{ labels.host }}", "{{ source }}". */
  annotations: z.record(labelNameSchema, z.string().max(4_096)).refine((a) => Object.keys(a).length <= 32, "at most 32 annotations").optional(),
  /** Too many state changes within `window` turn the storm into one "flapping" alert. */
  flapping: z.strictObject({ changes: z.number().int().min(2).max(1_000), window: positiveDurationSchema }).optional(),
};

/** Fires while the condition holds for the series' latest event (and has held for `for`). */
export const thresholdRuleSchema = z.strictObject({
  ...common,
  kind: z.literal("threshold"),
  when: conditionsSchema,
  for: durationSchema.optional(),
});

/** Aggregates the series' events over a sliding window; `when` sees `value` (the aggregate) and `count`. */
export const windowRuleSchema = z.strictObject({
  ...common,
  kind: z.literal("window"),
  window: positiveDurationSchema,
  aggregate: aggregateSchema,
  when: conditionsSchema,
  for: durationSchema.optional(),
});

/** Fires when a series sends nothing matching for `absentFor`: how a dead service pages. */
export const absenceRuleSchema = z.strictObject({
  ...common,
  kind: z.literal("absence"),
  absentFor: positiveDurationSchema,
  /** Series expected from start-up, even before their first event (key field → value). */
  expect: z.array(z.record(keyFieldSchema, z.string())).optional(),
});

export const ruleSchema = z
  .discriminatedUnion("kind", [thresholdRuleSchema, windowRuleSchema, absenceRuleSchema])
  .superRefine((rule, ctx) => {
    if (rule.kind === "window" && rule.event === "log" && !["count", "rate"].includes(rule.aggregate)) {
      ctx.addIssue({ code: "custom", path: ["aggregate"], message: `log events have no value: use "count" or "rate" (events per second), not "${rule.aggregate}"` });
    }
    if (rule.kind === "absence" && rule.expect) {
      const keys = new Set(rule.keyBy ?? ["source"]);
      rule.expect.forEach((series, i) => {
        for (const field of Object.keys(series)) {
          if (!keys.has(field)) ctx.addIssue({ code: "custom", path: ["expect", i, field], message: `"${field}" is not in keyBy (${[...keys].join(", ")})` });
        }
      });
    }
  });

export type Rule = z.output<typeof ruleSchema>;
export type RuleInput = z.input<typeof ruleSchema>;
export type ThresholdRule = Extract<Rule, { kind: "threshold" }>;
export type WindowRule = Extract<Rule, { kind: "window" }>;
export type AbsenceRule = Extract<Rule, { kind: "absence" }>;
export type Aggregate = z.output<typeof aggregateSchema>;
export type Severity = z.output<typeof severitySchema>;
