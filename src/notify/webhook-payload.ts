import { createHmac } from "node:crypto";
import { notificationTotals, type AlertInput } from "./context.js";

/** The version of the webhook body; a change that could break a receiver gets a new number. */
export const WEBHOOK_PAYLOAD_VERSION = 1;
export const SIGNATURE_HEADER = "klaxon-signature";
export const DELIVERY_HEADER = "klaxon-delivery";

export interface WebhookPayload {
  version: typeof WEBHOOK_PAYLOAD_VERSION;
  /** Stable across retries and crashes: receivers drop a second delivery with the same id. */
  id: string;
  receiver: string;
  status: "firing" | "resolved";
  reason: string;
  groupId: string;
  groupLabels: Record<string, string>;
  alerts: Array<{ fingerprint: string; status: "firing" | "resolved"; labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string | null }>;
  muted: Array<{ fingerprint: string; by: string[] }>;
  /** Alerts of the group not in `alerts` (a notification lists the first 100 of each kind), as Alertmanager's field. */
  truncatedAlerts: number;
  notifiedAt: string;
}

export interface GroupNotificationInput {
  receiver: string;
  status: "firing" | "resolved";
  reason: string;
  groupId: string;
  groupLabels: Readonly<Record<string, string>>;
  firing: readonly AlertInput[];
  resolved: readonly AlertInput[];
  muted: ReadonlyArray<{ fingerprint: string; by: string[] }>;
  /** Totals when the lists show only the first alerts (absent: the lists are complete). */
  firingCount?: number | undefined;
  resolvedCount?: number | undefined;
  atMs: number;
}

/** The body is a pure function of the notification, so a retry sends the same bytes (and the same signature). */
export function webhookPayload(id: string, n: GroupNotificationInput): WebhookPayload {
  const iso = (ms: number): string => new Date(ms).toISOString();
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    id,
    receiver: n.receiver,
    status: n.status,
    reason: n.reason,
    groupId: n.groupId,
    groupLabels: { ...n.groupLabels },
    alerts: [...n.firing, ...n.resolved].map((a) => ({
      fingerprint: a.fingerprint,
      status: a.status,
      labels: { ...a.labels },
      annotations: { ...a.annotations },
      startsAt: iso(a.startsAtMs),
      endsAt: a.endsAtMs === undefined ? null : iso(a.endsAtMs),
    })),
    muted: n.muted.map((m) => ({ fingerprint: m.fingerprint, by: [...m.by] })),
    truncatedAlerts: truncatedAlerts(n),
    notifiedAt: iso(n.atMs),
  };
}

function truncatedAlerts(n: GroupNotificationInput): number {
  const totals = notificationTotals(n);
  return totals.firing - n.firing.length + (totals.resolved - n.resolved.length);
}

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes with the shared secret (GitHub's scheme, so tools exist). */
export function signWebhookBody(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;
}
