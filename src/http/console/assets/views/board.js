// The alert board as data: firing alerts grouped the way they were notified, each group with its incident (who was
// paged, who acknowledged). Kept apart from the drawing so the grouping rules read in one place.
import { severityRank } from "../format.js";

const INCIDENT_ORDER = { triggered: 0, acknowledged: 1, resolved: 2 };

function worstSeverity(alerts) {
  return alerts.map((a) => a.labels.severity).sort((a, b) => severityRank(a) - severityRank(b))[0] ?? "info";
}

/**
 * One card per aggregation group with firing alerts or an open incident, plus cards for open incidents whose group
 * is gone and for firing alerts not (yet) in any group. Needs-action first: paging incidents, then unacknowledged
 * alerts, then acknowledged; within those the worst severity, then the oldest.
 */
export function buildBoard({ alerts, groups, incidents, pages }) {
  const firing = new Map(alerts.filter((a) => a.status === "firing").map((a) => [a.fingerprint, a]));
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

  const cards = [];
  const grouped = new Set();
  const shownIncidents = new Set();
  for (const group of groups) {
    const groupAlerts = group.fingerprints.map((fp) => firing.get(fp)).filter(Boolean);
    for (const alert of groupAlerts) grouped.add(alert.fingerprint);
    const incident = incidentOf(group.id);
    if (groupAlerts.length === 0 && (incident === null || incident.state === "resolved")) continue;
    if (incident) shownIncidents.add(incident.id);
    cards.push({ key: group.id, group, alerts: groupAlerts, incident, pages: incident ? pagesOf(incident.id) : [] });
  }
  for (const incident of incidents) {
    if (incident.state === "resolved" || shownIncidents.has(incident.id)) continue;
    cards.push({ key: incident.id, group: null, alerts: [], incident, pages: pagesOf(incident.id) });
  }
  const loose = [...firing.values()].filter((a) => !grouped.has(a.fingerprint));
  if (loose.length > 0) cards.push({ key: "ungrouped", group: null, alerts: loose, incident: null, pages: [] });

  for (const card of cards) {
    card.alerts.sort((a, b) => severityRank(a.labels.severity) - severityRank(b.labels.severity) || a.startsAtMs - b.startsAtMs);
    card.severity = card.alerts.length > 0 ? worstSeverity(card.alerts) : "critical";
    // A loop, not Math.min(...): spreading a storm's alerts as arguments overflows the stack (~120,000 in V8).
    card.sinceMs = card.incident?.openedAtMs ?? Infinity;
    for (const alert of card.alerts) card.sinceMs = Math.min(card.sinceMs, alert.startsAtMs);
    card.state = card.incident?.state ?? "firing";
  }
  const urgency = (card) => (card.incident ? INCIDENT_ORDER[card.incident.state] : 0.5);
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
