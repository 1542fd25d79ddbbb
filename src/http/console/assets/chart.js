// Small inline-SVG charts: a shift timeline, a bar chart and a line chart. Colours are CSS classes (console.css), so
// both themes work; every mark has a <title> so a long press or hover tells the exact figure.
import { svg } from "./dom.js";
import { dayLabel, hourLabel, when } from "./format.js";

const AXIS_HEIGHT = 22;
const LEFT = 44;
const RIGHT = 8;

/** Local midnights in [fromMs, toMs] (and every 6 hours for short ranges): the viewer's own calendar. */
export function localTicks(fromMs, toMs) {
  const shortRange = toMs - fromMs <= 2 * 86_400_000;
  const ticks = [];
  const cursor = new Date(fromMs);
  cursor.setHours(shortRange ? cursor.getHours() - (cursor.getHours() % 6) : 0, 0, 0, 0);
  while (cursor.getTime() <= toMs) {
    if (cursor.getTime() >= fromMs) ticks.push({ ms: cursor.getTime(), midnight: cursor.getHours() === 0 });
    // Calendar arithmetic, not + 24 h: a day with a daylight-saving change is 23 or 25 hours long.
    if (shortRange) cursor.setHours(cursor.getHours() + 6);
    else cursor.setDate(cursor.getDate() + 1);
  }
  return ticks;
}

function scale(fromMs, toMs, left, width) {
  const span = Math.max(1, toMs - fromMs);
  return (ms) => left + ((Math.min(Math.max(ms, fromMs), toMs) - fromMs) / span) * width;
}

function timeAxis(x, fromMs, toMs, top, bottom) {
  const ticks = localTicks(fromMs, toMs);
  const labelWidth = 64;
  const rightEdge = x(toMs);
  let lastLabelX = -Infinity;
  return ticks.map((tick) => {
    const at = x(tick.ms);
    // A label needs room after the previous one and before the right edge; the gridline is drawn regardless.
    const showLabel = at - lastLabelX >= labelWidth && at + labelWidth <= rightEdge + 8;
    if (showLabel) lastLabelX = at;
    return svg(
      "g",
      {},
      svg("line", { class: "grid", x1: at, x2: at, y1: top, y2: bottom }),
      showLabel ? svg("text", { x: at + 3, y: bottom + 14 }, tick.midnight ? dayLabel(tick.ms) : hourLabel(tick.ms)) : null,
    );
  });
}

// Hues that read well in both themes and stay clear of red, which means "now" and "critical" here.
const PERSON_HUES = [210, 150, 270, 35, 185, 300, 95, 240, 60, 330];

/** A stable colour per person, so Alice is the same colour in every schedule. */
export function personColour(id) {
  let hash = 0;
  for (const ch of id) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return `hsl(${PERSON_HUES[hash % PERSON_HUES.length]} 50% 40%)`;
}

/** Shifts on one lane between fromMs and toMs, with the local calendar below and a line at now. */
export function shiftTimeline({ fromMs, toMs, nowMs, shifts, width }) {
  const laneTop = 4;
  const laneHeight = 34;
  const height = laneTop + laneHeight + AXIS_HEIGHT;
  const x = scale(fromMs, toMs, 0, width);
  const bars = shifts.map((shift) => {
    const x1 = x(shift.startMs);
    const w = Math.max(1, x(shift.endMs) - x1);
    const label = `${shift.name}${shift.override ? " (override)" : ""}: ${when(shift.startMs, nowMs)} – ${when(shift.endMs, nowMs)}`;
    return svg(
      "g",
      { class: "shift", "data-user": shift.user },
      svg("rect", { x: x1, y: laneTop, width: w, height: laneHeight, rx: 4, fill: personColour(shift.user) }, svg("title", {}, label)),
      // A name only where it fits; the <title> carries it everywhere.
      w > shift.name.length * 7.5 + 10 ? svg("text", { class: "shift-label", x: x1 + 6, y: laneTop + laneHeight / 2 + 4 }, shift.name) : null,
    );
  });
  const nowLine = nowMs >= fromMs && nowMs <= toMs ? svg("line", { class: "now", x1: x(nowMs), x2: x(nowMs), y1: 0, y2: laneTop + laneHeight + 4 }, svg("title", {}, "now")) : null;
  return svg(
    "svg",
    { class: "chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": "shifts on a timeline" },
    timeAxis(x, fromMs, toMs, laneTop, laneTop + laneHeight),
    bars,
    nowLine,
  );
}

/** 1, 2, 5 × 10^n at or above `value`: steps people can read. */
export function niceCeiling(value) {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

/** Gridline spacing for counts: whole numbers, about four lines. */
export function countStep(maximum) {
  return Math.max(1, niceCeiling(maximum / 4));
}

const DURATION_STEPS = [1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400, 604800].map((s) => s * 1000);

/** Gridline spacing for durations in ms: round seconds, minutes, hours or days. */
export function durationStep(maximum) {
  return DURATION_STEPS.find((step) => step * 4 >= maximum) ?? niceCeiling(maximum / 4);
}

/** The axis top (a whole number of steps, at least one) for the largest value drawn. */
function axisTop(maximum, step) {
  return Math.max(step, Math.ceil(maximum / step) * step);
}

function valueAxis(topValue, step, top, bottom, width, format) {
  const marks = [];
  for (let value = 0; value <= topValue; value += step) {
    const y = bottom - ((bottom - top) * value) / topValue;
    marks.push(svg("line", { class: "grid", x1: LEFT, x2: width - RIGHT, y1: y, y2: y }), svg("text", { x: 0, y: y + 4 }, format(value)));
  }
  return marks;
}

/**
 * The frame bar and line charts share: time across the buckets, values up from zero to a whole number of `step`s
 * above `largest`. Returns the scales and a function that wraps the chart's marks in the axes.
 */
function valueFrame({ buckets, width, height, format, step, title }, largest) {
  const top = 6;
  const bottom = height - AXIS_HEIGHT;
  const fromMs = buckets[0]?.startMs ?? 0;
  const toMs = buckets.at(-1)?.endMs ?? 1;
  const x = scale(fromMs, toMs, LEFT, width - LEFT - RIGHT);
  const spacing = step(largest);
  const maximum = axisTop(largest, spacing);
  const y = (value) => bottom - (value / maximum) * (bottom - top);
  const draw = (marks) =>
    svg(
      "svg",
      { class: "chart", viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": title },
      valueAxis(maximum, spacing, top, bottom, width, format),
      timeAxis(x, fromMs, toMs, bottom, bottom),
      marks,
    );
  return { bottom, x, y, draw };
}

/** Bars per bucket ({ startMs, endMs, value, label }). */
export function barChart({ buckets, width, height = 180, format = (v) => String(Math.round(v)), step = countStep, title }) {
  const largest = Math.max(0, ...buckets.map((b) => b.value));
  const { bottom, x, y, draw } = valueFrame({ buckets, width, height, format, step, title }, largest);
  const bars = buckets.map((bucket) => {
    const x1 = x(bucket.startMs) + 1;
    const w = Math.max(1, x(bucket.endMs) - x(bucket.startMs) - 2);
    return svg(
      "rect",
      { class: "bar", x: x1, y: y(bucket.value), width: w, height: Math.max(0, bottom - y(bucket.value)), "data-value": bucket.value },
      svg("title", {}, `${bucket.label}: ${format(bucket.value)}`),
    );
  });
  return draw(bars);
}

/** One line per series over the same buckets; a null value is a gap (no incident in that bucket). */
export function lineChart({ buckets, series, width, height = 180, format, step = countStep, title }) {
  const values = series.flatMap((s) => s.values.filter((v) => v !== null));
  const { x, y, draw } = valueFrame({ buckets, width, height, format, step, title }, Math.max(0, ...values));
  const drawn = series.map((s) => {
    let path = "";
    let pen = "M";
    const dots = [];
    s.values.forEach((value, i) => {
      const bucket = buckets[i];
      if (value === null) {
        pen = "M";
        return;
      }
      const cx = x((bucket.startMs + bucket.endMs) / 2);
      path += `${pen}${cx.toFixed(1)},${y(value).toFixed(1)} `;
      pen = "L";
      dots.push(svg("circle", { class: `dot-${s.key}`, cx, cy: y(value), r: 3.5 }, svg("title", {}, `${s.name}, ${bucket.label}: ${format(value)}`)));
    });
    return svg("g", { class: "series", "data-series": s.key }, svg("path", { class: `series-${s.key}`, d: path.trim() }), dots);
  });
  return draw(drawn);
}
