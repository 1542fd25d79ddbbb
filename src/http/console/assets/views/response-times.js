// Alert volume and MTTA/MTTR over time, computed from audit records. Pure: records and times in, figures out.

/** Bucket boundaries on the viewer's calendar: whole local hours or local days (23 or 25 hours across DST). */
export function timeBuckets(fromMs, toMs, unit) {
  const cursor = new Date(fromMs);
  if (unit === "hour") cursor.setMinutes(0, 0, 0);
  else cursor.setHours(0, 0, 0, 0);
  const buckets = [];
  while (cursor.getTime() < toMs) {
    const startMs = cursor.getTime();
    if (unit === "hour") cursor.setHours(cursor.getHours() + 1);
    else cursor.setDate(cursor.getDate() + 1);
    buckets.push({ startMs, endMs: cursor.getTime() });
  }
  return buckets;
}

function bucketIndex(buckets, ms) {
  return buckets.findIndex((b) => ms >= b.startMs && ms < b.endMs);
}

/** How many alerts fired in each bucket (records of action "alert.fired"). */
export function alertVolume(records, buckets) {
  const counts = buckets.map(() => 0);
  for (const record of records) {
    if (record.action !== "alert.fired") continue;
    const i = bucketIndex(buckets, record.timeMs);
    if (i >= 0) counts[i]++;
  }
  return counts;
}

const mean = (values) => (values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length);

/**
 * Mean time to acknowledge and to resolve, in ms, for the incidents opened in each bucket (from "incident.opened" to
 * the first "incident.acknowledged" / "incident.resolved" of the same incident). A bucket without such incidents is
 * null, a gap in the chart rather than a misleading zero. Totals cover every incident opened in the buckets.
 */
export function responseTimes(records, buckets) {
  const incidents = new Map();
  const incident = (id) => {
    if (!incidents.has(id)) incidents.set(id, {});
    return incidents.get(id);
  };
  for (const record of [...records].sort((a, b) => a.timeMs - b.timeMs)) {
    if (!record.subject) continue;
    if (record.action === "incident.opened") incident(record.subject).openedAtMs ??= record.timeMs;
    else if (record.action === "incident.acknowledged") incident(record.subject).acknowledgedAtMs ??= record.timeMs;
    else if (record.action === "incident.resolved") incident(record.subject).resolvedAtMs ??= record.timeMs;
  }
  const ack = buckets.map(() => []);
  const resolve = buckets.map(() => []);
  let opened = 0;
  for (const times of incidents.values()) {
    if (times.openedAtMs === undefined) continue;
    const i = bucketIndex(buckets, times.openedAtMs);
    if (i < 0) continue;
    opened++;
    if (times.acknowledgedAtMs !== undefined) ack[i].push(times.acknowledgedAtMs - times.openedAtMs);
    if (times.resolvedAtMs !== undefined) resolve[i].push(times.resolvedAtMs - times.openedAtMs);
  }
  return {
    mtta: ack.map(mean),
    mttr: resolve.map(mean),
    totals: { opened, acknowledged: ack.flat().length, resolved: resolve.flat().length, mtta: mean(ack.flat()), mttr: mean(resolve.flat()) },
  };
}
