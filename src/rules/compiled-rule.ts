import { compileConditions, requiredValues, type Facts, type Predicate } from "./conditions/index.js";
import type { LoadedRule } from "./loader.js";
import type { Rule } from "./rule.schema.js";

/** Facts the rule index can route on, most selective first. */
export const INDEXED_FACTS = ["name", "service", "source", "level"] as const;
export type IndexedFact = (typeof INDEXED_FACTS)[number];

const ALWAYS: Predicate = () => true;

/** A rule made ready to run: conditions compiled once, key fields resolved, routing keys derived. */
export interface CompiledRule {
  readonly rule: Rule;
  readonly file: string;
  readonly contentHash: string;
  readonly matches: Predicate;
  /** Threshold and window rules: when the alert condition holds. */
  readonly when: Predicate | undefined;
  readonly keyBy: readonly string[];
  readonly forMs: number;
  /** The fact and values this rule is indexed under, or undefined for the event type's catch-all bucket. */
  readonly route: Route | undefined;
  /** A second fact `match` pins down besides the route's (a metric name and a service): the index narrows by it too. */
  readonly narrowRoute: Route | undefined;
  /** How far back events can still influence this rule's state. */
  readonly horizonMs: number;
}

export function defaultKeyBy(rule: Rule): readonly string[] {
  return rule.keyBy ?? (rule.kind === "absence" ? ["source"] : ["source", "service", "labels"]);
}

export interface Route {
  readonly fact: IndexedFact;
  readonly values: readonly string[];
}

/** The routes `match` allows, most selective first: the rule index files a rule under the first one or two. */
function routesFor(rule: Rule): Route[] {
  if (!rule.match) return [];
  const constrained = requiredValues(rule.match, INDEXED_FACTS);
  const routes: Route[] = [];
  for (const fact of INDEXED_FACTS) {
    if (fact === "name" && rule.event !== "metric") continue;
    if (fact === "level" && rule.event !== "log") continue;
    const values = constrained.get(fact);
    if (values && values.every((v): v is string => typeof v === "string")) routes.push({ fact, values });
  }
  return routes;
}

export function compileRule(loaded: LoadedRule): CompiledRule {
  const { rule } = loaded;
  const forMs = rule.kind === "absence" ? 0 : (rule.for ?? 0);
  const span = rule.kind === "window" ? rule.window : rule.kind === "absence" ? rule.absentFor : 0;
  const [route, narrowRoute] = routesFor(rule);
  return {
    rule,
    file: loaded.file,
    contentHash: loaded.contentHash,
    matches: rule.match ? compileConditions(rule.match) : ALWAYS,
    when: rule.kind === "absence" ? undefined : compileConditions(rule.when),
    keyBy: defaultKeyBy(rule),
    forMs,
    route,
    narrowRoute,
    horizonMs: span + forMs + (rule.flapping?.window ?? 0),
  };
}

export type { Facts, Predicate };
