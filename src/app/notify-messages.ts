import type { JsMsg } from "@nats-io/jetstream";
import { z } from "zod";

/** A page as the escalation stage publishes it on `klaxon.pages.<channel>` (PageMessage). */
export const pageMessageSchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_.-]+$/),
  incidentId: z.string().min(1),
  round: z.number().int().nonnegative(),
  level: z.number().int().nonnegative(),
  user: z.string().min(1),
  channel: z.enum(["slack", "email", "sms"]),
  address: z.string().min(1),
  dueAtMs: z.number(),
  title: z.string(),
  receiver: z.string(),
  groupId: z.string().min(1),
  alertFingerprints: z.array(z.string()),
});
export type PageMessageIn = z.output<typeof pageMessageSchema>;

/**
 * An incident's state changed after it was first paged: published by the notify stage's incident watcher on
 * `klaxon.pages.update` (message id `update.<incident>.<stateKey>`, so watchers on several replicas publish it once),
 * and consumed from the same stream as pages, with the same delivery discipline.
 */
export const incidentUpdateSchema = z.object({
  version: z.literal(1),
  incidentId: z.string().min(1),
  stateKey: z.string().regex(/^[A-Za-z0-9_-]+$/),
  purpose: z.enum(["escalated", "acknowledged", "resolved"]),
  atMs: z.number(),
});
export type IncidentUpdate = z.output<typeof incidentUpdateSchema>;

const alertRecordSchema = z.object({
  fingerprint: z.string(),
  status: z.enum(["firing", "resolved"]),
  labels: z.record(z.string(), z.string()),
  annotations: z.record(z.string(), z.string()),
  startsAtMs: z.number(),
  endsAtMs: z.number().optional(),
});

/** The fields of a group notification (`klaxon.notifications.<receiver>`) that receiver channels use. */
export const groupNotificationSchema = z.object({
  id: z.string().min(1),
  receiver: z.string(),
  groupId: z.string().min(1),
  groupLabels: z.record(z.string(), z.string()),
  reason: z.string(),
  status: z.enum(["firing", "resolved"]),
  firing: z.array(alertRecordSchema),
  resolved: z.array(alertRecordSchema),
  muted: z.array(z.object({ fingerprint: z.string(), by: z.array(z.string()) })),
  // Totals, when the lists show only the first alerts; notifications published before they existed list them all.
  firingCount: z.number().int().nonnegative().optional(),
  resolvedCount: z.number().int().nonnegative().optional(),
  mutedCount: z.number().int().nonnegative().optional(),
  atMs: z.number(),
});
export type GroupNotificationIn = z.output<typeof groupNotificationSchema>;

/** An incident's announceable state: what changed since the first page, as a key (`acknowledged-r0l1`). */
export function incidentStateKey(incident: { state: string; round: number; level: number }): string {
  return incident.state === "resolved" ? "resolved" : `${incident.state}-r${incident.round}l${incident.level}`;
}

/** The key of a fresh incident: its first pages announce it, so there is no update to send. */
export const OPENING_STATE_KEY = "triggered-r0l0";

export function purposeOfStateKey(stateKey: string): IncidentUpdate["purpose"] {
  if (stateKey === "resolved") return "resolved";
  return stateKey.startsWith("acknowledged") ? "acknowledged" : "escalated";
}

/** A message's JSON, or undefined when it is not JSON: the schema then says what is wrong. */
export function jsonOf(m: JsMsg): unknown {
  try {
    return m.json();
  } catch {
    return undefined;
  }
}
