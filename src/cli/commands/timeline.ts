import { parseTimeBound } from "../../audit/filter.js";
import { formatTimeline } from "../../audit/format.js";
import { systemClock, type Clock } from "../../core/clock.js";
import type { Output } from "../output.js";
import { withAuditQueries, type AuditConnectionOptions } from "./audit.js";

/** `klaxon timeline <fingerprint | incident id>`: one alert's or incident's life from the audit trail, in time order. */
export async function timelineCommand(id: string, options: AuditConnectionOptions & { since?: string; json?: boolean }, out: Output, clock: Clock = systemClock): Promise<number> {
  const sinceMs = options.since === undefined ? undefined : parseTimeBound(options.since, clock.now(), "since", "klaxon timeline");
  const timeline = await withAuditQueries(options, (queries) => queries.timeline(id, sinceMs));
  if (!timeline) {
    out.err(`no audit record mentions ${id} (give an alert fingerprint or an incident id)`);
    return 1;
  }
  if (options.json) out.log(JSON.stringify(timeline));
  else for (const line of formatTimeline(timeline)) out.log(line);
  return 0;
}
