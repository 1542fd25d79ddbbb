import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { compileRule, type CompiledRule } from "../../src/rules/compiled-rule.js";
import { crossCheckRules, parseRuleFile } from "../../src/rules/loader.js";
import { RuleIndex } from "../../src/rules/rule-index.js";
import { T0, log, metric } from "../support/events.js";
import { compile, metricNamed, when, type RuleJson } from "../support/rules.js";

const threshold = (extra: RuleJson = {}): RuleJson => ({
  id: "cpu-high",
  version: 1,
  kind: "threshold",
  event: "metric",
  severity: "warning",
  match: metricNamed("cpu"),
  when: when("value", "greaterThan", 90),
  ...extra,
});

/** The issues of one file as "path: message" lines. */
function issuesOf(rule: unknown, file = "alerts/x.json"): string[] {
  const { issues } = parseRuleFile(file, typeof rule === "string" ? rule : JSON.stringify(rule));
  for (const issue of issues) assert.equal(issue.file, file);
  return issues.map((i) => `${i.path}: ${i.message}`);
}

describe("parseRuleFile", () => {
  test("a file with one valid rule", () => {
    const { rules, issues } = parseRuleFile("alerts/cpu.json", JSON.stringify(threshold({ for: "1h30m" })));
    assert.deepEqual(issues, []);
    assert.equal(rules.length, 1);
    assert.equal(rules[0]?.file, "alerts/cpu.json");
    assert.equal(rules[0]?.rule.id, "cpu-high");
    assert.equal(rules[0]?.rule.kind === "threshold" && rules[0].rule.for, 90 * 60_000);
    assert.match(rules[0]?.contentHash ?? "", /^[0-9a-f]{64}$/);
  });

  test("a file with an array of rules; errors carry the array index", () => {
    const text = JSON.stringify([threshold(), threshold({ id: "cpu-low", severity: "loud" }), threshold({ id: "cpu-mid" })]);
    const { rules, issues } = parseRuleFile("alerts/cpu.json", text);
    assert.deepEqual(rules.map((r) => r.rule.id), ["cpu-high", "cpu-mid"]);
    assert.equal(issues.length, 1);
    assert.equal(issues[0]?.path, "[1].severity");
  });

  test("the content hash ignores key order and whitespace but not content", () => {
    const a = parseRuleFile("a.json", JSON.stringify(threshold())).rules[0]?.contentHash;
    const reordered = Object.fromEntries(Object.entries(threshold()).reverse());
    const b = parseRuleFile("b.json", JSON.stringify(reordered, null, 2)).rules[0]?.contentHash;
    const c = parseRuleFile("a.json", JSON.stringify(threshold({ version: 2 }))).rules[0]?.contentHash;
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  test("errors deep in conditions name the JSON path", () => {
    const rule = threshold({ when: { all: [{ fact: "value", operator: "bigger", value: 1 }, { any: [{ fact: "source", operator: "equal" }] }] } });
    const issues = issuesOf(rule);
    assert.equal(issues.length, 2);
    assert.match(issues[0] ?? "", /^when\.all\[0\]\.operator: unknown operator "bigger"/);
    assert.match(issues[1] ?? "", /^when\.all\[1\]\.any\[0\]\.value: value is required/);
  });

  test("errors in `match` name the JSON path too", () => {
    const issues = issuesOf(threshold({ match: { all: [{ fact: "message", operator: "matches", value: "(" }] } }));
    assert.equal(issues.length, 1);
    assert.match(issues[0] ?? "", /^match\.all\[0\]\.value: invalid regular expression/);
  });

  test("invalid JSON reports line and column", () => {
    const issues = issuesOf('{\n  "id": "x",\n  oops\n}');
    assert.equal(issues.length, 1);
    assert.match(issues[0] ?? "", /^: invalid JSON \(line 3, column 3\)/);
  });

  test("invalid durations", () => {
    assert.deepEqual(issuesOf(threshold({ for: "5 minutes" })), [
      'for: invalid duration "5 minutes": use numbers with units ms, s, m, h, d, w (e.g. "5m", "1h30m")',
    ]);
    const absence = { id: "hb", version: 1, kind: "absence", event: "metric", severity: "critical", absentFor: "0s" };
    assert.deepEqual(issuesOf(absence), ["absentFor: duration must be greater than zero"]);
    assert.match(issuesOf({ ...absence, absentFor: "5" })[0] ?? "", /^absentFor: invalid duration "5"/);
    assert.match(issuesOf({ ...absence, absentFor: "m5" })[0] ?? "", /^absentFor: invalid duration/);
  });

  test("a log window rule with avg is rejected: logs have no value", () => {
    const rule = { id: "errors", version: 1, kind: "window", event: "log", severity: "info", window: "5m", aggregate: "avg", when: when("value", "greaterThan", 1) };
    assert.deepEqual(issuesOf(rule), ['aggregate: log events have no value: use "count" or "rate" (events per second), not "avg"']);
    assert.deepEqual(issuesOf({ ...rule, aggregate: "rate" }), []);
    assert.deepEqual(issuesOf({ ...rule, event: "metric" }), []);
  });

  test("an expect field that is not in keyBy is rejected", () => {
    const rule = { id: "hb", version: 1, kind: "absence", event: "metric", severity: "critical", absentFor: "5m", expect: [{ source: "a" }, { source: "b", service: "x" }] };
    assert.deepEqual(issuesOf(rule), ['expect[1].service: "service" is not in keyBy (source)']);
    assert.deepEqual(issuesOf({ ...rule, keyBy: ["source", "service"] }), []);
  });

  test("other shape errors: unknown fields, bad ids, unknown kind", () => {
    assert.match(issuesOf(threshold({ treshold: 5 }))[0] ?? "", /treshold/);
    assert.match(issuesOf(threshold({ id: "CPU High" }))[0] ?? "", /^id: rule id must be a lowercase slug/);
    assert.match(issuesOf(threshold({ keyBy: ["host"] }))[0] ?? "", /^keyBy\[0\]: key fields are/);
    assert.match(issuesOf(threshold({ labels: { "bad-name": "x" } }))[0] ?? "", /^labels\.bad-name: /);
    assert.match(issuesOf(threshold({ kind: "ratio" }))[0] ?? "", /^kind: /);
  });
});

describe("crossCheckRules", () => {
  test("duplicate ids across files are reported against the later file, naming the first", () => {
    const a = parseRuleFile("alerts/a.json", JSON.stringify(threshold())).rules;
    const b = parseRuleFile("alerts/b.json", JSON.stringify([threshold({ id: "other" }), threshold({ version: 2 })])).rules;
    assert.deepEqual(crossCheckRules([...a, ...b]), [
      { file: "alerts/b.json", path: "id", message: 'duplicate rule id "cpu-high" (also defined in alerts/a.json)' },
    ]);
    assert.deepEqual(crossCheckRules([...a, ...b.slice(0, 1)]), []);
  });
});

describe("RuleIndex", () => {
  const rules = {
    byName: compile(threshold({ id: "by-name" })),
    byNames: compile(threshold({ id: "by-names", match: when("name", "in", ["cpu", "load"]) })),
    byService: compile(threshold({ id: "by-service", match: when("service", "equal", "api") })),
    bySource: compile(threshold({ id: "by-source", match: when("source", "equal", "db-1") })),
    // Name wins over service: it is the most selective fact.
    nameAndService: compile(threshold({ id: "name-and-service", match: { all: [{ fact: "service", operator: "equal", value: "api" }, { fact: "name", operator: "equal", value: "mem" }] } })),
    anyOf: compile(threshold({ id: "any-of", match: { any: [{ fact: "name", operator: "equal", value: "cpu" }] } })),
    noMatch: compile(threshold({ id: "no-match", match: undefined })),
    byLevel: compile({ id: "by-level", version: 1, kind: "window", event: "log", severity: "info", match: when("level", "equal", "error"), window: "1m", aggregate: "count", when: when("count", "greaterThan", 1) }),
    logCatchAll: compile({ id: "log-all", version: 1, kind: "absence", event: "log", severity: "info", absentFor: "1m" }),
    disabled: compile(threshold({ id: "disabled", enabled: false })),
  };
  const index = new RuleIndex(Object.values(rules));
  const ids = (event: Parameters<RuleIndex["candidates"]>[0]): string[] => index.candidates(event).map((r) => r.rule.id).sort();

  test("routes are derived from `match`", () => {
    assert.deepEqual(rules.byName.route, { fact: "name", values: ["cpu"] });
    assert.deepEqual(rules.byNames.route, { fact: "name", values: ["cpu", "load"] });
    assert.deepEqual(rules.byService.route, { fact: "service", values: ["api"] });
    assert.deepEqual(rules.bySource.route, { fact: "source", values: ["db-1"] });
    assert.deepEqual(rules.nameAndService.route, { fact: "name", values: ["mem"] });
    assert.deepEqual(rules.byLevel.route, { fact: "level", values: ["error"] });
    assert.equal(rules.anyOf.route, undefined);
    assert.equal(rules.noMatch.route, undefined);
    assert.deepEqual(index.unrouted().map((r) => r.rule.id).sort(), ["any-of", "log-all", "no-match"]);
  });

  test("candidates: the event's buckets plus its type's catch-all", () => {
    assert.deepEqual(ids(metric("cpu", 1, T0)), ["any-of", "by-name", "by-names", "no-match"]);
    assert.deepEqual(ids(metric("load", 1, T0)), ["any-of", "by-names", "no-match"]);
    assert.deepEqual(ids(metric("mem", 1, T0, { service: "api" })), ["any-of", "by-service", "name-and-service", "no-match"]);
    assert.deepEqual(ids(metric("disk", 1, T0, { source: "db-1" })), ["any-of", "by-source", "no-match"]);
    assert.deepEqual(ids(metric("disk", 1, T0)), ["any-of", "no-match"]);
  });

  test("log events see log rules only", () => {
    assert.deepEqual(ids(log("error", "boom", T0)), ["by-level", "log-all"]);
    assert.deepEqual(ids(log("info", "fine", T0, { service: "api" })), ["log-all"]);
  });

  test("disabled rules are not indexed", () => {
    assert.equal(ids(metric("cpu", 1, T0)).includes("disabled"), false);
  });

  test("cost: with 10,000 rules on distinct metric names, an event meets only the rules for its name", () => {
    const text = JSON.stringify(Array.from({ length: 10_000 }, (_, i) => threshold({ id: `rule-${i}`, match: metricNamed(`metric_${i}`) })));
    const { rules: loaded, issues } = parseRuleFile("alerts/many.json", text);
    assert.deepEqual(issues, []);
    const compiled: CompiledRule[] = loaded.map(compileRule);
    const big = new RuleIndex(compiled);
    assert.equal(big.size, 10_000);
    assert.deepEqual(big.candidates(metric("metric_4242", 1, T0)).map((r) => r.rule.id), ["rule-4242"]);
    assert.deepEqual(big.candidates(metric("unknown", 1, T0)), []);
    let visited = 0;
    big.forEachCandidate(metric("metric_0", 1, T0), () => visited++);
    assert.equal(visited, 1);
  });
});
