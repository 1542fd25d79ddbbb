import { AppError } from "../../core/errors.js";
import { isFactRef, parseFactPath } from "./conditions.schema.js";
import type { Condition, Conditions, LeafCondition } from "./conditions.schema.js";
import { OPERATORS, compileRegex, isNumberLike } from "./operators.js";

/** Fact values by fact name: plain data (what `JSON.parse` gives, or object literals). */
export type Facts = Readonly<Record<string, unknown>>;
export type Predicate = (facts: Facts) => boolean;

type Getter = (facts: Facts) => unknown;

/**
 * Compile a (schema-validated) condition tree into a closure that decides exactly as json-rules-engine v7 does when
 * built with `allowUndefinedFacts: true` and given `facts` as runtime facts. Everything that can be decided at
 * compile time is: operator dispatch, regexes, path keys, `in` sets. A call allocates nothing.
 *
 * Priorities only order evaluation in json-rules-engine; with the operators allowed here evaluation is pure and
 * cannot throw, so they cannot change a decision and are ignored.
 */
export function compileConditions(c: Conditions): Predicate {
  return compileNode(c);
}

/** A condition that did not come through `conditionsSchema` and cannot be compiled faithfully. */
export class ConditionCompileError extends AppError {}

function compileNode(c: Condition): Predicate {
  // json-rules-engine's Condition.booleanOperator() checks any, then all, then not.
  if (Object.hasOwn(c, "any")) return compileAny((c as { any: Condition[] }).any.map(compileNode));
  if (Object.hasOwn(c, "all")) return compileAll((c as { all: Condition[] }).all.map(compileNode));
  if (Object.hasOwn(c, "not")) {
    const inner = compileNode((c as { not: Condition }).not);
    return (f) => !inner(f);
  }
  return compileLeaf(c as LeafCondition);
}

// An empty `all` AND an empty `any` are both true in json-rules-engine (prioritizeAndRun resolves true for []).
const TRUE: Predicate = () => true;

function compileAll(ps: Predicate[]): Predicate {
  return byArity(
    ps,
    (p0, p1) => (f) => p0(f) && p1(f),
    (p0, p1, p2) => (f) => p0(f) && p1(f) && p2(f),
    (f) => {
      for (let i = 0; i < ps.length; i++) if (!(ps[i] as Predicate)(f)) return false;
      return true;
    },
  );
}

function compileAny(ps: Predicate[]): Predicate {
  return byArity(
    ps,
    (p0, p1) => (f) => p0(f) || p1(f),
    (p0, p1, p2) => (f) => p0(f) || p1(f) || p2(f),
    (f) => {
      for (let i = 0; i < ps.length; i++) if ((ps[i] as Predicate)(f)) return true;
      return false;
    },
  );
}

/**
 * The closure for `all`/`any` of `ps`, chosen at compile time: none is true, one is itself, two or three are joined
 * without a loop (the common sizes), more take `many`. Only compiling goes through here; the predicate it returns
 * calls its parts directly.
 */
function byArity(
  ps: readonly Predicate[],
  two: (p0: Predicate, p1: Predicate) => Predicate,
  three: (p0: Predicate, p1: Predicate, p2: Predicate) => Predicate,
  many: Predicate,
): Predicate {
  const [a, b, c] = ps;
  switch (ps.length) {
    case 0:
      return TRUE;
    case 1:
      return a as Predicate;
    case 2:
      return two(a as Predicate, b as Predicate);
    case 3:
      return three(a as Predicate, b as Predicate, c as Predicate);
    default:
      return many;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Fact access

/**
 * A runtime fact's value. json-rules-engine registers the facts object's keys (for...in) and answers undefined for
 * any other name, so a name such as "constructor" or "toString" must not reach Object.prototype.
 */
function factGetter(name: string): Getter {
  if (name in Object.prototype) return (f) => (Object.hasOwn(f, name) ? f[name] : undefined);
  return NAMED_GETTERS.get(name) ?? ((f) => f[name]);
}

/**
 * Getters of the facts events and windows carry, one function each. `(f) => f[name]` is one function for every name:
 * its property lookup sees every name and every shape and goes megamorphic (a hash probe per read); `f.value`
 * written out sees only the shapes of events, and reads like a field. None of these names is on Object.prototype.
 */
const NAMED_GETTERS: ReadonlyMap<string, Getter> = new Map<string, Getter>([
  ["type", (f) => f.type],
  ["source", (f) => f.source],
  ["service", (f) => f.service],
  ["name", (f) => f.name],
  ["value", (f) => f.value],
  ["level", (f) => f.level],
  ["message", (f) => f.message],
  ["labels", (f) => f.labels],
  ["timeMs", (f) => f.timeMs],
  ["count", (f) => f.count],
  ["aggregate", (f) => f.aggregate],
]);

/**
 * A fact value with a `path`, as json-rules-engine's Almanac + jsonpath-plus (`wrap: false`) compute it:
 * - a fact value that is not a non-null object is returned AS IS, path ignored ("abc" with $.length is "abc");
 * - otherwise each key is followed only while the current value is truthy and has it as an OWN property
 *   (Object.hasOwn, which also works on primitives: "abc" has "0" and "length"); a miss gives undefined.
 */
function pathGetter(base: Getter, keys: readonly string[]): Getter {
  if (keys.length === 1) {
    const k0 = keys[0] as string;
    return (f) => {
      const v = base(f);
      if (v === null || typeof v !== "object") return v;
      return Object.hasOwn(v, k0) ? (v as Record<string, unknown>)[k0] : undefined;
    };
  }
  return (f) => {
    let v = base(f);
    if (v === null || typeof v !== "object") return v;
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      if (!v || !Object.hasOwn(v, k)) return undefined;
      v = (v as Record<string, unknown>)[k];
    }
    return v;
  };
}

function valueGetter(fact: string, path: string | undefined): Getter {
  const base = factGetter(fact);
  // json-rules-engine applies a path only when it is truthy, so "" means no path.
  if (path === undefined || path === "") return base;
  const keys = parseFactPath(path);
  if (keys === undefined) throw new ConditionCompileError(`unsupported path ${JSON.stringify(path)}`);
  return pathGetter(base, keys);
}

// ---------------------------------------------------------------------------------------------------------------
// Leaves

const SET_THRESHOLD = 8;

function compileLeaf(leaf: LeafCondition): Predicate {
  const { operator, value } = leaf;
  const op = OPERATORS[operator];
  if (op === undefined) throw new ConditionCompileError(`unknown operator ${JSON.stringify(operator)}`);
  const g = valueGetter(leaf.fact, leaf.path);

  if (isFactRef(value)) {
    if (operator === "in" || operator === "notIn" || operator === "matches" || operator === "notMatches") {
      throw new ConditionCompileError(`operator "${operator}" needs a literal value, not a fact reference`);
    }
    const h = valueGetter(value.fact, value.path);
    return (f) => op(g(f), h(f));
  }

  const b: unknown = value;
  if (leaf.fact === "value" && (leaf.path === undefined || leaf.path === "")) {
    const onValue = compileValueComparison(operator, b);
    if (onValue !== undefined) return onValue;
  }
  switch (operator) {
    case "equal":
      return (f) => g(f) === b;
    case "notEqual":
      return (f) => g(f) !== b;
    case "in":
    case "notIn": {
      if (!Array.isArray(value)) throw new ConditionCompileError(`operator "${operator}" needs an array value`);
      const arr: readonly unknown[] = value;
      // A Set (SameValueZero) agrees with indexOf (===) unless NaN is among the values.
      const useSet = arr.length > SET_THRESHOLD && !arr.some((x) => x !== x);
      if (operator === "in") {
        if (useSet) {
          const set = new Set(arr);
          return (f) => set.has(g(f));
        }
        return (f) => arr.indexOf(g(f)) !== -1;
      }
      if (useSet) {
        const set = new Set(arr);
        return (f) => !set.has(g(f));
      }
      return (f) => arr.indexOf(g(f)) === -1;
    }
    case "contains":
      return (f) => {
        const a = g(f);
        return Array.isArray(a) && a.indexOf(b) !== -1;
      };
    case "doesNotContain":
      return (f) => {
        const a = g(f);
        return Array.isArray(a) && a.indexOf(b) === -1;
      };
    // For numbers the number validator is `a === a`, and NaN compares false anyway, so it is skipped.
    case "lessThan":
      return (f) => {
        const a = g(f);
        return typeof a === "number" ? a < (b as number) : isNumberLike(a) && (a as number) < (b as number);
      };
    case "lessThanInclusive":
      return (f) => {
        const a = g(f);
        return typeof a === "number" ? a <= (b as number) : isNumberLike(a) && (a as number) <= (b as number);
      };
    case "greaterThan":
      return (f) => {
        const a = g(f);
        return typeof a === "number" ? a > (b as number) : isNumberLike(a) && (a as number) > (b as number);
      };
    case "greaterThanInclusive":
      return (f) => {
        const a = g(f);
        return typeof a === "number" ? a >= (b as number) : isNumberLike(a) && (a as number) >= (b as number);
      };
    case "matches":
    case "notMatches": {
      if (typeof value !== "string") throw new ConditionCompileError(`operator "${operator}" needs a string value`);
      const re = compileRegex(value);
      if (operator === "matches") {
        return (f) => {
          const a = g(f);
          return typeof a === "string" && re.test(a);
        };
      }
      return (f) => {
        const a = g(f);
        return typeof a === "string" && !re.test(a);
      };
    }
  }
}

/**
 * Comparisons of the `value` fact (the common threshold `value > 90`) read `f.value` in place. Through the getter,
 * a fractional value came back boxed: one heap number allocated per test, on the busiest path there is. Same
 * decisions as the general leaves below, which `g` would make.
 */
function compileValueComparison(operator: LeafCondition["operator"], b: unknown): Predicate | undefined {
  const n = b as number;
  switch (operator) {
    case "equal":
      return (f) => f.value === b;
    case "notEqual":
      return (f) => f.value !== b;
    case "lessThan":
      return (f) => {
        const a = f.value;
        return typeof a === "number" ? a < n : isNumberLike(a) && (a as number) < n;
      };
    case "lessThanInclusive":
      return (f) => {
        const a = f.value;
        return typeof a === "number" ? a <= n : isNumberLike(a) && (a as number) <= n;
      };
    case "greaterThan":
      return (f) => {
        const a = f.value;
        return typeof a === "number" ? a > n : isNumberLike(a) && (a as number) > n;
      };
    case "greaterThanInclusive":
      return (f) => {
        const a = f.value;
        return typeof a === "number" ? a >= n : isNumberLike(a) && (a as number) >= n;
      };
    default:
      return undefined;
  }
}
