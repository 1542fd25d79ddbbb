import type { LevelPage } from "./incident.js";

/** What the escalation stage needs to know about a person (the users file provides it). */
export interface Pageable {
  id: string;
  contacts: Readonly<Partial<Record<string, string>>>;
  notificationRules: ReadonlyArray<{ channel: string; after: number }>;
}

/**
 * One page to one person on one channel. Its id is deterministic — incident, round, level, person, channel — so the
 * outbox can claim it once (create-if-absent) and the channel stream drops a second publish: exactly one page per
 * (alert group, step, person, channel).
 */
export interface PageIntent {
  id: string;
  incidentId: string;
  round: number;
  level: number;
  user: string;
  channel: string;
  /** The address on that channel (Slack user id, email, phone): resolved now, from the users file. */
  address: string;
  dueAtMs: number;
}

export interface PagePlan {
  intents: PageIntent[];
  /** Targets that resolved to nobody (an empty schedule slot, an unknown user): paging must never fail silently. */
  unreachable: Array<{ target: string; reason: string }>;
}

/** Turn a level into pages: schedules resolved to whoever is on call at `page.atMs`, each person's notification rules applied. */
export function planPages(page: LevelPage, onCall: (scheduleId: string, atMs: number) => string[], users: ReadonlyMap<string, Pageable>): PagePlan {
  const intents: PageIntent[] = [];
  const unreachable: PagePlan["unreachable"] = [];
  const people = new Set<string>();
  for (const target of page.targets) {
    if ("user" in target) people.add(target.user);
    else {
      const who = onCall(target.schedule, page.atMs);
      if (who.length === 0) unreachable.push({ target: `schedule ${target.schedule}`, reason: "nobody is on call" });
      for (const id of who) people.add(id);
    }
  }
  for (const id of people) {
    const user = users.get(id);
    if (!user) {
      unreachable.push({ target: `user ${id}`, reason: "not in the users file" });
      continue;
    }
    for (const rule of user.notificationRules) {
      const address = user.contacts[rule.channel];
      if (!address) {
        unreachable.push({ target: `user ${id}`, reason: `no ${rule.channel} contact` });
        continue;
      }
      intents.push({
        id: `${page.incidentId}.r${page.round}l${page.level}.${id}.${rule.channel}`,
        incidentId: page.incidentId,
        round: page.round,
        level: page.level,
        user: id,
        channel: rule.channel,
        address,
        dueAtMs: page.atMs + rule.after,
      });
    }
  }
  return { intents, unreachable };
}
