import { z } from "zod";
import { parseDuration } from "../core/duration.js";
import { jsonPath, ValidationError } from "../core/errors.js";
import type { StoredRecord } from "./record.js";

export const DEFAULT_QUERY_LIMIT = 100;
export const MAX_QUERY_LIMIT = 10_000;

/** A query as a person types it (CLI options, URL parameters): times as instants or durations, limit as text. */
export const auditQuerySchema = z.strictObject({
  since: z.string().min(1).optional(),
  until: z.string().min(1).optional(),
  alert: z.string().min(1).optional(),
  actor: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_QUERY_LIMIT).optional(),
});

/** Validate a query and resolve its times against `nowMs`; errors name `source` (an option list, the URL) and the field. */
export function parseAuditQuery(input: unknown, nowMs: number, source: string): { filter: AuditFilter; limit: number } {
  const parsed = auditQuerySchema.safeParse(input);
  if (!parsed.success) throw new ValidationError(parsed.error.issues.map((i) => ({ file: source, path: jsonPath(i.path), message: i.message })));
  const q = parsed.data;
  const filter: AuditFilter = {
    ...(q.since === undefined ? {} : { sinceMs: parseTimeBound(q.since, nowMs, "since", source) }),
    ...(q.until === undefined ? {} : { untilMs: parseTimeBound(q.until, nowMs, "until", source) }),
    ...(q.alert === undefined ? {} : { alert: q.alert }),
    ...(q.actor === undefined ? {} : { actor: q.actor }),
    ...(q.action === undefined ? {} : { action: q.action }),
  };
  return { filter, limit: q.limit ?? DEFAULT_QUERY_LIMIT };
}

/** What `klaxon audit` and `GET /api/v1/audit` narrow the trail to. Every field is optional; all must hold. */
export interface AuditFilter {
  sinceMs?: number;
  untilMs?: number;
  /** An alert fingerprint: the record is about it (subject) or names it in its details (a notification, a page). */
  alert?: string;
  actor?: string;
  /** `incident` matches incident.opened, incident.acknowledged, ...; `page.sent` matches only that action. */
  action?: string;
}

export function matchesFilter(record: StoredRecord, filter: AuditFilter): boolean {
  if (filter.sinceMs !== undefined && record.timeMs < filter.sinceMs) return false;
  if (filter.untilMs !== undefined && record.timeMs > filter.untilMs) return false;
  if (filter.actor !== undefined && record.actor !== filter.actor) return false;
  if (filter.action !== undefined && !record.action.startsWith(filter.action)) return false;
  if (filter.alert !== undefined && record.subject !== filter.alert && !mentions(record.details, filter.alert)) return false;
  return true;
}

/** True when `needle` is one of the string values anywhere in `value` (arrays and nested objects included). */
export function mentions(value: unknown, needle: string, depth = 0): boolean {
  if (value === needle) return true;
  if (depth > 6 || value === null || typeof value !== "object") return false;
  for (const item of Array.isArray(value) ? value : Object.values(value)) if (mentions(item, needle, depth + 1)) return true;
  return false;
}

/**
 * `--since` and `--until`: an instant (ISO-8601, e.g. `2026-11-25T10:00:00Z`) or a duration back from now (`90m`,
 * `1h`, `7d`). `field` names the option in the error.
 */
export function parseTimeBound(text: string, nowMs: number, field: string, source = "audit query"): number {
  const ago = parseDuration(text);
  if (ago !== undefined) return nowMs - ago;
  const at = /^\d{4}-\d{2}-\d{2}/.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isFinite(at)) return at;
  throw new ValidationError([{ file: source, path: field, message: `"${text}" is neither an instant (2026-11-25T10:00:00Z) nor a duration back from now (1h, 7d)` }]);
}

/** Keeps the newest `limit` records of those offered (a ring, so a long scan stays linear), in offered order. */
export class NewestRecords {
  private readonly ring: StoredRecord[] = [];
  private next = 0;
  constructor(private readonly limit: number) {}

  offer(record: StoredRecord): void {
    if (this.limit <= 0) return;
    if (this.ring.length < this.limit) this.ring.push(record);
    else this.ring[this.next] = record;
    this.next = (this.next + 1) % this.limit;
  }

  get records(): StoredRecord[] {
    return this.ring.length < this.limit ? [...this.ring] : [...this.ring.slice(this.next), ...this.ring.slice(0, this.next)];
  }
}
