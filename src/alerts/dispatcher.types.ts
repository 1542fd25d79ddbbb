import type { Labels } from "./model.js";

/** An alert as the alert stage knows it, keyed by fingerprint. Times in epoch ms. */
export interface AlertRecord {
  fingerprint: string;
  status: "firing" | "resolved";
  labels: Labels;
  annotations: Labels;
  startsAtMs: number;
  endsAtMs?: number;
  generator?: { rule: string; version: number };
  value?: number;
}

/** An aggregation group: alerts of one route that share the route's group-by labels. */
export interface GroupRecord {
  id: string;
  routeId: string;
  receiver: string;
  groupLabels: Labels;
  fingerprints: string[];
  createdAtMs: number;
  nextFlushAtMs: number;
  hasFlushed: boolean;
  lastNotifiedAtMs?: number;
  /** What the receiver was last told: it decides whether a flush has news. */
  notifiedFiring: string[];
  /** Empty: resolved alerts leave the group at the flush that tells of them. Records written before may list some. */
  notifiedResolved: string[];
  notificationCount: number;
  /**
   * Which forming of the group this is: a hash of the alert that formed it. A group whose alerts have all resolved is
   * deleted, and formed again it has the same id (the hash of its labels), so its notifications' ids carry this too:
   * with `<id>:<n>` alone the new forming's first notification repeated the old one's id, which JetStream drops as a
   * duplicate for an hour and the escalation stage takes for a redelivery of a resolved incident: nobody was paged.
   * Absent from groups stored before it existed, whose ids stay `<id>:<n>`.
   */
  episode?: string;
}

/** Why a group was notified, as Alertmanager would explain it. */
export type NotifyReason = "first" | "new_alerts" | "resolved" | "repeat";

/** One notification of one group to one receiver: what the escalation and notify stages act on. */
export interface GroupNotification {
  /** Deterministic (see notificationId): publishing it twice is dropped as a duplicate. */
  id: string;
  receiver: string;
  routeId: string;
  groupId: string;
  groupLabels: Labels;
  reason: NotifyReason;
  status: "firing" | "resolved";
  /** The first of the group's firing alerts, at most MAX_ALERTS_PER_NOTIFICATION; `firingCount` says how many fire. */
  firing: AlertRecord[];
  resolved: AlertRecord[];
  /** Firing alerts held back, and why (silence ids or "inhibited"): tracked, not notified. Capped like `firing`. */
  muted: Array<{ fingerprint: string; by: string[] }>;
  /** How many alerts of each list the group holds: the lists may show only the first of them. */
  firingCount: number;
  resolvedCount: number;
  mutedCount: number;
  atMs: number;
}
