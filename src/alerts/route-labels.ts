import { literalAlternatives } from "./matchers.js";
import { matchRoutes, type RouteNode } from "./routing.js";
import type { Labels } from "./model.js";

/** Routes by id ("root.0.1") or by receiver name, in tree order. */
export function findRoutes(root: RouteNode, idOrReceiver: string): RouteNode[] {
  const out: RouteNode[] = [];
  const visit = (node: RouteNode): void => {
    if (node.id === idOrReceiver || node.receiver === idOrReceiver) out.push(node);
    node.routes.forEach(visit);
  };
  visit(root);
  return out;
}

/**
 * Labels that lead an alert down to `target`: every equality matcher on the way, the first literal of every regex
 * matcher. Undefined when that is not enough (a regex with operators, a negative matcher that the chosen labels
 * trip, an earlier sibling route that catches it first): the caller then asks for labels.
 */
export function labelsForRoute(root: RouteNode, target: RouteNode, base: Labels): Labels | undefined {
  const path = pathTo(root, target);
  if (!path) return undefined;
  const labels: Record<string, string> = { ...base };
  for (const node of path) {
    for (const matcher of node.matchers) {
      if (matcher.op === "=") labels[matcher.name] = matcher.value;
      else if (matcher.op === "=~") {
        const value = literalAlternatives(matcher.value)?.[0];
        if (value === undefined) return undefined;
        labels[matcher.name] = value;
      }
    }
  }
  return matchRoutes(root, labels).some((route) => route.id === target.id) ? labels : undefined;
}

function pathTo(node: RouteNode, target: RouteNode): RouteNode[] | undefined {
  if (node.id === target.id) return [node];
  for (const child of node.routes) {
    const rest = pathTo(child, target);
    if (rest) return [node, ...rest];
  }
  return undefined;
}
