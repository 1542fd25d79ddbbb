import { z } from "zod";

/**
 * Evaluator state as data. The engine saves it now and then with the stream sequence it covers, so that a restart
 * loads it and replays only the events after it.
 */
export const seriesSnapshotSchema = z.object({
  identity: z.record(z.string(), z.string()),
  labels: z.record(z.string(), z.string()),
  fingerprint: z.string(),
  facts: z.record(z.string(), z.unknown()),
  lastValue: z.number().nullable(),
  lastCondition: z.boolean(),
  conditionSinceMs: z.number().nullable(),
  firingSinceMs: z.number().nullable(),
  publishedFiringSinceMs: z.number().nullable(),
  lastSeenMs: z.number(),
  samples: z.array(z.tuple([z.number(), z.number()])).nullable(),
  changes: z.array(z.number()),
  flappingSinceMs: z.number().nullable(),
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
