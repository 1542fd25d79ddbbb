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

/** A group without its member list; records written before membership moved to the alerts still carry it. */
export type StoredGroup = Omit<GroupRecord, "fingerprints"> & { fingerprints?: string[] };

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
 * records) first, then every alert that names the group. An alert naming a group that is gone is left out of it.
 */
export function fromStored(alerts: readonly StoredAlert[], groups: readonly StoredGroup[]): { alerts: AlertRecord[]; groups: GroupRecord[] } {
  const byId = new Map<string, { group: GroupRecord; members: Set<string> }>();
  for (const stored of groups) {
    const fingerprints = [...new Set(stored.fingerprints ?? [])];
    byId.set(stored.id, { group: { ...stored, fingerprints }, members: new Set(fingerprints) });
  }
  const plain: AlertRecord[] = [];
  for (const stored of alerts) {
    const { groups: ids, ...alert } = stored;
    plain.push(alert);
    for (const id of ids ?? []) {
      const entry = byId.get(id);
      if (!entry || entry.members.has(alert.fingerprint)) continue;
      entry.members.add(alert.fingerprint);
      entry.group.fingerprints.push(alert.fingerprint);
    }
  }
  return { alerts: plain, groups: [...byId.values()].map((entry) => entry.group) };
}
