import type { KlaxonEvent } from "../ingest/event.schema.js";
import { INDEXED_FACTS, type CompiledRule } from "./compiled-rule.js";

const SEP = "\u0001";

/**
 * Routes an event to the few rules that can match it, so the cost per event does not grow with the number of rules.
 * Each rule sits in exactly one bucket: under the most selective fact its `match` requires (metric name, service,
 * source, log level), or in its event type's catch-all bucket. An event looks up at most five buckets.
 */
export class RuleIndex {
  private readonly buckets = new Map<string, CompiledRule[]>();
  readonly size: number;

  constructor(readonly rules: readonly CompiledRule[]) {
    for (const compiled of rules) {
      if (compiled.rule.enabled === false) continue;
      const { event } = compiled.rule;
      const keys = compiled.route ? [...new Set(compiled.route.values)].map((v) => `${event}${SEP}${compiled.route?.fact}${SEP}${v}`) : [`${event}${SEP}*`];
      for (const key of keys) {
        const bucket = this.buckets.get(key);
        if (bucket) bucket.push(compiled);
        else this.buckets.set(key, [compiled]);
      }
    }
    this.size = rules.length;
  }

  /** Calls `visit` for each rule whose routing key the event satisfies; `match` must still be checked. */
  forEachCandidate(event: KlaxonEvent, visit: (rule: CompiledRule) => void): void {
    const prefix = event.type + SEP;
    this.visitBucket(prefix + "*", visit);
    for (const fact of INDEXED_FACTS) {
      const value = (event as unknown as Record<string, unknown>)[fact];
      if (typeof value === "string") this.visitBucket(prefix + fact + SEP + value, visit);
    }
  }

  candidates(event: KlaxonEvent): CompiledRule[] {
    const out: CompiledRule[] = [];
    this.forEachCandidate(event, (r) => out.push(r));
    return out;
  }

  /** Rules evaluated for every event of their type: `klaxon check` warns about them. */
  unrouted(): CompiledRule[] {
    return this.rules.filter((r) => r.route === undefined);
  }

  private visitBucket(key: string, visit: (rule: CompiledRule) => void): void {
    const bucket = this.buckets.get(key);
    if (bucket) for (const rule of bucket) visit(rule);
  }
}
