import { createHash } from "node:crypto";

/**
 * Who should hold a role (an evaluation partition, the coordinator): rendezvous hashing over the live members, so
 * every replica computes the same answer from the same member list, and a member joining or leaving moves only the
 * roles it wins or held.
 */
export function desiredOwner(role: string, members: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = "";
  for (const member of members) {
    const score = createHash("sha1").update(`${role}\u0000${member}`).digest("hex");
    if (best === undefined || score > bestScore) {
      best = member;
      bestScore = score;
    }
  }
  return best;
}

/**
 * Liveness judged by the observer, not by timestamps written by others: a key (a member's heartbeat, a lease) is
 * alive while its revision keeps changing. Clocks of different machines never get compared.
 */
export class RevisionLiveness {
  private readonly seen = new Map<string, { revision: number; changedAtMs: number }>();

  /** Record the revision read now. A key seen for the first time counts as just changed. */
  observe(key: string, revision: number, nowMs: number): void {
    const last = this.seen.get(key);
    if (!last || last.revision !== revision) this.seen.set(key, { revision, changedAtMs: nowMs });
  }

  forget(key: string): void {
    this.seen.delete(key);
  }

  /** True when the key's revision has not moved for `leaseMs`: its writer stopped renewing it. */
  isStale(key: string, nowMs: number, leaseMs: number): boolean {
    const last = this.seen.get(key);
    return last !== undefined && nowMs - last.changedAtMs >= leaseMs;
  }

  /** Keep only the keys still present, so a departed member does not linger. */
  retain(keys: ReadonlySet<string>): void {
    for (const key of this.seen.keys()) if (!keys.has(key)) this.seen.delete(key);
  }
}

export interface LeaseView {
  role: string;
  owner: string | undefined;
  /** The lease's owner stopped renewing it (crashed, stalled or cut off). */
  stale: boolean;
}

export type RoleAction = { role: string; action: "acquire" | "release" | "renew"; takeover: boolean };

/**
 * What this member should do with each role, given the live members and the leases as read: acquire what it should
 * hold and nobody holds (or whose holder went stale), release what another live member should hold, renew the
 * rest of its own. `liveMembers` must not contain the holder of a stale lease. A role whose desired owner has not
 * taken it yet stays with its holder until handed over, so a role is never dropped while its next owner starts.
 */
export function planRoles(self: string, liveMembers: readonly string[], leases: readonly LeaseView[]): RoleAction[] {
  const actions: RoleAction[] = [];
  for (const lease of leases) {
    const wanted = desiredOwner(lease.role, liveMembers);
    if (lease.owner === self) {
      actions.push({ role: lease.role, action: wanted === self || wanted === undefined ? "renew" : "release", takeover: false });
    } else if ((lease.owner === undefined || lease.stale) && wanted === self) {
      actions.push({ role: lease.role, action: "acquire", takeover: lease.owner !== undefined });
    }
  }
  return actions;
}
