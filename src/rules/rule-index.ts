import type { KlaxonEvent } from "../ingest/event.schema.js";
import { INDEXED_FACTS, type CompiledRule, type IndexedFact } from "./compiled-rule.js";

/** Rules filed under one value of their route's fact, and, when `match` pins a second fact, under that one too. */
interface FactNode<T> {
  readonly items: T[];
  readonly narrower: Array<{ readonly fact: IndexedFact; readonly byValue: Map<string, T[]> }>;
}

/** One event type's rules: its catch-all bucket, and a map per indexed fact (aligned with INDEXED_FACTS). */
interface TypeNode<T> {
  readonly catchAll: T[];
  readonly byFact: ReadonlyArray<Map<string, FactNode<T>>>;
}

type IndexedFields = Partial<Record<IndexedFact, unknown>>;

const asCompiled = <T>(item: T): CompiledRule => item as unknown as CompiledRule;

/**
 * Where a rule stands in the order events meet candidates: the type's catch-all first, then rules routed by name,
 * service, source and level, each group in rule order. The evaluator applies matches in this order, so an event
 * that changes several rules reports their transitions in a stable order.
 */
export function candidateOrder(compiled: CompiledRule, position: number, count: number): number {
  const rank = compiled.route ? 1 + INDEXED_FACTS.indexOf(compiled.route.fact) : 0;
  return rank * count + position;
}

/**
 * Routes an event to the few rules that can match it, so the cost per event does not grow with the number of rules.
 * Each rule is filed under the most selective fact its `match` requires (metric name, service, source, log level)
 * and, when `match` also requires a second one (a metric name for one service), under that as well; a rule with
 * neither sits in its event type's catch-all bucket. An event looks up at most its type, four facts and their
 * narrower maps, with no string built: the maps are keyed by the event's own field values.
 *
 * Items are rules, or whatever the caller attaches to them (`ruleOf` finds the rule of an item).
 */
export class RuleIndex<T = CompiledRule> {
  private readonly types = new Map<string, TypeNode<T>>();
  private readonly order = new Map<T, number>();
  readonly size: number;

  constructor(
    readonly rules: readonly T[],
    private readonly ruleOf: (item: T) => CompiledRule = asCompiled,
  ) {
    rules.forEach((item, position) => {
      const compiled = ruleOf(item);
      if (compiled.rule.enabled === false) return;
      this.order.set(item, candidateOrder(compiled, position, rules.length));
      this.file(item, compiled);
    });
    this.size = rules.length;
  }

  /**
   * Writes into `out`, from index 0, the buckets holding the event's candidate rules (each rule is in at most one of
   * them) and returns how many; `match` must still be checked. `out` is the caller's scratch array, reused from
   * event to event: it is written by index, never emptied (`length = 0` would drop its storage, and the next
   * event would allocate it again).
   */
  bucketsFor(event: KlaxonEvent, out: Array<readonly T[]>): number {
    const node = this.types.get(event.type);
    if (node === undefined) return 0;
    let count = 0;
    if (node.catchAll.length > 0) out[count++] = node.catchAll;
    const fields = event as unknown as IndexedFields;
    const [byName, byService, bySource, byLevel] = node.byFact as [Map<string, FactNode<T>>, Map<string, FactNode<T>>, Map<string, FactNode<T>>, Map<string, FactNode<T>>];
    if (byName.size > 0) count = visitFact(byName, fields.name, fields, out, count);
    if (byService.size > 0) count = visitFact(byService, fields.service, fields, out, count);
    if (bySource.size > 0) count = visitFact(bySource, fields.source, fields, out, count);
    if (byLevel.size > 0) count = visitFact(byLevel, fields.level, fields, out, count);
    return count;
  }

  /** The event's candidate rules in candidate order (see `candidateOrder`); `match` must still be checked. */
  candidates(event: KlaxonEvent): T[] {
    const buckets: Array<readonly T[]> = [];
    buckets.length = this.bucketsFor(event, buckets);
    const out = buckets.flat() as T[];
    return out.sort((a, b) => (this.order.get(a) as number) - (this.order.get(b) as number));
  }

  /** Calls `visit` for each candidate rule, in candidate order; `match` must still be checked. */
  forEachCandidate(event: KlaxonEvent, visit: (rule: T) => void): void {
    for (const item of this.candidates(event)) visit(item);
  }

  /** Rules evaluated for every event of their type: `klaxon check` warns about them. */
  unrouted(): T[] {
    return this.rules.filter((item) => this.ruleOf(item).route === undefined);
  }

  private file(item: T, compiled: CompiledRule): void {
    const { event } = compiled.rule;
    let node = this.types.get(event);
    if (node === undefined) {
      node = { catchAll: [], byFact: INDEXED_FACTS.map(() => new Map<string, FactNode<T>>()) };
      this.types.set(event, node);
    }
    const { route, narrowRoute } = compiled;
    if (route === undefined) {
      node.catchAll.push(item);
      return;
    }
    const byValue = node.byFact[INDEXED_FACTS.indexOf(route.fact)] as Map<string, FactNode<T>>;
    for (const value of new Set(route.values)) {
      let factNode = byValue.get(value);
      if (factNode === undefined) {
        factNode = { items: [], narrower: [] };
        byValue.set(value, factNode);
      }
      if (narrowRoute === undefined) {
        factNode.items.push(item);
        continue;
      }
      let narrower = factNode.narrower.find((n) => n.fact === narrowRoute.fact);
      if (narrower === undefined) {
        narrower = { fact: narrowRoute.fact, byValue: new Map() };
        factNode.narrower.push(narrower);
      }
      for (const narrowValue of new Set(narrowRoute.values)) {
        const bucket = narrower.byValue.get(narrowValue);
        if (bucket) bucket.push(item);
        else narrower.byValue.set(narrowValue, [item]);
      }
    }
  }
}

/** Writes the buckets of one fact's value into `out` from `count` on; returns the new count. */
function visitFact<T>(byValue: Map<string, FactNode<T>>, value: unknown, fields: IndexedFields, out: Array<readonly T[]>, count: number): number {
  if (typeof value !== "string") return count;
  const node = byValue.get(value);
  if (node === undefined) return count;
  if (node.items.length > 0) out[count++] = node.items;
  for (const narrower of node.narrower) {
    const narrowValue = fields[narrower.fact];
    if (typeof narrowValue !== "string") continue;
    const bucket = narrower.byValue.get(narrowValue);
    if (bucket !== undefined) out[count++] = bucket;
  }
  return count;
}
