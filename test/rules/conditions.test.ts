import { test, describe } from "node:test";
import { strict as assert } from "node:assert";
import { inspect } from "node:util";
import { Engine } from "json-rules-engine";
import type { RuleProperties } from "json-rules-engine";
import {
  OPERATOR_NAMES,
  OPERATORS,
  compileConditions,
  factsUsed,
  conditionsSchema,
  parseFactPath,
  registerKlaxonOperators,
  requiredValues,
} from "../../src/rules/conditions/index.js";
import type { Conditions, Facts, OperatorName } from "../../src/rules/conditions/index.js";

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function parse(raw: unknown): Conditions {
  const r = conditionsSchema.safeParse(raw);
  if (!r.success) assert.fail(`expected valid conditions, got ${inspect(r.error.issues, { depth: null })}`);
  return r.data;
}

function issues(raw: unknown): { path: PropertyKey[]; message: string }[] {
  const r = conditionsSchema.safeParse(raw);
  assert.equal(r.success, false, `expected ${JSON.stringify(raw)} to be rejected`);
  return (r.error?.issues ?? []).map((i) => ({ path: i.path, message: i.message }));
}

function newEngine(conditions: Conditions): Engine {
  const engine = new Engine([], { allowUndefinedFacts: true });
  registerKlaxonOperators(engine);
  // json-rules-engine mutates the objects it is given (leaf priorities): hand it a copy.
  engine.addRule({ conditions: structuredClone(conditions) as unknown as RuleProperties["conditions"], event: { type: "match" } });
  return engine;
}

async function engineDecides(engine: Engine, facts: Facts): Promise<boolean> {
  const { events } = await engine.run(facts as Record<string, unknown>);
  return events.length > 0;
}

/** Decide with the compiled predicate, check json-rules-engine agrees, return the decision. */
async function decide(raw: unknown, facts: Facts): Promise<boolean> {
  const c = parse(raw);
  const ours = compileConditions(c);
  const theirs = await engineDecides(newEngine(c), facts);
  assert.equal(ours(facts), theirs, `compiled vs json-rules-engine for ${JSON.stringify(raw)} on ${inspect(facts)}`);
  return theirs;
}

const leaf = (fact: string, operator: string, value: unknown, extra: Record<string, unknown> = {}): unknown => ({
  all: [{ fact, operator, value, ...extra }],
});

// ---------------------------------------------------------------------------------------------------------------
// Schema

describe("conditionsSchema", () => {
  test("accepts all/any/not trees with every operator, paths, fact references, names and priorities", () => {
    const raw = {
      all: [
        { fact: "name", operator: "equal", value: "cpu", name: "is cpu", priority: 2 },
        { any: [{ fact: "value", operator: "greaterThan", value: 90 }, { fact: "value", operator: "lessThan", value: { fact: "floor" } }] },
        { not: { fact: "labels", path: "$.env", operator: "in", value: ["dev", "test"] } },
        { fact: "labels", path: "$.items[0]", operator: "notIn", value: [] },
        { fact: "tags", operator: "contains", value: "critical" },
        { fact: "tags", operator: "doesNotContain", value: { fact: "labels", path: "$.a.b" } },
        { fact: "source", operator: "matches", value: "^api-\\d+$" },
        { fact: "source", operator: "notMatches", value: "canary" },
        { fact: "x", operator: "notEqual", value: { nested: [1, null, { ok: true }] } },
        { fact: "x", operator: "lessThanInclusive", value: "10" },
        { fact: "x", operator: "greaterThanInclusive", value: null },
        { any: [] },
        { all: [] },
      ],
    };
    assert.deepEqual(parse(raw), raw);
    assert.equal(OPERATOR_NAMES.length, 12);
  });

  test("a deep error carries its JSON path", () => {
    assert.deepEqual(issues({ all: [{ fact: "a", operator: "eq", value: 1 }] }), [
      {
        path: ["all", 0, "operator"],
        message:
          'unknown operator "eq": allowed operators are equal, notEqual, lessThan, lessThanInclusive, greaterThan, ' +
          "greaterThanInclusive, in, notIn, contains, doesNotContain, matches, notMatches",
      },
    ]);
    const deep = issues({ any: [{ fact: "a", operator: "equal", value: 1 }, { not: { all: [{ fact: "b", operator: "in", value: "x" }] } }] });
    assert.deepEqual(deep, [{ path: ["any", 1, "not", "all", 0, "value"], message: 'operator "in" needs an array value' }]);
  });

  test("operator decorators of json-rules-engine are not accepted", () => {
    const [i] = issues(leaf("a", "not:equal", 1));
    assert.deepEqual(i?.path, ["all", 0, "operator"]);
    assert.match(i?.message ?? "", /allowed operators are equal, notEqual/);
  });

  test("in / notIn need an array literal, not a fact reference", () => {
    assert.deepEqual(issues(leaf("a", "notIn", 5)), [{ path: ["all", 0, "value"], message: 'operator "notIn" needs an array value' }]);
    const [i] = issues(leaf("a", "in", { fact: "list" }));
    assert.deepEqual(i?.path, ["all", 0, "value"]);
    assert.match(i?.message ?? "", /needs a literal value/);
  });

  test("matches: the regex must compile, the error is at the value with the regex error text", () => {
    const [i] = issues({ all: [{ any: [{ fact: "s", operator: "matches", value: "(unclosed" }] }] });
    assert.deepEqual(i?.path, ["all", 0, "any", 0, "value"]);
    assert.match(i?.message ?? "", /^invalid regular expression: .*Unterminated group/);
    assert.match(issues(leaf("s", "notMatches", "a**"))[0]?.message ?? "", /^invalid regular expression: .*Nothing to repeat/);
    assert.match(issues(leaf("s", "matches", 5))[0]?.message ?? "", /needs a string value/);
  });

  test("paths: only $.a, $.a.b, $.items[0]", () => {
    assert.deepEqual(parseFactPath("$.host"), ["host"]);
    assert.deepEqual(parseFactPath("$.a.b_c.d-e"), ["a", "b_c", "d-e"]);
    assert.deepEqual(parseFactPath("$.items[0]"), ["items", "0"]);
    assert.deepEqual(parseFactPath("$[3].x"), ["3", "x"]);
    for (const bad of ["$", "host", "$..x", "$.*", "$['a']", "$.a[*]", "$.a[?(@.b)]", "$.a[-1]", "$.a[01]", "$.1a", "$.a.", "", "$.a b"]) {
      assert.equal(parseFactPath(bad), undefined, bad);
      const [i] = issues(leaf("a", "equal", 1, { path: bad }));
      assert.deepEqual(i?.path, ["all", 0, "path"], bad);
      assert.match(i?.message ?? "", /only simple JSONPath is supported/, bad);
    }
    const [r] = issues(leaf("a", "equal", { fact: "b", path: "$..x" }));
    assert.deepEqual(r?.path, ["all", 0, "value", "path"]);
  });

  test("condition references are rejected with a clear message", () => {
    const [i] = issues({ any: [{ condition: "sharedCondition" }] });
    assert.deepEqual(i?.path, ["any", 0]);
    assert.match(i?.message ?? "", /condition references .* are not supported/);
    assert.match(issues({ condition: "x" })[0]?.message ?? "", /not supported/);
  });

  test("unknown keys, missing keys and malformed shapes", () => {
    assert.deepEqual(issues(leaf("a", "equal", 1, { params: { x: 1 } })), [{ path: ["all", 0], message: 'Unrecognized key: "params"' }]);
    assert.deepEqual(issues({ all: [], extra: 1 }), [{ path: [], message: 'Unrecognized key: "extra"' }]);
    assert.deepEqual(issues({ all: [{ fact: "a", operator: "equal" }] }), [{ path: ["all", 0, "value"], message: "value is required" }]);
    assert.deepEqual(issues({ all: [{ fact: "", operator: "equal", value: 1 }] })[0]?.path, ["all", 0, "fact"]);
    assert.deepEqual(issues({ all: [{ operator: "equal", value: 1 }] })[0]?.path, ["all", 0]);
    assert.match(issues({ fact: "a", operator: "equal", value: 1 })[0]?.message ?? "", /must be wrapped/);
    assert.match(issues({ all: [], any: [] })[0]?.message ?? "", /exactly one of all, any, not/);
    assert.deepEqual(issues({ not: [] })[0]?.path, ["not"]);
    assert.deepEqual(issues({ any: {} })[0]?.path, ["any"]);
    assert.deepEqual(issues({ all: [{ fact: "a", operator: "equal", value: 1, priority: 0 }] })[0]?.path, ["all", 0, "priority"]);
    assert.deepEqual(issues(null)[0]?.path, []);
  });

  test("an object value with a fact key must be a well-formed fact reference", () => {
    assert.deepEqual(issues(leaf("a", "equal", { fact: 3 }))[0]?.path, ["all", 0, "value", "fact"]);
    const [i] = issues(leaf("a", "equal", { fact: "b", params: {} }));
    assert.deepEqual(i?.path, ["all", 0, "value"]);
    assert.match(i?.message ?? "", /Unrecognized key: "params".*fact reference/);
  });

  test("values must be JSON", () => {
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, () => 1, new Date(0), [1, undefined]]) {
      assert.deepEqual(issues(leaf("a", "equal", bad))[0]?.path, ["all", 0, "value"]);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Operators (each case is also checked against json-rules-engine by `decide`)

describe("operator semantics (agreeing with json-rules-engine)", () => {
  test("equal / notEqual are strict, undefined facts are undefined", async () => {
    assert.equal(await decide(leaf("v", "equal", 5), { v: 5 }), true);
    assert.equal(await decide(leaf("v", "equal", 5), { v: "5" }), false);
    assert.equal(await decide(leaf("v", "equal", null), { v: null }), true);
    assert.equal(await decide(leaf("v", "equal", null), {}), false);
    assert.equal(await decide(leaf("v", "notEqual", null), {}), true);
    assert.equal(await decide(leaf("v", "notEqual", 5), {}), true);
    assert.equal(await decide(leaf("v", "equal", [1]), { v: [1] }), false, "arrays compare by reference");
    assert.equal(await decide(leaf("v", "equal", { fact: "w" }), {}), true, "undefined === undefined");
    assert.equal(await decide(leaf("v", "equal", { fact: "v" }), { v: { a: 1 } }), true, "same reference");
  });

  test("numeric operators: parseFloat validator, then JavaScript comparison", async () => {
    assert.equal(await decide(leaf("v", "greaterThan", 9), { v: "10" }), true, "numeric string vs number");
    assert.equal(await decide(leaf("v", "greaterThan", "9"), { v: "10" }), false, "string vs string is lexicographic");
    assert.equal(await decide(leaf("v", "lessThan", "9"), { v: "10" }), true);
    assert.equal(await decide(leaf("v", "lessThan", 20), { v: "12abc" }), false, "validator passes, comparison is NaN");
    assert.equal(await decide(leaf("v", "lessThan", 10), { v: " 5" }), true);
    assert.equal(await decide(leaf("v", "lessThan", 1), { v: null }), false, "null fails the validator (null < 1 would be true)");
    assert.equal(await decide(leaf("v", "lessThan", 1), { v: "" }), false);
    assert.equal(await decide(leaf("v", "lessThan", "b"), { v: "abc" }), false, "non-numeric strings fail the validator");
    assert.equal(await decide(leaf("v", "lessThan", 1), { v: true }), false);
    assert.equal(await decide(leaf("v", "lessThan", 10), { v: ["5"] }), true, "[\"5\"] parses as 5");
    assert.equal(await decide(leaf("v", "lessThan", 10), { v: [1, 2] }), false, "[1,2] passes the validator, '1,2' < 10 is false");
    assert.equal(await decide(leaf("v", "greaterThan", 1e300), { v: "Infinity" }), true);
    assert.equal(await decide(leaf("v", "greaterThanInclusive", 5), { v: 5 }), true);
    assert.equal(await decide(leaf("v", "lessThanInclusive", 5), {}), false);
    assert.equal(await decide(leaf("v", "greaterThan", null), { v: 1 }), true, "1 > null");
    assert.equal(await decide(leaf("v", "greaterThan", { fact: "w" }), { v: 3, w: "2" }), true);
    assert.equal(await decide(leaf("v", "greaterThan", { fact: "w" }), { v: 3 }), false, "3 > undefined is false");
  });

  test("in / notIn use strict indexOf; undefined facts are not in, hence notIn", async () => {
    assert.equal(await decide(leaf("v", "in", ["a", 1]), { v: 1 }), true);
    assert.equal(await decide(leaf("v", "in", ["a", 1]), { v: "1" }), false);
    assert.equal(await decide(leaf("v", "in", []), { v: 1 }), false);
    assert.equal(await decide(leaf("v", "notIn", ["a"]), {}), true);
    assert.equal(await decide(leaf("v", "in", [null]), {}), false);
    assert.equal(await decide(leaf("v", "in", [null]), { v: null }), true);
    const many = Array.from({ length: 20 }, (_, i) => `h${i}`);
    assert.equal(await decide(leaf("v", "in", many), { v: "h17" }), true);
    assert.equal(await decide(leaf("v", "notIn", many), { v: "h20" }), true);
    assert.equal(await decide(leaf("v", "notIn", many), { v: "h0" }), false);
  });

  test("contains / doesNotContain need an array fact (Array.isArray validator)", async () => {
    assert.equal(await decide(leaf("v", "contains", "a"), { v: ["a", "b"] }), true);
    assert.equal(await decide(leaf("v", "contains", "a"), { v: "abc" }), false, "strings are not arrays");
    assert.equal(await decide(leaf("v", "doesNotContain", "z"), { v: "abc" }), false);
    assert.equal(await decide(leaf("v", "doesNotContain", "z"), {}), false, "undefined fails the validator");
    assert.equal(await decide(leaf("v", "doesNotContain", "z"), { v: [] }), true);
    assert.equal(await decide(leaf("v", "contains", 5), { v: ["5"] }), false);
    assert.equal(await decide(leaf("v", "contains", { fact: "w" }), { v: [1, 2], w: 2 }), true);
    assert.equal(await decide(leaf("v", "contains", { fact: "w" }), { v: [1, 2] }), false);
  });

  test("matches / notMatches: string facts only, otherwise both false", async () => {
    assert.equal(await decide(leaf("s", "matches", "^api-\\d+$"), { s: "api-12" }), true);
    assert.equal(await decide(leaf("s", "notMatches", "^api-\\d+$"), { s: "api-x" }), true);
    assert.equal(await decide(leaf("s", "matches", "5"), { s: 5 }), false);
    assert.equal(await decide(leaf("s", "notMatches", "5"), { s: 5 }), false);
    assert.equal(await decide(leaf("s", "notMatches", "x"), {}), false);
    assert.equal(await decide(leaf("s", "matches", "^$"), { s: "" }), true);
    assert.equal(OPERATORS.matches(["a"], "a"), false);
  });

  test("path: own properties only, and a non-object fact value is used as is", async () => {
    const labels = { host: "web-1", items: ["a", "b"], nested: { a: 0, s: "xyz" } };
    assert.equal(await decide(leaf("l", "equal", "web-1", { path: "$.host" }), { l: labels }), true);
    assert.equal(await decide(leaf("l", "equal", "b", { path: "$.items[1]" }), { l: labels }), true);
    assert.equal(await decide(leaf("l", "equal", 0, { path: "$.nested.a" }), { l: labels }), true);
    assert.equal(await decide(leaf("l", "equal", 3, { path: "$.nested.s.length" }), { l: labels }), true, "own 'length' of a string");
    assert.equal(await decide(leaf("l", "equal", "x", { path: "$.nested.s[0]" }), { l: labels }), true);
    assert.equal(await decide(leaf("l", "equal", null, { path: "$.nested.a.b" }), { l: labels }), false);
    assert.equal(await decide(leaf("l", "notEqual", null, { path: "$.nested.a.b" }), { l: labels }), true, "0 is falsy: undefined");
    assert.equal(await decide(leaf("l", "equal", 2, { path: "$.items.length" }), { l: labels }), true);
    assert.equal(await decide(leaf("l", "equal", "abc", { path: "$.host" }), { l: "abc" }), true, "string fact: path ignored");
    assert.equal(await decide(leaf("l", "equal", 7, { path: "$.length" }), { l: 7 }), true);
    assert.equal(await decide(leaf("l", "equal", null, { path: "$.host" }), { l: null }), true, "null fact: path ignored");
    assert.equal(await decide(leaf("l", "equal", "a", { path: "$[0]" }), { l: ["a"] }), true);
    assert.equal(await decide(leaf("l", "notEqual", 1, { path: "$.toString" }), { l: {} }), true, "no prototype lookups");
    assert.equal(await decide(leaf("l", "equal", "web-1", { path: "$.host" }), {}), false);
    assert.equal(
      await decide(leaf("a", "equal", { fact: "l", path: "$.host" }), { a: "web-1", l: labels }),
      true,
      "fact reference with a path",
    );
  });

  test("facts named like Object.prototype members are undefined unless present", async () => {
    assert.equal(await decide(leaf("constructor", "equal", { fact: "missing" }), {}), true);
    assert.equal(await decide(leaf("toString", "notEqual", 1), {}), true);
    assert.equal(await decide(leaf("constructor", "equal", 1), { constructor: 1 }), true);
    assert.equal(await decide(leaf("hasOwnProperty", "equal", 1), { hasOwnProperty: 1 }), true);
  });

  test("all / any / not, including empty arrays (both true)", async () => {
    const t = { fact: "v", operator: "equal", value: 1 };
    const f = { fact: "v", operator: "equal", value: 2 };
    const facts = { v: 1 };
    assert.equal(await decide({ all: [] }, facts), true);
    assert.equal(await decide({ any: [] }, facts), true, "json-rules-engine: an empty any is true");
    assert.equal(await decide({ not: { any: [] } }, facts), false);
    assert.equal(await decide({ not: { all: [] } }, facts), false);
    assert.equal(await decide({ all: [t, f] }, facts), false);
    assert.equal(await decide({ any: [f, t] }, facts), true);
    assert.equal(await decide({ any: [f, f, f, f, f] }, facts), false);
    assert.equal(await decide({ all: [t, t, t, t, t] }, facts), true);
    assert.equal(await decide({ not: f }, facts), true);
    assert.equal(await decide({ not: { not: t } }, facts), true);
    assert.equal(await decide({ all: [{ ...t, priority: 5 }, { any: [f], priority: 2 }] }, facts), false);
    assert.equal(await decide({ any: [{ all: [] }, f] }, facts), true);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// requiredValues

describe("factsUsed", () => {
  test("leaf facts and fact references, under all, any and not", () => {
    const c = parse({
      all: [
        { fact: "value", operator: "greaterThan", value: 1 },
        { any: [{ fact: "count", operator: "equal", value: { fact: "limit", path: "$.max" } }, { not: { fact: "labels", path: "$.env", operator: "equal", value: "dev" } }] },
      ],
    });
    assert.deepEqual([...factsUsed(c)].sort(), ["count", "labels", "limit", "value"]);
    assert.deepEqual([...factsUsed(parse({ any: [] }))], []);
  });
});

describe("requiredValues", () => {
  const names = ["name", "source", "level", "v"];
  const rv = (raw: unknown, facts: readonly string[] = names) => Object.fromEntries(requiredValues(parse(raw), facts));

  test("equal and in under all nodes, nested all included", () => {
    assert.deepEqual(
      rv({
        all: [
          { fact: "name", operator: "equal", value: "cpu" },
          { all: [{ fact: "source", operator: "in", value: ["a", "b", "a"] }] },
          { fact: "v", operator: "greaterThan", value: 1 },
        ],
      }),
      { name: ["cpu"], source: ["a", "b"] },
    );
  });

  test("intersection of several constraints, possibly empty", () => {
    assert.deepEqual(
      rv({ all: [{ fact: "name", operator: "in", value: ["a", "b", "c"] }, { all: [{ fact: "name", operator: "in", value: ["c", "b", "z"] }] }] }),
      { name: ["b", "c"] },
    );
    assert.deepEqual(
      rv({ all: [{ fact: "name", operator: "equal", value: "a" }, { fact: "name", operator: "equal", value: "b" }] }),
      { name: [] },
    );
    assert.deepEqual(rv({ all: [{ fact: "name", operator: "equal", value: 1 }, { fact: "name", operator: "in", value: ["1"] }] }), { name: [] });
  });

  test("any, not, paths, fact references and other operators constrain nothing", () => {
    assert.deepEqual(rv({ any: [{ fact: "name", operator: "equal", value: "cpu" }] }), {});
    assert.deepEqual(rv({ all: [{ any: [{ fact: "name", operator: "equal", value: "cpu" }] }] }), {});
    assert.deepEqual(rv({ not: { fact: "name", operator: "equal", value: "cpu" } }), {});
    assert.deepEqual(rv({ all: [{ not: { all: [{ fact: "name", operator: "equal", value: "cpu" }] } }] }), {});
    assert.deepEqual(rv({ all: [{ fact: "name", operator: "notIn", value: ["cpu"] }, { fact: "name", operator: "notEqual", value: "x" }] }), {});
    assert.deepEqual(rv({ all: [{ fact: "name", path: "$.a", operator: "equal", value: "cpu" }] }), {});
    assert.deepEqual(rv({ all: [{ fact: "name", operator: "equal", value: { fact: "source" } }] }), {});
    assert.deepEqual(rv({ all: [{ fact: "name", operator: "matches", value: "^cpu$" }] }), {});
  });

  test("only the requested facts are reported", () => {
    const raw = { all: [{ fact: "name", operator: "equal", value: "cpu" }, { fact: "other", operator: "equal", value: 1 }] };
    assert.deepEqual(rv(raw, ["name"]), { name: ["cpu"] });
    assert.deepEqual(rv(raw, []), {});
    assert.deepEqual(rv(raw, ["other", "name"]), { name: ["cpu"], other: [1] });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Differential: compiled predicates vs json-rules-engine on random trees and facts

/** xorshift32, seeded: deterministic across runs and platforms. */
function prng(seed: number): () => number {
  let s = seed >>> 0 || 0x9e3779b9;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 4294967296;
  };
}

const SCALARS: readonly unknown[] = [
  0, 1, 5, 10, 90, 90.5, -3, 1e3, "5", "10", "9", "90", "1e3", " 5", "12abc", "Infinity", "", "abc", "prod", "dev",
  "api-1", "web-1", "x", true, false, null,
];
const REGEXES = ["^a", "prod", "^\\d+$", "^$", "api|db", ".", "^web-\\d", "5", "^[a-z]+$", "b"];
const PATHS = [
  "$.host", "$.env", "$.app-name", "$.items[0]", "$.items[1]", "$.nested.a", "$.nested.b", "$.length", "$[0]", "$[1]",
  "$.nested.a.length", "$.host[0]", "$.constructor", "$.items.length", "$.nested",
];
// Every fact compile.ts reads through a dedicated getter (value ... aggregate), and names it reads generically.
const FACT_NAMES = ["value", "name", "source", "service", "type", "level", "message", "timeMs", "count", "aggregate", "tags", "labels", "meta", "missing", "constructor"];

function makeGen(rand: () => number) {
  const int = (n: number) => Math.floor(rand() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  const scalarArray = (max: number) => Array.from({ length: int(max + 1) }, () => pick(SCALARS));
  const object = (): Record<string, unknown> => {
    const o: Record<string, unknown> = {};
    if (rand() < 0.7) o["host"] = pick(["web-1", "api-1", "", "abc", 5]);
    if (rand() < 0.7) o["env"] = pick(["prod", "dev", null, "10"]);
    if (rand() < 0.4) o["app-name"] = pick(["api", "x"]);
    if (rand() < 0.6) o["items"] = scalarArray(3);
    if (rand() < 0.6) o["nested"] = rand() < 0.2 ? null : { a: pick(SCALARS), b: pick(SCALARS) };
    if (rand() < 0.1) o["constructor"] = pick(SCALARS);
    return o;
  };
  const factValue = (): unknown => {
    const r = rand();
    if (r < 0.55) return pick(SCALARS);
    if (r < 0.75) return scalarArray(4);
    if (r < 0.78) return [scalarArray(2), pick(SCALARS)];
    if (r < 0.97) return object();
    return undefined;
  };
  const facts = (): Record<string, unknown> => {
    const f: Record<string, unknown> = {};
    for (const name of FACT_NAMES) {
      if (name === "missing") continue;
      if (rand() < (name === "constructor" ? 0.3 : 0.8)) f[name] = factValue();
    }
    return f;
  };
  const factRef = () => (rand() < 0.4 ? { fact: pick(FACT_NAMES), path: pick(PATHS) } : { fact: pick(FACT_NAMES) });
  const leafNode = () => {
    const operator = pick(OPERATOR_NAMES) as OperatorName;
    let value: unknown;
    if (operator === "in" || operator === "notIn") value = scalarArray(rand() < 0.1 ? 12 : 4);
    else if (operator === "matches" || operator === "notMatches") value = pick(REGEXES);
    else {
      const r = rand();
      value = r < 0.25 ? factRef() : r < 0.9 ? pick(SCALARS) : r < 0.97 ? scalarArray(2) : { k: pick(SCALARS) };
    }
    const node: Record<string, unknown> = { fact: pick(FACT_NAMES), operator, value };
    if (rand() < 0.35) node["path"] = pick(PATHS);
    if (rand() < 0.1) node["priority"] = 1 + int(3);
    return node;
  };
  const tree = (depth: number): Record<string, unknown> => {
    if (depth > 0 && (depth >= 3 || rand() < 0.45)) return leafNode();
    const r = rand();
    const node: Record<string, unknown> = {};
    if (r < 0.2) node["not"] = tree(depth + 1);
    else {
      const n = rand() < 0.08 ? 0 : 1 + int(3);
      node[r < 0.6 ? "all" : "any"] = Array.from({ length: n }, () => tree(depth + 1));
    }
    if (rand() < 0.1) node["priority"] = 1 + int(3);
    return node;
  };
  return { tree: () => tree(0), facts };
}

describe("differential: compileConditions vs json-rules-engine", () => {
  test("identical decisions on 3,000 random trees x 4 random fact objects", async (t) => {
    const TREES = 3000;
    const FACTS_PER_TREE = 4;
    const gen = makeGen(prng(20260311));
    let matched = 0;
    let cases = 0;
    const operatorsSeen = new Set<string>();
    for (let i = 0; i < TREES; i++) {
      const raw = gen.tree();
      for (const m of JSON.stringify(raw).matchAll(/"operator":"(\w+)"/g)) operatorsSeen.add(m[1] as string);
      const conditions = parse(raw);
      const predicate = compileConditions(conditions);
      const engine = newEngine(conditions);
      const required = requiredValues(conditions, FACT_NAMES);
      for (let j = 0; j < FACTS_PER_TREE; j++) {
        const facts = gen.facts();
        const expected = await engineDecides(engine, facts);
        const actual = predicate(facts);
        if (actual !== expected) {
          assert.fail(
            `mismatch in case ${cases} (tree ${i}): json-rules-engine=${expected} compiled=${actual}\n` +
              `conditions: ${inspect(raw, { depth: null })}\nfacts: ${inspect(facts, { depth: null })}`,
          );
        }
        if (expected) {
          matched++;
          // requiredValues must be implied: a matching fact value is always in the required set.
          for (const [name, values] of required) {
            const v = Object.hasOwn(facts, name) ? facts[name] : undefined;
            assert.ok(values.indexOf(v) !== -1, `requiredValues claims ${name} in ${inspect(values)} but ${inspect(v)} matched\n${inspect(raw, { depth: null })}`);
          }
        }
        cases++;
      }
    }
    t.diagnostic(`${cases} cases (${TREES} trees), ${matched} matches, ${cases - matched} non-matches, all identical`);
    assert.equal(cases, TREES * FACTS_PER_TREE);
    assert.deepEqual([...operatorsSeen].sort(), [...OPERATOR_NAMES].sort());
    assert.ok(matched > cases * 0.15 && matched < cases * 0.85, `decisions are balanced enough to be meaningful (${matched}/${cases})`);
  });
});
