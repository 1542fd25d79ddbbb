/**
 * The groups each alert is in, by fingerprint: the inverse of the groups' own lists, so that asking is O(1) where
 * scanning a group of thousands is not. An alert is nearly always in one group, and then the entry is that group's
 * id string itself (shared with the group); an array appears only for an alert in two or more. A one-element array
 * per alert was ~5.6 MB of a storm of 100,000 alerts.
 */
export class GroupMembership {
  private readonly byAlert = new Map<string, string | string[]>();

  has(fingerprint: string): boolean {
    return this.byAlert.has(fingerprint);
  }

  includes(fingerprint: string, groupId: string): boolean {
    const ids = this.byAlert.get(fingerprint);
    return ids === groupId || (Array.isArray(ids) && ids.includes(groupId));
  }

  /** The alert's group ids, in the order it joined them; undefined when it is in none. A copy: it may be kept. */
  groupsOf(fingerprint: string): string[] | undefined {
    const ids = this.byAlert.get(fingerprint);
    if (ids === undefined) return undefined;
    return typeof ids === "string" ? [ids] : [...ids];
  }

  link(fingerprint: string, groupId: string): void {
    const ids = this.byAlert.get(fingerprint);
    if (ids === undefined) this.byAlert.set(fingerprint, groupId);
    else if (typeof ids === "string") {
      if (ids !== groupId) this.byAlert.set(fingerprint, [ids, groupId]);
    } else if (!ids.includes(groupId)) ids.push(groupId);
  }

  /** The alert leaves the group. True when that was the last group it was in (not when it was in none to begin with). */
  unlink(fingerprint: string, groupId: string): boolean {
    const ids = this.byAlert.get(fingerprint);
    if (ids === undefined) return false;
    if (typeof ids === "string") {
      if (ids !== groupId) return false;
      this.byAlert.delete(fingerprint);
      return true;
    }
    const at = ids.indexOf(groupId);
    if (at < 0) return false;
    ids.splice(at, 1);
    // Back to one: the id string alone again, as a new member would be.
    if (ids.length === 1) this.byAlert.set(fingerprint, ids[0] as string);
    return false;
  }
}
