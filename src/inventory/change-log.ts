import type { Member } from "./inventory.js";
import type { ChangeRecord } from "./state.schema.js";

/** Recent change records by source, oldest first: what decides whether a changed fact was audited. */
export class ChangeLog {
  private readonly bySource = new Map<string, ChangeRecord[]>();

  /** Add a record; false when the same record is already known (a redelivery). */
  add(record: ChangeRecord): boolean {
    const records = this.bySource.get(record.source) ?? [];
    if (records.some((r) => sameChange(r, record))) return false;
    let i = records.length;
    while (i > 0 && (records[i - 1] as ChangeRecord).timeMs > record.timeMs) i--;
    records.splice(i, 0, record);
    this.bySource.set(record.source, records);
    return true;
  }

  /** Whether a record covers a change of this member seen at `changedAtMs`. */
  covers(member: Member, changedAtMs: number): boolean {
    return (this.bySource.get(member.source) ?? []).some((r) => appliesTo(r, member) && withinWindow(r, changedAtMs, member));
  }

  of(source: string): ChangeRecord[] {
    return this.bySource.get(source) ?? [];
  }

  sources(): IterableIterator<[string, ChangeRecord[]]> {
    return this.bySource.entries();
  }

  /** Drop records older than `cutoffMs`; returns the sources whose list changed. */
  prune(cutoffMs: number): string[] {
    const changed: string[] = [];
    for (const [source, records] of this.bySource) {
      const kept = records.filter((r) => r.timeMs >= cutoffMs);
      if (kept.length === records.length) continue;
      if (kept.length === 0) this.bySource.delete(source);
      else this.bySource.set(source, kept);
      changed.push(source);
    }
    return changed;
  }
}

/** A change record for a host covers all its services; one naming a service covers that service only. */
export function appliesTo(record: ChangeRecord, member: Member): boolean {
  return record.source === member.source && (record.service === undefined || record.service === member.service);
}

/**
 * A record up to `changeWindow` before a change covers it (the usual order: record, then deploy). One made up to the
 * window after it covers it too: before the judgement it prevents the page, after it it resolves the alert. An
 * older change can be settled later by a record whose `time` says when the change was made.
 */
export function withinWindow(record: ChangeRecord, changedAtMs: number, member: Member): boolean {
  return record.timeMs >= changedAtMs - member.changeWindowMs && record.timeMs <= changedAtMs + member.changeWindowMs;
}

function sameChange(a: ChangeRecord, b: ChangeRecord): boolean {
  return a.timeMs === b.timeMs && a.who === b.who && a.what === b.what && a.ticket === b.ticket && a.service === b.service;
}
