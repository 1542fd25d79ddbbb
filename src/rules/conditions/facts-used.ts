import { isFactRef } from "./conditions.schema.js";
import type { Condition, Conditions, LeafCondition } from "./conditions.schema.js";

/**
 * Every fact a condition tree reads: leaf facts and the facts of `{fact}` references. A compiled predicate reads
 * nothing else, so it decides the same on any two fact objects that agree on these names (own properties).
 */
export function factsUsed(c: Conditions): Set<string> {
  const used = new Set<string>();
  const visit = (node: Condition): void => {
    // The same dispatch as compileConditions (any, then all, then not, else a leaf).
    if (Object.hasOwn(node, "any")) for (const child of (node as { any: Condition[] }).any) visit(child);
    else if (Object.hasOwn(node, "all")) for (const child of (node as { all: Condition[] }).all) visit(child);
    else if (Object.hasOwn(node, "not")) visit((node as { not: Condition }).not);
    else {
      const leaf = node as LeafCondition;
      used.add(leaf.fact);
      if (isFactRef(leaf.value)) used.add(leaf.value.fact);
    }
  };
  visit(c);
  return used;
}
