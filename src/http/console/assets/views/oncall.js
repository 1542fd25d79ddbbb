/* global window */
// Who is on call now and next in each schedule, and the shifts on a timeline in the viewer's own time zone.
import { get, query } from "../api.js";
import { shiftTimeline } from "../chart.js";
import { append, empty, h, replace } from "../dom.js";
import { relative, viewerZone, when } from "../format.js";

const RANGES = [1, 7, 14];
const REFRESH_MS = 60_000;

export async function renderOnCall(root, context) {
  const days = RANGES.includes(Number(context.params.get("days"))) ? Number(context.params.get("days")) : 7;
  const load = async () => {
    // From the start of the viewer's today, so the timeline shows how the day began.
    const start = new Date();
    start.setHours(0, 0, 0, 0);
    const end = new Date(start);
    end.setDate(end.getDate() + days);
    const overview = await get(`oncall${query({ from: start.toISOString(), to: end.toISOString() })}`);
    if (!context.isCurrent()) return;
    draw(root, overview, days);
  };
  await load();
  context.every(REFRESH_MS, load);
  let resizeTimer;
  const onResize = () => {
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(() => (context.isCurrent() ? void load() : window.removeEventListener("resize", onResize)), 200);
  };
  window.addEventListener("resize", onResize);
}

function draw(root, overview, days) {
  const nowMs = Date.now();
  replace(root, 
    h(
      "div",
      { class: "toolbar" },
      h("h1", {}, "On call"),
      h(
        "span",
        { class: "segmented" },
        RANGES.map((n) => h("a", { href: `#/oncall?days=${n}`, "aria-current": n === days ? "true" : false }, n === 1 ? "Today" : `${n} days`)),
      ),
    ),
    h("p", { class: "muted" }, `Times in your time zone, ${viewerZone}.`),
    overview.schedules.length === 0 ? empty("No schedules are loaded (rules/schedules/*.json).") : null,
  );
  // Measure once the toolbar is in place: the timelines take the width the page has.
  const width = Math.max(280, Math.floor(root.clientWidth - 34));
  append(root, ...overview.schedules.map((schedule) => scheduleCard(schedule, overview, width, nowMs)));
}

function scheduleCard(schedule, overview, width, nowMs) {
  const { now, next } = schedule;
  return h(
    "article",
    { class: "card", "data-schedule": schedule.id },
    h("header", {}, h("h2", {}, schedule.name), h("span", { class: "muted" }, `${schedule.id} · rota in ${schedule.timeZone}`)),
    h(
      "p",
      { class: "oncall-now" },
      now
        ? ["On call now: ", h("strong", {}, now.name), ` until ${when(now.endMs, nowMs)} (${relative(now.endMs, nowMs)})`, now.override ? " · override" : ""]
        : h("strong", { class: "error" }, "Nobody is on call now."),
    ),
    h(
      "p",
      { class: "oncall-next" },
      next ? ["Next: ", h("strong", {}, next.name), ` from ${when(next.startMs, nowMs)} (${relative(next.startMs, nowMs)})`] : h("span", { class: "muted" }, "No handoff in the next 31 days."),
    ),
    shiftTimeline({ fromMs: overview.fromMs, toMs: overview.toMs, nowMs, shifts: schedule.shifts, width }),
    h(
      "details",
      {},
      h("summary", {}, `${schedule.shifts.length} shift${schedule.shifts.length === 1 ? "" : "s"} in this range`),
      h(
        "ul",
        {},
        schedule.shifts.map((shift) =>
          h("li", {}, h("strong", {}, shift.name), ` ${when(shift.startMs, nowMs)} – ${when(shift.endMs, nowMs)}`, shift.override ? " (override)" : shift.layer ? ` (${shift.layer})` : ""),
        ),
      ),
    ),
  );
}
