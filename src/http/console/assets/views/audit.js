// The audit trail: a search page, and one alert's (or incident's) timeline. Both read records shaped
// { action, actor, timeMs, subject?, details } from the engine's audit API.
import { ApiError, get, query } from "../api.js";
import { append, empty, h, replace } from "../dom.js";
import { fullTime, when } from "../format.js";

const SINCE_CHOICES = { "1h": 3_600_000, "6h": 21_600_000, "24h": 86_400_000, "7d": 604_800_000, "30d": 2_592_000_000 };

const ACTION_NAMES = {
  "alert.fired": "Alert fired",
  "alert.resolved": "Alert resolved",
  "group.notified": "Group notified",
  "group.notification_failed": "Notification failed",
  "incident.opened": "Incident opened",
  "incident.escalated": "Escalated",
  "incident.acknowledged": "Acknowledged",
  "incident.ack_timeout": "Acknowledgement timed out",
  "incident.resolved": "Resolved",
  "incident.escalation_exhausted": "Escalation exhausted",
  "page.sent": "Paged",
  "page.cancelled": "Page cancelled",
  "page.unreachable": "Could not page",
  "silence.created": "Silence created",
  "silence.expired": "Silence expired",
};

/** The records of an audit answer: an array, or an object holding one (tolerated, so the view outlives a reshape). */
function recordsOf(answer) {
  if (Array.isArray(answer)) return answer;
  return Array.isArray(answer?.records) ? answer.records : [];
}

/** The engine answers 404 "no such endpoint" for a route it does not have (an older engine). */
function endpointMissing(error) {
  return error instanceof ApiError && error.status === 404 && String(error.body?.error ?? "").startsWith("no such endpoint");
}

/** A missing endpoint is said plainly, never shown as an empty result. */
function unavailable(what, endpoint) {
  return h("p", { class: "empty unavailable", "data-unavailable": endpoint }, `${what} is not available: this engine does not serve ${endpoint}.`);
}

function summary(record) {
  const details = record.details ?? {};
  if (record.action === "page.sent") return `${details.user} via ${details.channel}, level ${Number(details.level ?? 0) + 1}`;
  return Object.entries(details)
    .filter(([, value]) => value !== null && value !== undefined && typeof value !== "object")
    .slice(0, 6)
    .map(([key, value]) => `${key}: ${value}`)
    .join(" · ");
}

function detailsCell(record) {
  const json = JSON.stringify(record.details ?? {});
  return json.length <= 160 ? h("code", {}, json) : h("details", {}, h("summary", {}, summary(record) || "details"), h("code", {}, json));
}

export async function renderAudit(root, context) {
  const p = context.params;
  const since = SINCE_CHOICES[p.get("since")] ? p.get("since") : "24h";
  const fields = {
    alert: h("input", { id: "audit-alert", value: p.get("alert") ?? "", placeholder: "fingerprint" }),
    actor: h("input", { id: "audit-actor", value: p.get("actor") ?? "", placeholder: "bob" }),
    action: h("input", { id: "audit-action", value: p.get("action") ?? "", placeholder: "incident." }),
    until: h("input", { id: "audit-until", type: "datetime-local", value: p.get("until") ?? "" }),
    limit: h("input", { id: "audit-limit", type: "number", min: 1, max: 10000, value: p.get("limit") ?? "200" }),
    since: h("select", { id: "audit-since" }, Object.keys(SINCE_CHOICES).map((key) => h("option", { value: key, selected: key === since }, `last ${key}`))),
  };
  const form = h(
    "form",
    { class: "panel", novalidate: true },
    h(
      "div",
      { class: "form-grid" },
      [
        ["audit-since", "Since", fields.since],
        ["audit-until", "Until (your time)", fields.until],
        ["audit-alert", "Alert", fields.alert],
        ["audit-actor", "Actor", fields.actor],
        ["audit-action", "Action (prefix)", fields.action],
        ["audit-limit", "At most", fields.limit],
      ].map(([id, text, input]) => h("div", {}, h("label", { for: id }, text), input)),
    ),
    h("button", { type: "submit" }, "Search"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const search = new URLSearchParams();
    for (const [key, input] of Object.entries(fields)) if (input.value.trim() !== "") search.set(key, input.value.trim());
    context.go(`#/audit?${search}`);
  });
  const results = h("div", { id: "audit-results" }, h("p", { class: "muted" }, "Searching…"));
  replace(root, h("div", { class: "toolbar" }, h("h1", {}, "Audit trail")), form, results);

  const until = p.get("until") ? new Date(p.get("until")).toISOString() : undefined;
  let answer;
  try {
    answer = await get(
      `audit${query({
        since: new Date(Date.now() - SINCE_CHOICES[since]).toISOString(),
        until,
        alert: p.get("alert"),
        actor: p.get("actor"),
        action: p.get("action"),
        limit: p.get("limit") ?? 200,
      })}`,
    );
  } catch (error) {
    if (endpointMissing(error)) return replace(results, unavailable("Audit search", "GET /api/v1/audit"));
    throw error;
  }
  if (!context.isCurrent()) return;
  const records = recordsOf(answer);
  const nowMs = Date.now();
  replace(results, 
    records.length === 0
      ? empty("No audit records match.")
      : h(
          "div",
          { class: "table-wrap" },
          h(
            "table",
            { id: "audit-table" },
            h("thead", {}, h("tr", {}, ["Time", "Action", "Actor", "Subject", "Details"].map((t) => h("th", {}, t)))),
            h(
              "tbody",
              {},
              records.map((record) =>
                h(
                  "tr",
                  {},
                  h("td", { title: fullTime(record.timeMs) }, when(record.timeMs, nowMs)),
                  h("td", {}, record.action),
                  h("td", {}, record.actor),
                  h("td", {}, record.subject ? h("a", { href: `#/timeline/${encodeURIComponent(record.subject)}` }, record.subject) : ""),
                  h("td", { class: "details" }, detailsCell(record)),
                ),
              ),
            ),
          ),
        ),
    h("p", { class: "muted" }, `${records.length} record${records.length === 1 ? "" : "s"}${records.length >= Number(p.get("limit") ?? 200) ? " (the limit; narrow the search to see others)" : ""}.`),
  );
}

export async function renderTimeline(root, context) {
  const id = context.arg;
  replace(root, h("div", { class: "toolbar" }, h("h1", {}, "Timeline"), h("code", {}, id)));
  if (id === "") return append(root, empty("Open a timeline from an alert or an incident."));
  let answer;
  try {
    answer = await get(`timeline/${encodeURIComponent(id)}`);
  } catch (error) {
    if (endpointMissing(error)) return append(root, unavailable("The timeline", "GET /api/v1/timeline/<id>"));
    if (error instanceof ApiError && error.status === 404) return append(root, empty(error.message));
    throw error;
  }
  if (!context.isCurrent()) return;
  const records = recordsOf(answer).slice().sort((a, b) => a.timeMs - b.timeMs);
  const nowMs = Date.now();
  append(root, 
    records.length === 0
      ? empty("The audit trail has nothing about this alert or incident.")
      : h(
          "ol",
          { class: "timeline", id: "timeline" },
          records.map((record) =>
            h(
              "li",
              { "data-action": record.action },
              h("time", { datetime: new Date(record.timeMs).toISOString(), title: fullTime(record.timeMs) }, when(record.timeMs, nowMs)),
              h("div", {}, h("strong", {}, ACTION_NAMES[record.action] ?? record.action), ` by ${record.actor}`),
              summary(record) ? h("div", { class: "meta" }, summary(record)) : null,
            ),
          ),
        ),
  );
}
