import type { GroupNotification } from "./dispatcher.types.js";

/**
 * Most bytes a group notification may take on the wire: half of nats-server's default payload limit (1 MB), so
 * headers and a server configured a little tighter leave room. Alerts are capped in number already
 * (MAX_ALERTS_PER_NOTIFICATION), but one alert's annotations can be long (a log message in a summary).
 */
export const MAX_NOTIFICATION_BYTES = 512 * 1024;

const encoder = new TextEncoder();

/**
 * The notification as published, within `maxBytes`: while it is too big, each list keeps the first half of what it
 * listed (the counts stay, so receivers still say how many). Deterministic, so a retry publishes the same bytes.
 * Returns what was sent, for the audit trail.
 */
export function encodeNotification(notification: GroupNotification, maxBytes = MAX_NOTIFICATION_BYTES): { sent: GroupNotification; bytes: Uint8Array } {
  let sent = notification;
  let bytes = encoder.encode(JSON.stringify(sent));
  while (bytes.length > maxBytes && sent.firing.length + sent.resolved.length + sent.muted.length > 0) {
    sent = { ...sent, firing: firstHalf(sent.firing), resolved: firstHalf(sent.resolved), muted: firstHalf(sent.muted) };
    bytes = encoder.encode(JSON.stringify(sent));
  }
  return { sent, bytes };
}

function firstHalf<T>(list: readonly T[]): T[] {
  return list.slice(0, Math.floor(list.length / 2));
}
