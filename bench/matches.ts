// How many rules an event matches, on average: the work a rule set really asks for, whatever its size. Printed with
// row 2, so that a slower drain with more rules can be told apart from an index that fails to route.
import { decodeEvent } from "../src/ingest/decode.js";
import type { GeneratedEvent, RuleJson } from "./generate.js";
import { compileAll } from "./rows/evaluate.js";

/** Every rule's `match` against a sample of the events (brute force: no index, so it checks the index too). */
export function matchesPerEvent(rules: readonly RuleJson[], events: readonly GeneratedEvent[], sample = 1_000): number {
  const compiled = compileAll(rules);
  const encoder = new TextEncoder();
  const nowMs = Date.now();
  const step = Math.max(1, Math.floor(events.length / sample));
  let seen = 0;
  let matches = 0;
  for (let i = 0; i < events.length; i += step) {
    const e = events[i] as GeneratedEvent;
    const decoded = decodeEvent(encoder.encode(e.json), e.subject, "events", { maxEventBytes: 64 * 1024, maxFutureSkewMs: Number.MAX_SAFE_INTEGER }, nowMs);
    if (!decoded.ok) continue;
    seen++;
    for (const rule of compiled) if (rule.matches(decoded.event)) matches++;
  }
  return seen === 0 ? 0 : matches / seen;
}
