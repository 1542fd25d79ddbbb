// Times in the viewer's own time zone (the browser's), durations in words a tired person reads at a glance.

export const viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

const clockTime = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
const dayAndTime = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
const full = new Intl.DateTimeFormat(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short" });
const dayOnly = new Intl.DateTimeFormat(undefined, { weekday: "short", day: "numeric", month: "short" });
const hourOnly = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });

function sameLocalDay(a, b) {
  const x = new Date(a);
  const y = new Date(b);
  return x.getFullYear() === y.getFullYear() && x.getMonth() === y.getMonth() && x.getDate() === y.getDate();
}

/** "14:03" today, "Tue 12 Nov, 14:03" on another day. */
export function when(ms, nowMs = Date.now()) {
  return sameLocalDay(ms, nowMs) ? clockTime.format(ms) : dayAndTime.format(ms);
}

export function fullTime(ms) {
  return full.format(ms);
}

export function dayLabel(ms) {
  return dayOnly.format(ms);
}

export function hourLabel(ms) {
  return hourOnly.format(ms);
}

/** "45s", "5m", "2h 5m", "3d 4h". */
export function duration(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
  const days = Math.floor(hours / 24);
  return hours % 24 === 0 ? `${days}d` : `${days}d ${hours % 24}h`;
}

/** "5m ago", "in 2h". */
export function relative(ms, nowMs = Date.now()) {
  return ms <= nowMs ? `${duration(nowMs - ms)} ago` : `in ${duration(ms - nowMs)}`;
}

/** The matcher syntax the API reads: name="value", with \ " and newlines escaped (as the engine formats them). */
export function formatMatcher({ name, op, value }) {
  const escaped = value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
  return `${name}${op}"${escaped}"`;
}

export function labelMatchers(labels) {
  return Object.entries(labels).map(([name, value]) => formatMatcher({ name, op: "=", value }));
}

export const SEVERITY_RANK = { critical: 0, error: 1, warning: 2, info: 3 };

export function severityRank(severity) {
  return SEVERITY_RANK[severity] ?? 4;
}
