// Rules for tests: write the JSON a user would write, get what the evaluator runs.
import assert from "node:assert/strict";
import { compileRule, type CompiledRule } from "../../src/rules/compiled-rule.js";
import { parseRuleFile } from "../../src/rules/loader.js";

/** A rule object as written in a rule file (durations as text, conditions in json-rules-engine form). */
export type RuleJson = Record<string, unknown>;

/** Validate and compile one rule; fails the test with the validation issues if the rule is invalid. */
export function compile(rule: RuleJson, file = "test.json"): CompiledRule {
  const { rules, issues } = parseRuleFile(file, JSON.stringify(rule));
  assert.deepEqual(issues, [], `rule ${String(rule.id)} should be valid`);
  assert.equal(rules.length, 1);
  return compileRule(rules[0] as NonNullable<(typeof rules)[0]>);
}

/** `{ all: [{ fact, operator, value }] }`: the common one-leaf condition. */
export function when(fact: string, operator: string, value: unknown): RuleJson {
  return { all: [{ fact, operator, value }] };
}

/** `match` on one metric name. */
export function metricNamed(name: string): RuleJson {
  return when("name", "equal", name);
}

/** The rule most engine tests fire: a `cpu` metric over 90 from any source is critical, one alert per source. */
export const cpuHotRule: RuleJson = {
  id: "cpu-hot",
  version: 1,
  kind: "threshold",
  event: "metric",
  match: metricNamed("cpu"),
  keyBy: ["source"],
  when: when("value", "greaterThan", 90),
  severity: "critical",
};
