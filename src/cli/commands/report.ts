import { parseTimeBound } from "../../audit/filter.js";
import { formatReport } from "../../audit/format.js";
import { systemClock, type Clock } from "../../core/clock.js";
import type { Output } from "../output.js";
import { withAuditQueries, type AuditConnectionOptions } from "./audit.js";

/** `klaxon report --since 7d`: MTTA and MTTR per receiver/route and the noisiest rules, from the audit trail. */
export async function reportCommand(options: AuditConnectionOptions & { since?: string; until?: string; json?: boolean }, out: Output, clock: Clock = systemClock): Promise<number> {
  const now = clock.now();
  const sinceMs = parseTimeBound(options.since ?? "7d", now, "since", "klaxon report");
  const untilMs = options.until === undefined ? now : parseTimeBound(options.until, now, "until", "klaxon report");
  const report = await withAuditQueries(options, (queries) => queries.report({ sinceMs, untilMs }));
  if (options.json) out.log(JSON.stringify(report));
  else for (const line of formatReport(report)) out.log(line);
  return 0;
}
