// Alert volume and MTTA/MTTR over time, drawn from the audit trail, with the engine's own report beside them.
import { ApiError, get, query } from "../api.js";
import { barChart, durationStep, lineChart } from "../chart.js";
import { append, empty, h, replace } from "../dom.js";
import { dayLabel, duration, hourLabel, viewerZone } from "../format.js";
import { alertVolume, responseTimes, timeBuckets } from "./response-times.js";

const RANGES = {
  "24h": { spanMs: 86_400_000, unit: "hour", label: "Last 24 hours" },
  "7d": { spanMs: 7 * 86_400_000, unit: "day", label: "Last 7 days" },
  "30d": { spanMs: 30 * 86_400_000, unit: "day", label: "Last 30 days" },
};
const ACTIONS = ["alert.fired", "incident.opened", "incident.acknowledged", "incident.resolved"];
const LIMIT = 10_000;

function endpointMissing(error) {
  return error instanceof ApiError && error.status === 404 && String(error.body?.error ?? "").startsWith("no such endpoint");
}

const recordsOf = (answer) => (Array.isArray(answer) ? answer : Array.isArray(answer?.records) ? answer.records : []);
const minutes = (ms) => (ms === null ? "–" : duration(ms));

export async function renderCharts(root, context) {
  const rangeKey = RANGES[context.params.get("range")] ? context.params.get("range") : "7d";
  const range = RANGES[rangeKey];
  const nowMs = Date.now();
  const buckets = timeBuckets(nowMs - range.spanMs, nowMs, range.unit).map((b) => ({
    ...b,
    label: range.unit === "hour" ? `${dayLabel(b.startMs)} ${hourLabel(b.startMs)}` : dayLabel(b.startMs),
  }));
  const since = new Date(buckets[0].startMs).toISOString();
  replace(root, 
    h(
      "div",
      { class: "toolbar" },
      h("h1", {}, "Alert volume and response times"),
      h(
        "span",
        { class: "segmented" },
        Object.entries(RANGES).map(([key, r]) => h("a", { href: `#/charts?range=${key}`, "aria-current": key === rangeKey ? "true" : false }, r.label)),
      ),
    ),
  );

  let answers;
  try {
    answers = await Promise.all(ACTIONS.map((action) => get(`audit${query({ since, action, limit: LIMIT })}`)));
  } catch (error) {
    if (endpointMissing(error)) {
      return append(root, h("p", { class: "empty unavailable", "data-unavailable": "GET /api/v1/audit" }, "Charts are not available: this engine does not serve GET /api/v1/audit."));
    }
    throw error;
  }
  if (!context.isCurrent()) return;
  const records = answers.flatMap(recordsOf);
  const truncated = answers.some((a) => recordsOf(a).length >= LIMIT);
  const volume = alertVolume(records, buckets);
  const times = responseTimes(records, buckets);
  const width = Math.max(280, Math.floor(root.clientWidth - 34));

  append(root, 
    h(
      "div",
      { class: "stats" },
      stat("Alerts fired", String(volume.reduce((a, b) => a + b, 0)), "stat-fired"),
      stat("Incidents", String(times.totals.opened), "stat-incidents"),
      stat("MTTA", minutes(times.totals.mtta), "stat-mtta"),
      stat("MTTR", minutes(times.totals.mttr), "stat-mttr"),
    ),
    truncated ? h("p", { class: "error" }, `More than ${LIMIT} records of one kind: the figures cover only part of the range; choose a shorter one.`) : null,
    h(
      "section",
      { class: "panel" },
      h("h2", {}, `Alerts fired per ${range.unit}`),
      barChart({ buckets: buckets.map((b, i) => ({ ...b, value: volume[i] })), width, title: "alerts fired over time" }),
    ),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, "Time to acknowledge and to resolve"),
      h("p", { class: "legend" }, h("span", { class: "mtta" }, "● MTTA"), h("span", { class: "mttr" }, "● MTTR"), h("span", {}, "by when the incident opened")),
      times.totals.opened === 0
        ? empty("No incidents in this range.")
        : lineChart({
            buckets,
            series: [
              { key: "mtta", name: "MTTA", values: times.mtta },
              { key: "mttr", name: "MTTR", values: times.mttr },
            ],
            width,
            format: (ms) => duration(ms),
            step: durationStep,
            title: "mean time to acknowledge and to resolve over time",
          }),
    ),
    h("p", { class: "muted" }, `Buckets follow your calendar (${viewerZone}).`),
  );
  const report = await engineReport(since);
  if (context.isCurrent()) append(root, report);
}

function stat(label, value, id) {
  return h("div", { class: "stat", id }, h("span", { class: "muted" }, label), h("b", {}, value));
}

/** The engine's own figures (GET /api/v1/report): MTTA/MTTR per receiver and route, and the noisiest rules. */
async function engineReport(since) {
  let report;
  try {
    report = await get(`report${query({ since })}`);
  } catch (error) {
    if (endpointMissing(error)) return h("p", { class: "muted", "data-unavailable": "GET /api/v1/report" }, "This engine does not serve GET /api/v1/report.");
    throw error;
  }
  const receivers = report.receivers ?? [];
  const rules = report.noisiestRules ?? [];
  const time = (ms) => (typeof ms === "number" ? duration(ms) : "–");
  return h(
    "section",
    { class: "panel", id: "engine-report" },
    h("h2", {}, "Per receiver"),
    receivers.length === 0
      ? h("p", { class: "muted" }, "No incidents opened in this range.")
      : table(
          ["Receiver", "Route", "Incidents", "Acknowledged", "Resolved", "MTTA", "MTTR"],
          receivers.map((r) => [r.receiver, r.route ?? "–", r.incidents, r.acknowledged, r.resolved, time(r.mttaMs), time(r.mttrMs)]),
        ),
    h("h2", {}, "Noisiest rules"),
    rules.length === 0 ? h("p", { class: "muted" }, "No alert fired in this range.") : table(["Rule", "Alerts fired"], rules.map((r) => [r.rule, r.fired])),
  );
}

function table(headings, rows) {
  const head = h("thead", {}, h("tr", {}, headings.map((text) => h("th", {}, text))));
  const body = h("tbody", {}, rows.map((row) => h("tr", {}, row.map((value) => h("td", {}, String(value))))));
  return h("div", { class: "table-wrap" }, h("table", {}, head, body));
}
