import { z } from "zod";

/**
 * Inventory state as data: what the stage stores (one record per member, per unknown reporter, and per source's
 * recent change records) and loads again on start, so that silences, drifts and changes survive restarts.
 */

/** An alert as it was announced downstream: resolving it later must use exactly these labels and `startsAtMs`. */
export const announcedAlertSchema = z.object({
  fingerprint: z.string(),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAtMs: z.number(),
  rule: z.object({ id: z.string(), version: z.number().int() }),
});

/** A fact whose value changed in a report, waiting for its judgement (covered by a change record or not). */
export const pendingChangeSchema = z.object({
  fact: z.string(),
  from: z.string(),
  to: z.string(),
  atMs: z.number(),
});

export const memberStateSchema = z.object({
  source: z.string(),
  service: z.string().optional(),
  /** When the inventory first listed it: "never reported" is counted from here. */
  sinceMs: z.number(),
  lastReportMs: z.number().nullable(),
  /** Every fact reported so far, newest value each, as text; null until the first report. */
  facts: z.record(z.string(), z.string()).nullable(),
  pending: z.array(pendingChangeSchema),
  /** Announced and not yet resolved, by alert key: "missing", "drift:<fact>", "unaudited:<fact>". */
  alerts: z.record(z.string(), announcedAlertSchema),
});

/** What `klaxon drift` needs beside the state: the intended facts at the time it was written. */
export const memberRecordSchema = memberStateSchema.extend({
  expected: z.record(z.string(), z.string()),
  intervalMs: z.number(),
});

export const unknownStateSchema = z.object({
  source: z.string(),
  service: z.string().optional(),
  firstReportMs: z.number(),
  lastReportMs: z.number(),
  facts: z.record(z.string(), z.string()),
  /** An unknown reporter is remembered only while its alert fires. */
  alert: announcedAlertSchema,
});

export const changeRecordSchema = z.object({
  source: z.string(),
  service: z.string().optional(),
  who: z.string(),
  what: z.string(),
  ticket: z.string(),
  timeMs: z.number(),
});

export type AnnouncedAlert = z.infer<typeof announcedAlertSchema>;
export type PendingChange = z.infer<typeof pendingChangeSchema>;
export type MemberState = z.infer<typeof memberStateSchema>;
export type MemberRecord = z.infer<typeof memberRecordSchema>;
export type UnknownState = z.infer<typeof unknownStateSchema>;
export type ChangeRecord = z.infer<typeof changeRecordSchema>;

/** Everything the monitor keeps, as loaded from the store at start-up. */
export interface SavedInventoryState {
  members: MemberRecord[];
  unknowns: UnknownState[];
  changes: ChangeRecord[];
}
