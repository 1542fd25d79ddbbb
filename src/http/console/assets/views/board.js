// The alert board as data: firing alerts grouped the way they were notified, each group with its incident (who was
// paged, who acknowledged). Kept apart from the drawing so the grouping rules read in one place.
import { severityRank } from "../format.js";

const INCIDENT_ORDER = { triggered: 0, acknowledged: 1, resolved: 2 };

/**
 * One card per aggregation group with firing alerts or an open incident, plus cards for open incidents whose group
 * is gone and for firing alerts not (yet) in any group. Needs-action first: paging incidents, then unacknowledged
 * alerts, then acknowledged; within those the worst severity, then the oldest.
 *
 * `board` is the engine's (GET /api/v1/board): per group, how many alerts fire, since when, and the first rows, worst
 * severity first, then oldest. A storm's 100,000 alerts arrive as counts and a few rows, not as a list.
 */
export function buildBoard({ board, incidents, pages }) {
  const incidentsByGroup = new Map();
  for (const incident of incidents) {
    const list = incidentsByGroup.get(incident.groupId) ?? [];
    list.push(incident);
    incidentsByGroup.set(incident.groupId, list);
  }
  // The open incident if there is one, else the newest (the API lists newest first).
  const incidentOf = (groupId) => {
    const list = incidentsByGroup.get(groupId) ?? [];
    return list.find((i) => i.state !== "resolved") ?? list[0] ?? null;
  };
  const pagesOf = (incidentId) => pages.filter((p) => p.incidentId === incidentId);
  const card = (key, group, rows, incident) => ({ key, group, alerts: rows.alerts, firingCount: rows.firingCount, oldestStartsAtMs: rows.oldestStartsAtMs, incident, pages: incident ? pagesOf(incident.id) : [] });

  const cards = [];
  const shownIncidents = new Set();
  for (const rows of board.groups) {
    const incident = incidentOf(rows.group.id);
    if (rows.firingCount === 0 && (incident === null || incident.state === "resolved")) continue;
    if (incident) shownIncidents.add(incident.id);
    cards.push(card(rows.group.id, rows.group, rows, incident));
  }
  for (const incident of incidents) {
    if (incident.state === "resolved" || shownIncidents.has(incident.id)) continue;
    cards.push(card(incident.id, null, { alerts: [], firingCount: 0, oldestStartsAtMs: null }, incident));
  }
  if (board.ungrouped.firingCount > 0) cards.push(card("ungrouped", null, board.ungrouped, null));

  for (const c of cards) {
    // The rows come worst severity first: the first is the card's worst (one without a severity ranks last, as info).
    c.severity = c.alerts.length > 0 ? (c.alerts[0].labels.severity ?? "info") : "critical";
    c.sinceMs = Math.min(c.incident?.openedAtMs ?? Infinity, c.oldestStartsAtMs ?? Infinity);
    c.state = c.incident?.state ?? "firing";
  }
  const urgency = (c) => (c.incident ? INCIDENT_ORDER[c.incident.state] : 0.5);
  cards.sort((a, b) => urgency(a) - urgency(b) || severityRank(a.severity) - severityRank(b.severity) || a.sinceMs - b.sinceMs);
  return cards;
}

/** "alice: slack (sent 14:03), sms (scheduled 14:05)": pages of one incident, per person, in order. */
export function pagesByPerson(pages) {
  const people = new Map();
  for (const page of [...pages].sort((a, b) => a.dueAtMs - b.dueAtMs)) {
    const list = people.get(page.user) ?? [];
    list.push(page);
    people.set(page.user, list);
  }
  return [...people.entries()].map(([user, list]) => ({ user, pages: list }));
}
