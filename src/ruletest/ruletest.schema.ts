import { z } from "zod";
import { durationSchema } from "../core/duration.js";

const labelSet = z.record(z.string(), z.string());

/** One event template; `time` is added by the runner from `at` (+ `every` × n). */
const eventTemplate = z.record(z.string(), z.unknown()).refine((e) => !("time" in e), "leave out \"time\": it is computed from \"at\" and \"every\"");

const inputSeries = z
  .strictObject({
    /** Offset from the test's start of the first event. */
    at: durationSchema,
    event: eventTemplate,
    /** Repeat the event this many times in all, `every` apart. */
    repeat: z.number().int().min(1).max(100_000).optional(),
    every: durationSchema.optional(),
    /** One metric event per value, `every` apart (overrides the event's value). */
    values: z.array(z.number()).min(1).max(100_000).optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.repeat !== undefined || s.values !== undefined) && s.every === undefined) ctx.addIssue({ code: "custom", path: ["every"], message: "\"every\" is needed with \"repeat\" or \"values\"" });
    if (s.repeat !== undefined && s.values !== undefined) ctx.addIssue({ code: "custom", path: ["values"], message: "use either \"repeat\" or \"values\", not both" });
  });

const expectedAlert = z.strictObject({
  /** Must all be present on the alert (alertname and severity included if given). */
  labels: labelSet,
  /** When given, each must render exactly to this text. */
  annotations: labelSet.optional(),
});

const expectation = z.strictObject({
  at: durationSchema,
  /** Only this rule's alerts are compared; without it, every firing alert is. */
  rule: z.string().optional(),
  /** Exactly the alerts firing at that instant: each listed one matches one firing alert, and no other fires. */
  firing: z.array(expectedAlert),
});

export const ruleTestFileSchema = z.strictObject({
  /** Rule files or directories, relative to this test file. */
  rules: z.array(z.string().min(1)).min(1),
  /** ISO-8601 instant the offsets count from. */
  start: z.iso.datetime({ offset: true }).default("2026-01-05T00:00:00Z"),
  tests: z
    .array(
      z.strictObject({
        name: z.string().min(1),
        events: z.array(inputSeries).default([]),
        expect: z.array(expectation).min(1),
      }),
    )
    .min(1),
});

export type RuleTestFile = z.output<typeof ruleTestFileSchema>;
export type RuleTestCase = RuleTestFile["tests"][number];
export type Expectation = RuleTestCase["expect"][number];
