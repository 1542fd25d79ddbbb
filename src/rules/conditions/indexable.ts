import { isFactRef } from "./conditions.schema.js";
import type { Condition, Conditions, LeafCondition } from "./conditions.schema.js";

/**
 * For each name in `facts`, the finite set of values the fact (read without a `path`) MUST have for `c` to hold,
 * when the tree says so: a literal `equal` leaf, or an `in` leaf with an array literal, reached from the root
 * through `all` nodes only. Several such leaves on one fact are intersected (an empty array means the conditions
 * can never hold). Facts the tree does not pin down are absent from the map.
 *
 * Conservative by construction: `any` and `not` subtrees, paths, fact references and every other operator are
 * ignored. Values compare with `===`, as `equal` and `in` do; for the JSON primitives that can appear here a
 * Map/Set lookup (SameValueZero) agrees with `===` (NaN, the one difference, is never listed).
 */
export function requiredValues(c: Conditions, facts: readonly string[]): Map<string, unknown[]> {
  const wanted = new Set(facts);
  const out = new Map<string, unknown[]>();

  const visit = (node: Condition): void => {
    // Same precedence as json-rules-engine's Condition.booleanOperator(): any, then all, then not.
    if (Object.hasOwn(node, "any")) return;
    if (Object.hasOwn(node, "all")) {
      for (const child of (node as { all: Condition[] }).all) visit(child);
      return;
    }
    if (Object.hasOwn(node, "not")) return;
    const leaf = node as LeafCondition;
    if (leaf.path !== undefined && leaf.path !== "") return;
    if (!wanted.has(leaf.fact) || isFactRef(leaf.value)) return;
    let values: unknown[];
    if (leaf.operator === "equal") values = [leaf.value];
    else if (leaf.operator === "in" && Array.isArray(leaf.value)) values = leaf.value;
    else return;
    values = unique(values);
    const prev = out.get(leaf.fact);
    out.set(leaf.fact, prev === undefined ? values : prev.filter((v) => values.indexOf(v) !== -1));
  };

  visit(c);
  return out;
}

/** Distinct values by `===`, first occurrence order, without NaN (which `===` never matches). */
function unique(values: readonly unknown[]): unknown[] {
  const out: unknown[] = [];
  for (const v of values) if (v === v && out.indexOf(v) === -1) out.push(v);
  return out;
}
