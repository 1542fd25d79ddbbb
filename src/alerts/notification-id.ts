import type { AlertRecord, GroupRecord } from "./dispatcher.types.js";

const DIGEST_MODULUS = 2 ** 48;

/**
 * A group notification's id: `<group>:<episode>:<n>:<firing>-<resolved>`, deterministic so that publishing the same notification
 * twice is dropped by JetStream as a duplicate. The content part is what the notification tells (its firing and
 * resolved alerts, in any order): a coordinator that died after publishing notification n and before storing it is
 * followed by one that sends its own n, and when alerts arrived meanwhile that one says more: with the count alone
 * its id repeated the first and the alerts it added were never told. The same content gives the same id, so a plain
 * replay is still dropped. Groups stored before episodes existed keep `<group>:<n>`.
 */
export function notificationId(group: Pick<GroupRecord, "id" | "episode" | "notificationCount">, firing: readonly AlertRecord[], resolved: readonly AlertRecord[]): string {
  if (group.episode === undefined) return `${group.id}:${group.notificationCount}`;
  return `${group.id}:${group.episode}:${group.notificationCount}:${contentDigest(firing)}-${contentDigest(resolved)}`;
}

/**
 * Order-independent: the list's length and the sum of its fingerprints' first 48 bits (fingerprints are hex hashes).
 * A stored group's members come back in another order than they joined, and sorting a storm's 100,000 fingerprints
 * at every flush would cost more than summing them.
 */
function contentDigest(alerts: readonly AlertRecord[]): string {
  let sum = 0;
  for (const alert of alerts) sum = (sum + (Number.parseInt(alert.fingerprint.slice(0, 12), 16) || 0)) % DIGEST_MODULUS;
  return `${alerts.length.toString(36)}_${sum.toString(36)}`;
}
