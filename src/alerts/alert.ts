import { z } from "zod";

export const alertStatusSchema = z.enum(["firing", "resolved"]);
export type AlertStatus = z.output<typeof alertStatusSchema>;

/**
 * One alert state change, as published on `klaxon.alerts.<fingerprint>`. The wire format (ISO times) is versioned so
 * external producers can publish alerts in too.
 */
export const alertMessageSchema = z.strictObject({
  version: z.literal(1),
  status: alertStatusSchema,
  fingerprint: z.string().regex(/^[0-9a-f]{16}$/, "fingerprint is 16 lowercase hex digits"),
  labels: z.record(z.string(), z.string()).refine((l) => typeof l.alertname === "string", "labels.alertname is required"),
  annotations: z.record(z.string(), z.string()),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }).optional(),
  generator: z.strictObject({ rule: z.string(), version: z.number().int() }).optional(),
  value: z.number().optional(),
});
export type AlertMessage = z.output<typeof alertMessageSchema>;

/** The evaluator's view of a state change: times in epoch ms. */
export interface AlertTransition {
  status: AlertStatus;
  fingerprint: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
  startsAtMs: number;
  /** Present when resolved. */
  endsAtMs?: number;
  rule: { id: string; version: number };
  value?: number;
}

/**
 * A deterministic identity for a transition: re-announcing it (replay, redelivery, a second replica) yields the same
 * id, which JetStream's duplicate window and the alert stage both drop.
 */
export function transitionId(t: Pick<AlertTransition, "fingerprint" | "status" | "startsAtMs">): string {
  return `${t.fingerprint}:${t.status}:${t.startsAtMs}`;
}

export function toAlertMessage(t: AlertTransition): AlertMessage {
  const message: AlertMessage = {
    version: 1,
    status: t.status,
    fingerprint: t.fingerprint,
    labels: { ...t.labels },
    annotations: { ...t.annotations },
    startsAt: new Date(t.startsAtMs).toISOString(),
    generator: { rule: t.rule.id, version: t.rule.version },
  };
  if (t.endsAtMs !== undefined) message.endsAt = new Date(t.endsAtMs).toISOString();
  if (t.value !== undefined) message.value = t.value;
  return message;
}
