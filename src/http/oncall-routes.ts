import { z } from "zod";
import type { Clock } from "../core/clock.js";
import { ValidationError } from "../core/errors.js";
import { zodIssues } from "../rules/loader.js";
import { onCallOverview, type Roster } from "./console/oncall-overview.js";
import type { HttpRoute } from "./server.js";

const DAY_MS = 86_400_000;
/** Without from/to: the last day and the next week, the span an on-call engineer plans around. */
const DEFAULT_BEFORE_MS = DAY_MS;
const DEFAULT_AFTER_MS = 7 * DAY_MS;
/** A quarter: enough for a rota review; longer asks of hourly rotations would be thousands of shifts per request. */
export const MAX_ONCALL_RANGE_MS = 93 * DAY_MS;

const instantSchema = z.string().transform((text, ctx) => {
  let ms = Number.NaN;
  if (/^\d{1,15}$/.test(text)) ms = Number(text);
  else if (z.iso.datetime({ offset: true }).safeParse(text).success) ms = Date.parse(text);
  if (Number.isNaN(ms)) {
    ctx.addIssue({ code: "custom", message: `"${text}" is not an instant: use ISO 8601 with an offset ("2026-03-29T12:00:00Z") or epoch milliseconds` });
    return z.NEVER;
  }
  return ms;
});

export const oncallQuerySchema = z.strictObject({ from: instantSchema.optional(), to: instantSchema.optional() });

/**
 * `GET /api/v1/oncall?from&to`: every schedule's on-call person now and next, and its shifts in the range, from the
 * schedules the engine has loaded (a rejected reload leaves the previous ones in force, and so here).
 */
export function oncallRoutes(deps: { roster(): Roster; clock: Clock }): HttpRoute[] {
  return [
    {
      method: "GET",
      pattern: /^\/api\/v1\/oncall$/,
      auth: "token",
      handle: async ({ url }) => {
        const parsed = oncallQuerySchema.safeParse(Object.fromEntries(url.searchParams));
        if (!parsed.success) throw new ValidationError(zodIssues("query", parsed.error));
        const nowMs = deps.clock.now();
        const fromMs = parsed.data.from ?? nowMs - DEFAULT_BEFORE_MS;
        const toMs = parsed.data.to ?? Math.max(fromMs, nowMs) + DEFAULT_AFTER_MS;
        if (toMs <= fromMs || toMs - fromMs > MAX_ONCALL_RANGE_MS) {
          throw new ValidationError([{ file: "query", path: "to", message: `"to" must be after "from", by at most ${MAX_ONCALL_RANGE_MS / DAY_MS} days` }]);
        }
        return { status: 200, headers: { "cache-control": "no-store" }, body: onCallOverview(deps.roster(), fromMs, toMs, nowMs) };
      },
    },
  ];
}
