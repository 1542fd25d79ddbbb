import { Operator } from "json-rules-engine";
import type { Engine } from "json-rules-engine";

/**
 * Operators, with the exact semantics of json-rules-engine v7 (`engine-default-operators.js` and `operator.js`):
 * an operator evaluates to `validator(factValue) && callback(factValue, compareValue)`, so a fact value that
 * fails the operator's validator makes the operator false (never "true because negated").
 */
export const BUILTIN_OPERATORS = [
  "equal",
  "notEqual",
  "lessThan",
  "lessThanInclusive",
  "greaterThan",
  "greaterThanInclusive",
  "in",
  "notIn",
  "contains",
  "doesNotContain",
] as const;

/** Klaxon's own operators: the value is a JavaScript regular expression source (no flags), the fact must be a string. */
export const KLAXON_OPERATORS = ["matches", "notMatches"] as const;

export const OPERATOR_NAMES = [...BUILTIN_OPERATORS, ...KLAXON_OPERATORS] as const;

export type OperatorName = (typeof OPERATOR_NAMES)[number];

/** `(factValue, compareValue) => boolean`, the left-hand side being the condition's fact. */
export type OperatorFn = (factValue: unknown, compareValue: unknown) => boolean;

/**
 * json-rules-engine's `numberValidator`: `Number.parseFloat(factValue).toString() !== 'NaN'`. parseFloat converts
 * its argument to a string first, so "12abc", " 5", "Infinity", ["7"] and [1, 2] pass, while null, true, "" and {}
 * do not. (The comparison that follows is plain JavaScript `<`, so "12abc" < 20 is still false.)
 */
export function isNumberLike(factValue: unknown): boolean {
  if (typeof factValue === "number") return factValue === factValue; // parseFloat(String(n)) is NaN only for NaN
  return !Number.isNaN(Number.parseFloat(factValue as string));
}

/** The `factValueValidator` of `contains` / `doesNotContain`. */
export const isArray: (factValue: unknown) => factValue is unknown[] = Array.isArray;

/** The `factValueValidator` of `matches` / `notMatches`. */
export function isString(factValue: unknown): factValue is string {
  return typeof factValue === "string";
}

/** How a `matches` / `notMatches` value is compiled. Throws a SyntaxError when the source is not a valid regex. */
export function compileRegex(source: string): RegExp {
  return new RegExp(source);
}

const regexCache = new Map<unknown, RegExp>();
const REGEX_CACHE_LIMIT = 1024;

/** Cached compilation for the table operators below, where the pattern is only known at call time. */
function regexFor(source: unknown): RegExp {
  let re = regexCache.get(source);
  if (re === undefined) {
    if (regexCache.size >= REGEX_CACHE_LIMIT) regexCache.clear();
    re = compileRegex(source as string);
    regexCache.set(source, re);
  }
  return re;
}

interface Indexable {
  indexOf(searchElement: unknown): number;
}

/**
 * The operator table, validator included. Like json-rules-engine, `in` / `notIn` call `compareValue.indexOf`, so a
 * compare value without `indexOf` throws a TypeError exactly where json-rules-engine would (the schema only allows
 * array literals there), and a string compare value does a substring search.
 */
export const OPERATORS: Readonly<Record<OperatorName, OperatorFn>> = {
  equal: (a, b) => a === b,
  notEqual: (a, b) => a !== b,
  in: (a, b) => (b as Indexable).indexOf(a) > -1,
  notIn: (a, b) => (b as Indexable).indexOf(a) === -1,
  contains: (a, b) => isArray(a) && a.indexOf(b) > -1,
  doesNotContain: (a, b) => isArray(a) && a.indexOf(b) === -1,
  // `as number` only silences the type checker: at run time this is JavaScript's abstract relational comparison,
  // exactly as in json-rules-engine ("10" < "9" is true, "10" < 9 is false, ["5"] < 10 is true).
  lessThan: (a, b) => isNumberLike(a) && (a as number) < (b as number),
  lessThanInclusive: (a, b) => isNumberLike(a) && (a as number) <= (b as number),
  greaterThan: (a, b) => isNumberLike(a) && (a as number) > (b as number),
  greaterThanInclusive: (a, b) => isNumberLike(a) && (a as number) >= (b as number),
  matches: (a, b) => isString(a) && regexFor(b).test(a),
  notMatches: (a, b) => isString(a) && !regexFor(b).test(a),
};

/**
 * Add Klaxon's `matches` / `notMatches` to a json-rules-engine Engine, with a string fact-value validator so that a
 * non-string fact makes both operators false (as a failed validator does for the built-ins). Used by parity tests
 * and benchmarks; production evaluation uses `compileConditions`.
 */
export function registerKlaxonOperators(engine: Engine): void {
  engine.addOperator(new Operator<unknown, unknown>("matches", (a, b) => regexFor(b).test(a as string), isString));
  engine.addOperator(new Operator<unknown, unknown>("notMatches", (a, b) => !regexFor(b).test(a as string), isString));
}
