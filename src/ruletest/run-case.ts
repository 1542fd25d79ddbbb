import { jsonPath, type ValidationIssue } from "../core/errors.js";
import { Evaluator } from "../evaluate/evaluator.js";
import { eventSchema, normalizeEvent, type KlaxonEvent } from "../ingest/event.schema.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import type { Expectation, RuleTestCase } from "./ruletest.schema.js";

export interface FiringAlert {
  rule: string;
  labels: Readonly<Record<string, string>>;
  annotations: Readonly<Record<string, string>>;
}

export interface ExpectationFailure {
  atMs: number;
  offset: string;
  rule: string | undefined;
  missing: Expectation["firing"];
  unexpected: FiringAlert[];
  /** Alerts that matched on labels but whose annotations differ. */
  annotationMismatches: Array<{ expected: Record<string, string>; actual: Readonly<Record<string, string>>; labels: Readonly<Record<string, string>> }>;
}

export interface CaseResult {
  name: string;
  failures: ExpectationFailure[];
  issues: ValidationIssue[];
}

/** Expand the input series of a test case into timed events, validating each as the engine would. */
export function expandEvents(testCase: RuleTestCase, startMs: number, file: string, casePath: Array<string | number>): { events: KlaxonEvent[]; issues: ValidationIssue[] } {
  const events: KlaxonEvent[] = [];
  const issues: ValidationIssue[] = [];
  testCase.events.forEach((series, i) => {
    const count = series.values?.length ?? series.repeat ?? 1;
    for (let n = 0; n < count; n++) {
      const raw: Record<string, unknown> = { ...series.event, time: startMs + series.at + n * (series.every ?? 0) };
      if (series.values) raw.value = series.values[n];
      const parsed = eventSchema.safeParse(raw);
      if (!parsed.success) {
        for (const issue of parsed.error.issues) issues.push({ file, path: jsonPath([...casePath, "events", i, "event", ...issue.path]), message: issue.message });
        return;
      }
      events.push(normalizeEvent(parsed.data));
    }
  });
  // Stable sort: events at the same instant keep the order they were written in.
  events.sort((a, b) => a.timeMs - b.timeMs);
  return { events, issues };
}

function isSubset(expected: Readonly<Record<string, string>>, actual: Readonly<Record<string, string>>): boolean {
  return Object.entries(expected).every(([k, v]) => actual[k] === v);
}

function compare(expectation: Expectation, firing: FiringAlert[], atMs: number, offset: string): ExpectationFailure | undefined {
  const actual = firing.filter((a) => expectation.rule === undefined || a.rule === expectation.rule);
  const unmatched = [...actual];
  const missing: Expectation["firing"] = [];
  const annotationMismatches: ExpectationFailure["annotationMismatches"] = [];
  for (const expected of expectation.firing) {
    const index = unmatched.findIndex((a) => isSubset(expected.labels, a.labels));
    if (index < 0) {
      missing.push(expected);
      continue;
    }
    const [match] = unmatched.splice(index, 1) as [FiringAlert];
    if (expected.annotations && !isSubset(expected.annotations, match.annotations)) {
      annotationMismatches.push({ expected: expected.annotations, actual: match.annotations, labels: match.labels });
    }
  }
  if (missing.length === 0 && unmatched.length === 0 && annotationMismatches.length === 0) return undefined;
  return { atMs, offset, rule: expectation.rule, missing, unexpected: unmatched, annotationMismatches };
}

/**
 * Run one test case against the pure evaluator on a simulated clock: timers due before an instant run first, then
 * that instant's events, then timers due exactly at it, then the expectations of that instant are checked.
 */
export function runCase(testCase: RuleTestCase, rules: readonly CompiledRule[], startMs: number, file: string, casePath: Array<string | number>, formatOffset: (ms: number) => string): CaseResult {
  const { events, issues } = expandEvents(testCase, startMs, file, casePath);
  if (issues.length > 0) return { name: testCase.name, failures: [], issues };
  const evaluator = new Evaluator(rules, startMs);
  const instants = [...new Set([...events.map((e) => e.timeMs), ...testCase.expect.map((x) => startMs + x.at)])].sort((a, b) => a - b);
  const failures: ExpectationFailure[] = [];
  let next = 0;
  for (const t of instants) {
    evaluator.tick(t - 1);
    while (next < events.length && (events[next] as KlaxonEvent).timeMs === t) evaluator.apply(events[next++] as KlaxonEvent);
    evaluator.tick(t);
    const due = testCase.expect.filter((x) => startMs + x.at === t);
    if (due.length === 0) continue;
    const firing = evaluator.firingAlerts();
    for (const expectation of due) {
      const failure = compare(expectation, firing, t, formatOffset(expectation.at));
      if (failure) failures.push(failure);
    }
  }
  return { name: testCase.name, failures, issues: [] };
}
