import { compileMatchers, labelValue } from "./matchers.js";
import type { Labels, Matcher } from "./model.js";
import { GROUP_BY_ALL, type ChildRouteConfig, type InhibitRuleConfig, type RootRouteConfig } from "./routes.schema.js";

/** A route with every inherited setting filled in: the routing tree the dispatcher walks. */
export interface RouteNode {
  /** Position in the tree, stable for a given file: "root", "root.0", "root.0.1". */
  id: string;
  receiver: string;
  /** This route's own matchers; its ancestors' were checked before reaching it. */
  matchers: Matcher[];
  matches: (labels: Labels) => boolean;
  continue: boolean;
  /** "all" for Alertmanager's `groupBy: ["..."]`. */
  groupBy: readonly string[] | "all";
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  sendResolved: boolean;
  muteTimeIntervals: readonly string[];
  activeTimeIntervals: readonly string[];
  routes: RouteNode[];
}

export interface CompiledInhibitRule {
  sourceMatchers: readonly Matcher[];
  targetMatchers: readonly Matcher[];
  source: (labels: Labels) => boolean;
  target: (labels: Labels) => boolean;
  equal: string[];
}

export interface Receiver {
  name: string;
  description?: string;
  policy?: string;
  slack?: { channel: string };
  webhook?: { url: string };
  email?: { to: string[] };
}

export interface Routing {
  version: number;
  root: RouteNode;
  receivers: Receiver[];
  /** Raw entries, validated by the time-interval schema. */
  timeIntervals: unknown[];
  inhibitRules: CompiledInhibitRule[];
}

/** Settings of the root route when the file leaves them out. */
export const ROOT_ROUTE_DEFAULTS = {
  groupBy: ["alertname"],
  groupWaitMs: 30_000,
  groupIntervalMs: 5 * 60_000,
  repeatIntervalMs: 4 * 3_600_000,
  sendResolved: true,
} as const;

type Inherited = Pick<RouteNode, "receiver" | "groupBy" | "groupWaitMs" | "groupIntervalMs" | "repeatIntervalMs" | "sendResolved">;

/** Build the routing tree from the parsed root route, filling defaults at the root and inheritance below it. */
export function resolveRouteTree(root: RootRouteConfig): RouteNode {
  const defaults: Inherited = { ...ROOT_ROUTE_DEFAULTS, receiver: root.receiver };
  return resolveNode(root, "root", defaults, true);
}

function resolveNode(config: RootRouteConfig | ChildRouteConfig, id: string, parent: Inherited, isRoot: boolean): RouteNode {
  const matchers = config.matchers ?? [];
  const node: RouteNode = {
    id,
    receiver: config.receiver ?? parent.receiver,
    matchers,
    matches: compileMatchers(matchers),
    continue: isRoot ? false : (config.continue ?? false),
    groupBy: config.groupBy === undefined ? parent.groupBy : config.groupBy.includes(GROUP_BY_ALL) ? "all" : config.groupBy,
    groupWaitMs: config.groupWait ?? parent.groupWaitMs,
    groupIntervalMs: config.groupInterval ?? parent.groupIntervalMs,
    repeatIntervalMs: config.repeatInterval ?? parent.repeatIntervalMs,
    sendResolved: config.sendResolved ?? parent.sendResolved,
    muteTimeIntervals: config.muteTimeIntervals ?? [],
    activeTimeIntervals: config.activeTimeIntervals ?? [],
    routes: [],
  };
  node.routes = (config.routes ?? []).map((child, i) => resolveNode(child, `${id}.${i}`, node, false));
  return node;
}

/**
 * The routes an alert is delivered through, in Alertmanager's order: depth-first; a matching route descends into
 * its children, where the first match wins unless it has `continue`; a route none of whose children match is
 * itself the result. The root matches every alert.
 */
export function matchRoutes(root: RouteNode, labels: Labels): RouteNode[] {
  return matchBelow(root, labels);
}

function matchBelow(node: RouteNode, labels: Labels): RouteNode[] {
  const found: RouteNode[] = [];
  for (const child of node.routes) {
    if (!child.matches(labels)) continue;
    found.push(...matchBelow(child, labels));
    if (!child.continue) break;
  }
  return found.length > 0 ? found : [node];
}

const byCodeUnit = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The aggregation group an alert joins on a route: the groupBy labels the alert has (an empty value counts as
 * missing, as in matching), and a key unique to the route and those labels.
 */
export function groupKey(route: RouteNode, labels: Labels): { key: string; labels: Record<string, string> } {
  const names = route.groupBy === "all" ? Object.keys(labels) : route.groupBy;
  const entries = [...new Set(names)]
    .sort(byCodeUnit)
    .map((name) => [name, labelValue(labels, name)] as const)
    .filter(([, value]) => value !== "");
  const rendered = entries.map(([name, value]) => `${name}=${JSON.stringify(value)}`).join(",");
  // fromEntries defines own properties, so a label named "__proto__" stays a label.
  return { key: `${route.id}:{${rendered}}`, labels: Object.fromEntries(entries) };
}

export function compileInhibitRule(rule: InhibitRuleConfig): CompiledInhibitRule {
  return {
    sourceMatchers: rule.sourceMatchers,
    targetMatchers: rule.targetMatchers,
    source: compileMatchers(rule.sourceMatchers),
    target: compileMatchers(rule.targetMatchers),
    equal: [...rule.equal],
  };
}

/** Whether a firing `source` alert mutes `target` under this rule; `equal` labels missing on both count as equal. */
export function inhibits(rule: CompiledInhibitRule, source: Labels, target: Labels): boolean {
  return (
    rule.source(source) && rule.target(target) && rule.equal.every((name) => labelValue(source, name) === labelValue(target, name))
  );
}

/** The routing used when there is no routes file: every alert goes to receiver "default", with the root defaults. */
export const DEFAULT_ROUTING: Routing = {
  version: 0,
  root: resolveRouteTree({ receiver: "default" }),
  receivers: [{ name: "default" }],
  timeIntervals: [],
  inhibitRules: [],
};
