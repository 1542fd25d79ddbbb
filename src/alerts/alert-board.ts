import { z } from "zod";
import type { AlertRecord, GroupRecord } from "./dispatcher.types.js";

/** Rows per group the console draws, and the most a request may ask for (HTTP and the coordinator's NATS subject). */
export const DEFAULT_BOARD_ROWS = 50;
export const MAX_BOARD_ROWS = 1_000;
export const boardRowsSchema = z.number().int().min(1).max(MAX_BOARD_ROWS);

/** A firing alert as the board lists it, with what mutes it (silence ids, "inhibited"). */
export type BoardAlert = AlertRecord & { mutedBy: string[] };

/** Alerts of one card: how many fire, since when, and the first rows, worst severity first, then oldest. */
export interface BoardRows {
  firingCount: number;
  /** The oldest firing alert's start; null when none fires. */
  oldestStartsAtMs: number | null;
  alerts: BoardAlert[];
}

/** A group without its member lists (100,000 fingerprints in a storm): what its card needs. */
export type BoardGroupRecord = Omit<GroupRecord, "fingerprints" | "notifiedFiring" | "notifiedResolved">;

/**
 * The console's alert board: each aggregation group with its firing alerts counted and the first `rows` of them,
 * and the firing alerts of no group. Built where the alerts are, so that a refresh sends a few rows per group
 * instead of every alert (with 100,000 alerts, 32.6 MB and ~250 ms of the engine's main thread).
 */
export interface AlertBoard {
  groups: Array<BoardRows & { group: BoardGroupRecord }>;
  ungrouped: BoardRows;
}

/** Order of severities on the board, as the console ranks them (format.js); anything else after them. */
const SEVERITY_RANK: Readonly<Record<string, number>> = { critical: 0, error: 1, warning: 2, info: 3 };
const rankOf = (alert: AlertRecord): number => SEVERITY_RANK[alert.labels.severity ?? ""] ?? 4;

/** Whether `a` is listed before `b`: worse severity first, then the older, then by fingerprint (a stable order). */
function listedBefore(a: AlertRecord, b: AlertRecord): boolean {
  const rank = rankOf(a) - rankOf(b);
  if (rank !== 0) return rank < 0;
  if (a.startsAtMs !== b.startsAtMs) return a.startsAtMs < b.startsAtMs;
  return a.fingerprint < b.fingerprint;
}

/**
 * The first `limit` of `alerts` in board order, kept as they come: a storm's group has 100,000 members, and sorting
 * them all for fifty rows was most of what a refresh cost.
 */
class FirstRows {
  readonly rows: AlertRecord[] = [];
  count = 0;
  oldest = Number.POSITIVE_INFINITY;

  constructor(private readonly limit: number) {}

  offer(alert: AlertRecord): void {
    this.count++;
    if (alert.startsAtMs < this.oldest) this.oldest = alert.startsAtMs;
    const rows = this.rows;
    if (rows.length === this.limit && !listedBefore(alert, rows[rows.length - 1] as AlertRecord)) return;
    let at = rows.length;
    while (at > 0 && listedBefore(alert, rows[at - 1] as AlertRecord)) at--;
    rows.splice(at, 0, alert);
    if (rows.length > this.limit) rows.pop();
  }

  view(mutedBy: (alert: AlertRecord) => string[]): BoardRows {
    return {
      firingCount: this.count,
      oldestStartsAtMs: this.count === 0 ? null : this.oldest,
      alerts: this.rows.map((alert) => ({ ...alert, mutedBy: mutedBy(alert) })),
    };
  }
}

/**
 * The board from the alerts (by fingerprint) and groups the dispatcher, or the store, holds. An alert listed by
 * several groups (several routes) counts in each; `mutedBy` is asked only for the rows listed.
 */
export function alertBoard(alerts: ReadonlyMap<string, AlertRecord>, groups: Iterable<GroupRecord>, rows: number, mutedBy: (alert: AlertRecord) => string[]): AlertBoard {
  const grouped = new Set<string>();
  const boardGroups: AlertBoard["groups"] = [];
  for (const group of groups) {
    const first = new FirstRows(rows);
    for (const fingerprint of group.fingerprints) {
      const alert = alerts.get(fingerprint);
      if (alert === undefined || alert.status !== "firing") continue;
      grouped.add(fingerprint);
      first.offer(alert);
    }
    const { fingerprints: _members, notifiedFiring: _firing, notifiedResolved: _resolved, ...record } = group;
    boardGroups.push({ group: record, ...first.view(mutedBy) });
  }
  const loose = new FirstRows(rows);
  for (const alert of alerts.values()) if (alert.status === "firing" && !grouped.has(alert.fingerprint)) loose.offer(alert);
  return { groups: boardGroups, ungrouped: loose.view(mutedBy) };
}

/** Alerts by fingerprint, for `alertBoard`, from a list (the store's). */
export function byFingerprint(alerts: readonly AlertRecord[]): Map<string, AlertRecord> {
  return new Map(alerts.map((alert) => [alert.fingerprint, alert]));
}
