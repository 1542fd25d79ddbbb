import type { AlertRecord, GroupRecord } from "./dispatcher.types.js";

/**
 * The alert stage's state as the store keeps it. Group membership is written with each alert (`groups`), not as a
 * list in its group: a group of thousands was rewritten whole for every alert that joined it (in a storm of 100,000
 * alerts, gigabytes of JSON a minute). A group record now changes only when its own timing or notified state does.
 */
export interface StoredAlert extends AlertRecord {
  /** Ids of the groups the alert is in. */
  groups?: string[];
}

/**
 * A group without its member list; records written before membership moved to the alerts still carry it. A group
 * that told its receiver of more than TOLD_PART_SIZE firing alerts keeps that list in parts (`toldParts` of them,
 * StoredToldPart) and only the first of it here: one record per key must stay under the server's payload limit
 * (1 MB by default), and a group of 55,000 alerts' list passed it, which stopped the alert stage.
 */
export type StoredGroup = Omit<GroupRecord, "fingerprints"> & { fingerprints?: string[]; toldParts?: number };

/** One part of a large group's `notifiedFiring`, stored under its own key. */
export interface StoredToldPart {
  group: string;
  part: number;
  fingerprints: string[];
}

/** Fingerprints per told-list part: ~19 bytes each as JSON, so a part is ~190 kB. */
export const TOLD_PART_SIZE = 10_000;

/** What a stored group is written as: its record and, for a large told list, the parts of that list. */
export function splitStoredGroup(group: StoredGroup): { record: StoredGroup; parts: StoredToldPart[] } {
  const told = group.notifiedFiring;
  if (told.length <= TOLD_PART_SIZE) return { record: group, parts: [] };
  const parts: StoredToldPart[] = [];
  for (let i = 0; i < told.length; i += TOLD_PART_SIZE) parts.push({ group: group.id, part: parts.length, fingerprints: told.slice(i, i + TOLD_PART_SIZE) });
  // The record keeps the list's start: readers of one record (a Slack click) want a few alerts the receiver saw.
  return { record: { ...group, notifiedFiring: told.slice(0, 100), toldParts: parts.length }, parts };
}

export function toStoredAlert(alert: AlertRecord, groupIds: readonly string[] | undefined): StoredAlert {
  // Object.assign, not a spread followed by `groups`: that would give each alert written a hidden class of its own.
  return Object.assign({}, alert, { groups: groupIds ? [...groupIds] : [] });
}

export function toStoredGroup(group: GroupRecord): StoredGroup {
  const { fingerprints: _members, ...stored } = group;
  return stored;
}

/**
 * Alerts and groups as the dispatcher holds them, membership gathered from both layouts: a group's own list (older
 * records) first, then every alert that names the group. An alert naming a group that is not stored (a commit torn
 * by a crash) is listed in `unstoredGroups` with those groups' ids, so `Dispatcher.restore` can form them again.
 */
export function fromStored(
  alerts: readonly StoredAlert[],
  groups: readonly StoredGroup[],
  toldParts: readonly StoredToldPart[] = [],
): { alerts: AlertRecord[]; groups: GroupRecord[]; unstoredGroups: Map<string, string[]> } {
  const byId = new Map<string, { group: GroupRecord; members: Set<string> }>();
  for (const stored of groups) {
    const fingerprints = [...new Set(stored.fingerprints ?? [])];
    const { toldParts: partCount, ...group } = stored;
    if (partCount !== undefined) group.notifiedFiring = toldOf(stored, partCount, toldParts);
    byId.set(stored.id, { group: { ...group, fingerprints }, members: new Set(fingerprints) });
  }
  const plain: AlertRecord[] = [];
  const unstoredGroups = new Map<string, string[]>();
  for (const stored of alerts) {
    const { groups: ids, ...alert } = stored;
    plain.push(alert);
    for (const id of ids ?? []) {
      const entry = byId.get(id);
      if (!entry) {
        unstoredGroups.set(alert.fingerprint, [...(unstoredGroups.get(alert.fingerprint) ?? []), id]);
        continue;
      }
      if (entry.members.has(alert.fingerprint)) continue;
      entry.members.add(alert.fingerprint);
      entry.group.fingerprints.push(alert.fingerprint);
    }
  }
  return { alerts: plain, groups: [...byId.values()].map((entry) => entry.group), unstoredGroups };
}

/**
 * A large group's told list from its parts, in order. Parts beyond the count are left over from when the list was
 * longer; a part missing (a crash between writes) loses only its alerts' "told", which at worst repeats them.
 */
function toldOf(group: StoredGroup, partCount: number, parts: readonly StoredToldPart[]): string[] {
  const mine = parts.filter((p) => p.group === group.id && p.part < partCount).sort((a, b) => a.part - b.part);
  if (mine.length === 0) return group.notifiedFiring;
  return [...new Set([...group.notifiedFiring, ...mine.flatMap((p) => p.fingerprints)])];
}
