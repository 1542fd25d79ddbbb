import { z } from "zod";
import { stringHash32 } from "../core/hash.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import type { Aggregate } from "../rules/rule.schema.js";
import { Series } from "./series.js";
import { SlidingWindow } from "./sliding-window.js";

/**
 * Evaluator state as data. The engine saves it now and then with the stream sequence it covers, so that a restart
 * loads it and replays only the events after it.
 */
export const seriesSnapshotSchema = z.object({
  identity: z.record(z.string(), z.string()),
  // What downstream was told, so a restore under a changed rule can tell it again: kept only for series announced
  // (or flapping). Any other series takes its labels from its rule when it first needs them, as a new one does.
  labels: z.record(z.string(), z.string()).optional(),
  fingerprint: z.string().optional(),
  facts: z.record(z.string(), z.unknown()),
  lastSeenMs: z.number(),
  // Fields at their default (null, false, no changes) are left out: most series are quiet, and a snapshot of tens of
  // thousands of them was mostly nulls. Snapshots written with them all are read the same.
  lastValue: z.number().nullable().optional(),
  lastCondition: z.boolean().optional(),
  conditionSinceMs: z.number().nullable().optional(),
  firingSinceMs: z.number().nullable().optional(),
  publishedFiringSinceMs: z.number().nullable().optional(),
  /** A window's samples: SlidingWindow.encode() (earlier snapshots: `[time, value]` pairs). */
  samples: z.union([z.string().refine(SlidingWindow.isEncoding, "not the samples of a window"), z.array(z.tuple([z.number(), z.number()]))]).nullable().optional(),
  changes: z.array(z.number()).optional(),
  flappingSinceMs: z.number().nullable().optional(),
});

export const evaluatorSnapshotSchema = z.object({
  version: z.literal(1),
  rules: z.array(
    z.object({
      id: z.string(),
      version: z.number().int(),
      contentHash: z.string(),
      signature: z.string(),
      series: z.array(seriesSnapshotSchema),
    }),
  ),
});

export type SeriesSnapshot = z.infer<typeof seriesSnapshotSchema>;
export type EvaluatorSnapshot = z.infer<typeof evaluatorSnapshotSchema>;

const MAX_SNAPSHOT_TEXT = 1024;

/**
 * A snapshot can be taken in parts, one at a time, so that no single save pauses evaluation for long: part `index` of
 * `of` holds the series whose `seriesPartHash` is `index` modulo `of`.
 */
export interface SnapshotPart {
  index: number;
  of: number;
}

/** Stable across restarts and rule versions: a series stays in its part as long as its rule id and key do. */
export function seriesPartHash(ruleId: string, key: string): number {
  return stringHash32(`${ruleId}\u0000${key}`);
}

/**
 * Series state as data; long texts (log messages) are cut, they only feed annotations. Nothing in it is shared with
 * the live series (facts are replaced per event, never changed), so it may be encoded after the evaluator moves on.
 */
export function serializeSeries(s: Series): SeriesSnapshot {
  const saved: SeriesSnapshot = { identity: s.identity, facts: hasLongText(s.facts) ? cutLongTexts(s.facts) : s.facts, lastSeenMs: s.lastSeenMs };
  if (s.lastValue !== undefined) saved.lastValue = s.lastValue;
  if (s.lastCondition) saved.lastCondition = true;
  if (s.conditionSinceMs !== undefined) saved.conditionSinceMs = s.conditionSinceMs;
  if (s.firingSinceMs !== undefined) saved.firingSinceMs = s.firingSinceMs;
  if (s.publishedFiringSinceMs !== undefined) saved.publishedFiringSinceMs = s.publishedFiringSinceMs;
  if (s.window) saved.samples = s.window.encode();
  if (s.changes.length > 0) saved.changes = [...s.changes];
  if (s.flappingSinceMs !== undefined) saved.flappingSinceMs = s.flappingSinceMs;
  if (s.publishedFiringSinceMs !== undefined || s.flappingSinceMs !== undefined) {
    saved.labels = s.labels;
    saved.fingerprint = s.fingerprint;
  }
  return saved;
}

// A snapshot copies the facts of every series: only those holding a long text (a log message) are copied anew.
function hasLongText(facts: Readonly<Record<string, unknown>>): boolean {
  for (const key in facts) {
    const value = facts[key];
    if (typeof value === "string" && value.length > MAX_SNAPSHOT_TEXT) return true;
  }
  return false;
}

function cutLongTexts(facts: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(facts)) out[k] = typeof v === "string" && v.length > MAX_SNAPSHOT_TEXT ? v.slice(0, MAX_SNAPSHOT_TEXT) : v;
  return out;
}

/** Series state from data; `keyOf` is the key scheme of the rule that will hold it (see series-key.ts). */
export function deserializeSeries(saved: SeriesSnapshot, compiled: CompiledRule | undefined, keyOf: (identity: Readonly<Record<string, string>>) => string): Series {
  const rule = compiled?.rule;
  const window = rule?.kind === "window" ? windowOf(rule.window, saved.samples, rule.aggregate) : undefined;
  // Without saved labels (a series never announced), they come from the rule, as for a new series.
  const series = new Series(keyOf(saved.identity), saved.identity, rule, saved.labels, saved.fingerprint, saved.lastSeenMs, window);
  series.facts = saved.facts;
  series.lastValue = saved.lastValue ?? undefined;
  series.lastCondition = saved.lastCondition ?? false;
  series.conditionSinceMs = saved.conditionSinceMs ?? undefined;
  series.firingSinceMs = saved.firingSinceMs ?? undefined;
  series.publishedFiringSinceMs = saved.publishedFiringSinceMs ?? undefined;
  if (saved.changes !== undefined && saved.changes.length > 0) series.changes = [...saved.changes];
  series.flappingSinceMs = saved.flappingSinceMs ?? undefined;
  if (compiled !== undefined) series.deriveIdentityFromFacts(compiled.keyBy, keyOf);
  return series;
}

function windowOf(spanMs: number, samples: SeriesSnapshot["samples"], aggregate: Aggregate): SlidingWindow {
  if (typeof samples === "string") return SlidingWindow.decode(spanMs, samples, aggregate);
  return SlidingWindow.fromSamples(spanMs, samples ?? [], aggregate);
}
