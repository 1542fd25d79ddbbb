// Active alerts, grouped as notified, with their incident: who was paged, who acknowledged, and the actions.
import { get, post, query } from "../api.js";
import { actionButton, badge, empty, h, replace } from "../dom.js";
import { duration, relative, when } from "../format.js";
import { buildBoard, pagesByPerson } from "./board.js";

const REFRESH_MS = 10_000;
/** Alert rows drawn per card: a storm's group can hold 100,000, which no page can draw (the count says the rest). */
const ROWS_PER_CARD = 50;

export async function renderAlerts(root, context) {
  const load = async () => {
    // Counts and the first rows per group, not every alert: in a storm, every alert was 30 MB per refresh.
    const [board, incidents] = await Promise.all([get(`board${query({ rows: ROWS_PER_CARD })}`), get("incidents")]);
    const relevant = incidents.filter((i) => i.state !== "resolved").map((i) => i.id);
    const pages = relevant.length === 0 ? [] : await get(`pages${query({ incident: relevant })}`);
    if (!context.isCurrent()) return;
    draw(root, context, buildBoard({ board, incidents, pages }), Date.now(), load);
  };
  await load();
  context.every(REFRESH_MS, load);
}

function draw(root, context, cards, nowMs, reload) {
  const firingCount = cards.reduce((n, card) => n + card.firingCount, 0);
  replace(root, 
    h(
      "div",
      { class: "toolbar" },
      h("h1", {}, "Active alerts"),
      h("span", { class: "muted" }, `${firingCount} firing in ${cards.length} group${cards.length === 1 ? "" : "s"} · updated ${when(nowMs, nowMs)}`),
      actionButton("Refresh", { class: "quiet" }, reload),
    ),
    cards.length === 0 ? empty("Nothing is firing. Quiet night.") : cards.map((card) => groupCard(card, context, nowMs, reload)),
  );
}

function groupTitle(card) {
  if (card.group) {
    const values = Object.values(card.group.groupLabels);
    return values.length > 0 ? values.join(" · ") : card.group.receiver;
  }
  return card.incident?.title ?? "Not grouped yet";
}

function groupCard(card, context, nowMs, reload) {
  const { group, incident } = card;
  const meta = [];
  if (group) {
    meta.push(`to ${group.receiver}`);
    const labels = Object.entries(group.groupLabels).map(([k, v]) => `${k}="${v}"`);
    if (labels.length > 0) meta.push(`grouped by ${labels.join(", ")}`);
    meta.push(group.lastNotifiedAtMs === undefined ? "not notified yet (group wait)" : `notified ${relative(group.lastNotifiedAtMs, nowMs)} (${group.notificationCount}×)`);
  }
  return h(
    "article",
    { class: `card sev-${card.severity} state-${card.state}`, "data-group": card.key },
    h("header", {}, h("h2", {}, groupTitle(card)), badge(card.state)),
    meta.length > 0 ? h("p", { class: "meta" }, meta.join(" · ")) : null,
    incident ? incidentPanel(incident, card.pages, context, nowMs, reload) : null,
    card.alerts.length > 0 ? h("ul", { class: "alerts" }, card.alerts.map((alert) => alertRow(alert, nowMs)), moreRow(card.firingCount - card.alerts.length)) : null,
  );
}

function incidentPanel(incident, pages, context, nowMs, reload) {
  const act = (verb, done) => async () => {
    const result = await post(`incidents/${encodeURIComponent(incident.id)}/${verb}`).catch((error) => {
      context.notify(`Could not ${verb === "ack" ? "acknowledge" : "resolve"}: ${error.message}`, "error");
      return undefined;
    });
    if (result === undefined) return;
    context.notify(result.changed ? `${done} “${incident.title}”.` : `Nothing changed: ${result.reason}.`);
    await reload();
  };
  const paged = pagesByPerson(pages);
  const lines = [
    h("p", {}, h("strong", {}, "Incident "), h("code", {}, incident.id), ` · level ${incident.level + 1}${incident.round > 0 ? `, round ${incident.round + 1}` : ""} · opened ${relative(incident.openedAtMs, nowMs)}`),
    h(
      "p",
      { class: "paged" },
      "Paged: ",
      paged.length === 0
        ? h("span", { class: "muted" }, "nobody yet")
        : paged.map(({ user, pages: list }, i) => [
            i > 0 ? "; " : "",
            h("strong", {}, user),
            ` (${list.map((p) => (p.status === "sent" ? `${p.channel} ${when(p.sentAtMs ?? p.dueAtMs, nowMs)}` : `${p.channel} ${p.status} ${when(p.dueAtMs, nowMs)}`)).join(", ")})`,
          ]),
    ),
  ];
  if (incident.acknowledgedBy) {
    lines.push(h("p", { class: "acked" }, "Acknowledged by ", h("strong", {}, incident.acknowledgedBy), ` via ${incident.acknowledgedVia} ${relative(incident.acknowledgedAtMs, nowMs)}`));
  }
  if (incident.resolvedBy) {
    lines.push(h("p", { class: "resolved" }, "Resolved by ", h("strong", {}, incident.resolvedBy), ` via ${incident.resolvedVia} ${relative(incident.resolvedAtMs, nowMs)}`));
  }
  const actions = h(
    "div",
    { class: "actions" },
    incident.state === "triggered" ? actionButton("Acknowledge", {}, act("ack", "Acknowledged")) : null,
    incident.state !== "resolved" ? actionButton("Resolve", { class: "quiet" }, act("resolve", "Resolved")) : null,
    h("a", { class: "button quiet", href: `#/timeline/${encodeURIComponent(incident.id)}` }, "Timeline"),
  );
  return h("div", { class: "incident" }, lines, actions);
}

function moreRow(count) {
  return count > 0 ? h("li", { class: "more muted" }, `… and ${count.toLocaleString("en-US")} more firing in this group`) : null;
}

function alertRow(alert, nowMs) {
  const name = alert.labels.alertname ?? alert.fingerprint;
  const summary = alert.annotations.summary ?? alert.annotations.description ?? "";
  const muted = alert.mutedBy ?? [];
  return h(
    "li",
    { "data-fingerprint": alert.fingerprint },
    h(
      "div",
      { class: "line" },
      badge(alert.labels.severity ?? "none", alert.labels.severity ?? "info"),
      h("strong", {}, name),
      summary ? h("span", {}, summary) : null,
    ),
    h(
      "p",
      { class: "meta" },
      `firing for ${duration(nowMs - alert.startsAtMs)} (since ${when(alert.startsAtMs, nowMs)})`,
      muted.length > 0 ? [" · ", badge(muted.includes("inhibited") ? "inhibited" : "silenced", "muted")] : null,
    ),
    h(
      "div",
      { class: "labels" },
      Object.entries(alert.labels).map(([k, v]) => h("span", { class: "label" }, `${k}=${v}`)),
    ),
    h(
      "div",
      { class: "links" },
      h("a", { href: `#/silences?alert=${encodeURIComponent(alert.fingerprint)}` }, "Silence…"),
      h("a", { href: `#/timeline/${encodeURIComponent(alert.fingerprint)}` }, "Timeline"),
    ),
  );
}
