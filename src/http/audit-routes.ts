import { parseAuditQuery, parseTimeBound } from "../audit/filter.js";
import type { Clock } from "../core/clock.js";
import { ValidationError } from "../core/errors.js";
import type { AuditQueries } from "../store/jetstream/audit-queries.js";
import { HttpError, type HttpRoute } from "./server.js";

const DEFAULT_REPORT_WINDOW = "7d";

/** URL parameters as an object; an empty value counts as absent. */
function params(url: URL): Record<string, string> {
  return Object.fromEntries([...url.searchParams.entries()].filter(([, value]) => value !== ""));
}

function only(given: Record<string, string>, allowed: string[], source: string): void {
  const unknown = Object.keys(given).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) throw new ValidationError(unknown.map((key) => ({ file: source, path: key, message: `unknown parameter; use ${allowed.join(", ")}` })));
}

/**
 * The audit trail over HTTP, for the web console: records filtered like `klaxon audit`, one alert's or incident's
 * timeline, and the MTTA/MTTR report. Read-only, but the trail names people and what they did: a token is required.
 */
export function auditRoutes(deps: { queries: () => AuditQueries; clock: Clock }): HttpRoute[] {
  return [
    {
      method: "GET",
      pattern: /^\/api\/v1\/audit$/,
      auth: "token",
      handle: async ({ url }) => {
        const { filter, limit } = parseAuditQuery(params(url), deps.clock.now(), "query");
        return { status: 200, body: { records: await deps.queries().query(filter, limit) } };
      },
    },
    {
      method: "GET",
      pattern: /^\/api\/v1\/timeline\/([A-Za-z0-9_.:-]{1,200})$/,
      auth: "token",
      handle: async ({ url, params: [id] }) => {
        const given = params(url);
        only(given, ["since"], "query");
        const sinceMs = given.since === undefined ? undefined : parseTimeBound(given.since, deps.clock.now(), "since", "query");
        const timeline = await deps.queries().timeline(id as string, sinceMs);
        if (!timeline) throw new HttpError(404, `no audit record mentions ${id as string}`);
        return { status: 200, body: timeline };
      },
    },
    {
      method: "GET",
      pattern: /^\/api\/v1\/report$/,
      auth: "token",
      handle: async ({ url }) => {
        const given = params(url);
        only(given, ["since", "until"], "query");
        const now = deps.clock.now();
        const sinceMs = parseTimeBound(given.since ?? DEFAULT_REPORT_WINDOW, now, "since", "query");
        const untilMs = given.until === undefined ? now : parseTimeBound(given.until, now, "until", "query");
        return { status: 200, body: await deps.queries().report({ sinceMs, untilMs }) };
      },
    },
  ];
}
