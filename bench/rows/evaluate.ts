// Row 3: evaluation alone, no NATS. Klaxon's Evaluator against json-rules-engine on the same events and rules.
import { Engine as RulesEngine, type RuleProperties, type TopLevelCondition } from "json-rules-engine";
import { Evaluator } from "../../src/evaluate/evaluator.js";
import { decodeEvent } from "../../src/ingest/decode.js";
import type { KlaxonEvent } from "../../src/ingest/event.schema.js";
import { compileRule, type CompiledRule } from "../../src/rules/compiled-rule.js";
import { registerKlaxonOperators } from "../../src/rules/conditions/index.js";
import { parseRuleFile } from "../../src/rules/loader.js";
import type { GeneratedEvent, RuleJson } from "../generate.js";
import { Probe, collectGarbage, medianBy, type RowResult } from "../measure.js";

export interface EvaluateLimits {
  /** json-rules-engine, routed: stop after this long (it is an order of magnitude slower). */
  routedMaxMs: number;
  /** json-rules-engine, naive: stop after this long or this many events, whichever comes first. */
  naiveMaxMs: number;
  naiveMaxEvents: number;
}

export function compileAll(rules: readonly RuleJson[]): CompiledRule[] {
  return rules.map((rule) => {
    const parsed = parseRuleFile(`${String(rule.id)}.json`, JSON.stringify(rule));
    const loaded = parsed.rules[0];
    if (!loaded || parsed.issues.length > 0) throw new Error(`generated rule ${String(rule.id)} is invalid: ${JSON.stringify(parsed.issues)}`);
    return compileRule(loaded);
  });
}

/** Decode as the engine does (bytes → validated event); timed, since it is part of every event's cost. */
function decodeAll(events: readonly GeneratedEvent[]): { decoded: KlaxonEvent[]; row: RowResult } {
  const encoder = new TextEncoder();
  const bytes = events.map((e) => encoder.encode(e.json));
  const limits = { maxEventBytes: 64 * 1024, maxFutureSkewMs: 5 * 60_000 };
  const nowMs = Date.now();
  collectGarbage();
  const probe = new Probe();
  const decoded: KlaxonEvent[] = [];
  events.forEach((e, i) => {
    const result = decodeEvent(bytes[i] as Uint8Array, e.subject, "events", limits, nowMs);
    if (!result.ok) throw new Error(`generated event ${i} does not decode: ${result.reason} ${result.detail}`);
    decoded.push(result.event);
  });
  const figures = probe.stop();
  return {
    decoded,
    row: {
      row: "3",
      label: "decodeEvent alone (UTF-8, JSON.parse, validation)",
      rules: undefined,
      events: events.length,
      seconds: figures.seconds,
      eventsPerSecond: events.length / figures.seconds,
      peakRssMb: figures.peakRssMb,
      cpuPercent: undefined,
      serverCpuPercent: undefined,
      ratios: {},
      details: {},
    },
  };
}

/** One pass: a fresh Evaluator (no state, no JIT-warm series) over every event. */
function klaxonPass(compiled: readonly CompiledRule[], events: readonly KlaxonEvent[], startMs: number): { transitions: number; series: number; figures: ReturnType<Probe["stop"]> } {
  collectGarbage();
  const probe = new Probe();
  const evaluator = new Evaluator(compiled, startMs);
  let transitions = 0;
  for (const event of events) transitions += evaluator.apply(event).length;
  const figures = probe.stop();
  return { transitions, series: evaluator.seriesCount(), figures };
}

/** `passes` passes; the row is the median one, so a noisy neighbour on a shared machine moves it less. */
function klaxonEvaluate(compiled: readonly CompiledRule[], events: readonly KlaxonEvent[], startMs: number, passes: number): RowResult {
  const results = Array.from({ length: passes }, () => klaxonPass(compiled, events, startMs));
  const rates = results.map((r) => events.length / r.figures.seconds);
  const median = medianBy(results, (r) => r.figures.seconds);
  return {
    row: "3",
    label: "Klaxon Evaluator.apply",
    rules: compiled.length,
    events: events.length,
    seconds: median.figures.seconds,
    eventsPerSecond: events.length / median.figures.seconds,
    peakRssMb: median.figures.peakRssMb,
    cpuPercent: undefined,
    serverCpuPercent: undefined,
    ratios: {},
    details: {
      alertTransitions: median.transitions,
      seriesAtEnd: median.series,
      ...(passes > 1 ? { passes: rates.map((r) => Math.round(r)).join(" ") } : {}),
    },
    ...(passes > 1 ? { note: `median of ${passes} passes` } : {}),
  };
}

/** The rule as json-rules-engine can run it: event type, `match` and `when` combined into one condition. */
function asRulesEngineRule(rule: RuleJson): RuleProperties {
  const parts: unknown[] = [{ fact: "type", operator: "equal", value: rule.event }];
  if (rule.match) parts.push(rule.match);
  if (rule.when) parts.push(rule.when);
  // json-rules-engine mutates the conditions it is given: hand it a copy.
  return { conditions: structuredClone({ all: parts }) as TopLevelCondition, event: { type: String(rule.id) } };
}

function newRulesEngine(rules: readonly RuleJson[]): RulesEngine {
  const engine = new RulesEngine([], { allowUndefinedFacts: true });
  registerKlaxonOperators(engine);
  for (const rule of rules) engine.addRule(asRulesEngineRule(rule));
  return engine;
}

const SEP = "\u0001";

const INDEXED = ["name", "service", "source", "level"] as const;

/**
 * The buckets Klaxon's RuleIndex files a rule under: its route (metric name for these metric rules, service or level
 * for log rules) and, when `match` pins a second fact (a metric name for one service), that one too.
 */
function routeKeys(compiled: CompiledRule): string[] {
  const { event } = compiled.rule;
  const { route, narrowRoute } = compiled;
  if (!route) return [`${event}${SEP}*`];
  const keys: string[] = [];
  for (const v of new Set(route.values)) {
    const primary = `${event}${SEP}${route.fact}${SEP}${v}`;
    if (!narrowRoute) keys.push(primary);
    else for (const w of new Set(narrowRoute.values)) keys.push(`${primary}${SEP}${narrowRoute.fact}${SEP}${w}`);
  }
  return keys;
}

/** Every bucket an event looks up: its type's catch-all, each fact it has, and each pair of them. */
function eventKeys(event: KlaxonEvent): string[] {
  const fields = event as unknown as Record<string, unknown>;
  const keys = [`${event.type}${SEP}*`];
  for (const fact of INDEXED) {
    const value = fields[fact];
    if (typeof value !== "string") continue;
    const primary = `${event.type}${SEP}${fact}${SEP}${value}`;
    keys.push(primary);
    for (const other of INDEXED) {
      const otherValue = fields[other];
      if (other !== fact && typeof otherValue === "string") keys.push(`${primary}${SEP}${other}${SEP}${otherValue}`);
    }
  }
  return keys;
}

async function rulesEngineEvaluate(
  label: string,
  engineFor: (event: KlaxonEvent) => RulesEngine[],
  events: readonly KlaxonEvent[],
  ruleCount: number,
  maxMs: number,
  maxEvents: number,
): Promise<RowResult> {
  collectGarbage();
  const probe = new Probe();
  const started = performance.now();
  let processed = 0;
  let hits = 0;
  for (const event of events) {
    if (processed >= maxEvents || performance.now() - started > maxMs) break;
    for (const engine of engineFor(event)) hits += (await engine.run(event as unknown as Record<string, unknown>)).events.length;
    processed++;
  }
  const figures = probe.stop();
  return {
    row: "3",
    label,
    rules: ruleCount,
    events: processed,
    seconds: figures.seconds,
    eventsPerSecond: processed / figures.seconds,
    peakRssMb: figures.peakRssMb,
    cpuPercent: undefined,
    serverCpuPercent: undefined,
    ratios: {},
    details: { ruleHits: hits, capped: processed < events.length },
  };
}

export async function evaluateRows(options: {
  rules: readonly RuleJson[];
  events: readonly GeneratedEvent[];
  startMs: number;
  limits: EvaluateLimits;
  /** Passes of Klaxon's evaluation; the median is reported. */
  passes: number;
  onProgress?: (text: string) => void;
}): Promise<RowResult[]> {
  const { rules, limits } = options;
  const compiled = compileAll(rules);
  const progress = options.onProgress ?? (() => undefined);

  progress("  decoding events");
  const { decoded, row: decodeRow } = decodeAll(options.events);

  progress(`  Klaxon Evaluator, ${rules.length} rules${options.passes > 1 ? `, ${options.passes} passes` : ""}`);
  const klaxon = klaxonEvaluate(compiled, decoded, options.startMs, options.passes);

  progress(`  json-rules-engine routed, ${rules.length} rules (at most ${limits.routedMaxMs / 1_000} s)`);
  const byKey = new Map<string, RuleJson[]>();
  rules.forEach((rule, i) => {
    for (const key of routeKeys(compiled[i] as CompiledRule)) byKey.set(key, [...(byKey.get(key) ?? []), rule]);
  });
  const routedEngines = new Map([...byKey].map(([key, list]) => [key, newRulesEngine(list)] as const));
  const routed = await rulesEngineEvaluate(
    "json-rules-engine, routed*",
    (event) => eventKeys(event).flatMap((key) => routedEngines.get(key) ?? []),
    decoded,
    rules.length,
    limits.routedMaxMs,
    Number.POSITIVE_INFINITY,
  );
  routed.details.engines = routedEngines.size;

  progress(`  json-rules-engine naive, ${rules.length} rules (at most ${limits.naiveMaxMs / 1_000} s / ${limits.naiveMaxEvents} events)`);
  const naiveEngine = [newRulesEngine(rules)];
  const naive = await rulesEngineEvaluate("json-rules-engine, naive*", () => naiveEngine, decoded, rules.length, limits.naiveMaxMs, limits.naiveMaxEvents);

  klaxon.ratios = { vsRouted: klaxon.eventsPerSecond / routed.eventsPerSecond, vsNaive: klaxon.eventsPerSecond / naive.eventsPerSecond };
  routed.ratios = { vsKlaxon: routed.eventsPerSecond / klaxon.eventsPerSecond };
  naive.ratios = { vsKlaxon: naive.eventsPerSecond / klaxon.eventsPerSecond };
  return [decodeRow, klaxon, routed, naive];
}
