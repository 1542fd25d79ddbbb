import type { HelperDelegate } from "handlebars";

/** Slack mrkdwn treats &, < and > as control characters: text from alerts must not open links or mentions. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** "2026-11-25T10:00:00.000Z" → "2026-11-25 10:00:00 UTC": readable, and unambiguous in any time zone. */
export function readableTime(iso: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : iso;
}

export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, Math.max(0, max - 3))}...`;
}

/**
 * The helpers every template may use. Few on purpose: templates format, they do not compute.
 * - `json x`: x as a JSON literal (JSON templates write `"value": {{json actionValue}}`)
 * - `str x`: x escaped for the inside of a JSON string (`"text": "[{{str severity}}] {{str title}}"`)
 * - `slack x`: x escaped for Slack mrkdwn
 * - `time iso`: a readable UTC time
 * - `upper x`, `truncate x n`, `eq a b`, `join list sep`
 */
export const TEMPLATE_HELPERS: Record<string, HelperDelegate> = {
  json: (value: unknown) => JSON.stringify(value ?? null),
  str: (value: unknown) => JSON.stringify(String(value ?? "")).slice(1, -1),
  slack: (value: unknown) => slackEscape(String(value ?? "")),
  time: (value: unknown) => (typeof value === "string" ? readableTime(value) : ""),
  upper: (value: unknown) => String(value ?? "").toUpperCase(),
  truncate: (value: unknown, max: unknown) => truncate(String(value ?? ""), typeof max === "number" ? max : 100),
  eq: (a: unknown, b: unknown) => a === b,
  join: (list: unknown, separator: unknown) => (Array.isArray(list) ? list.map(String).join(typeof separator === "string" ? separator : ", ") : ""),
};
