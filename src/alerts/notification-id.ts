import type { AlertRecord, GroupRecord } from "./dispatcher.types.js";

const FINGERPRINT_SUM_MODULUS = 2 ** 48;
const DIGEST_MODULUS = 2n ** 40n;
/** A large prime, so that the four values mix rather than add up. */
const MIX = 1_000_003n;

/**
 * A group notification's id: `<group>:<episode>:<n>:<content>`, deterministic so that publishing the same notification
 * twice is dropped by JetStream as a duplicate. The content part is what the notification tells (its firing and
 * resolved alerts, in any order): a coordinator that died after publishing notification n and before storing it is
 * followed by one that sends its own n, and when alerts arrived meanwhile that one says more: with the count alone
 * its id repeated the first and the alerts it added were never told. The same content gives the same id, so a plain
 * replay is still dropped. Groups stored before episodes existed keep `<group>:<n>`.
 */
export function notificationId(group: Pick<GroupRecord, "id" | "episode" | "notificationCount">, firing: readonly AlertRecord[], resolved: readonly AlertRecord[]): string {
  if (group.episode === undefined) return `${group.id}:${group.notificationCount}`;
  return `${group.id}:${group.episode}:${group.notificationCount}:${contentDigest(firing, resolved)}`;
}

/**
 * Order-independent: each list's length and the sum of its fingerprints' first 48 bits (fingerprints are hex
 * hashes), mixed into 40 bits. A stored group's members come back in another order than they joined, and sorting a
 * storm's 100,000 fingerprints at every flush would cost more than summing them. Short, because incident ids (which
 * people type) are made of notification ids.
 */
function contentDigest(firing: readonly AlertRecord[], resolved: readonly AlertRecord[]): string {
  let digest = 0n;
  for (const value of [firing.length, fingerprintSum(firing), resolved.length, fingerprintSum(resolved)]) digest = (digest * MIX + BigInt(value)) % DIGEST_MODULUS;
  return digest.toString(36);
}

function fingerprintSum(alerts: readonly AlertRecord[]): number {
  let sum = 0;
  for (const alert of alerts) sum = (sum + (Number.parseInt(alert.fingerprint.slice(0, 12), 16) || 0)) % FINGERPRINT_SUM_MODULUS;
  return sum;
}
