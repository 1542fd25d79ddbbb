import type { ValidationIssue } from "../core/errors.js";
import { formatDuration } from "../core/duration.js";
import { parseJsonText, zodIssues } from "../rules/loader.js";
import { findContradiction, formatMatcher, impliesMatcher } from "./matchers.js";
import type { Matcher } from "./model.js";
import { compileInhibitRule, resolveRouteTree, type RouteNode, type Routing } from "./routing.js";
import { routingFileSchema, type ChildRouteConfig, type RootRouteConfig, type RoutingFile } from "./routes.schema.js";

/** Where the routing file lives inside the rules directory. */
export const ROUTING_FILE = "routes/routes.json";

export interface RoutingParseResult {
  /** Present only when there are no issues: a half-valid routing tree would misdeliver alerts. */
  routing?: Routing;
  issues: ValidationIssue[];
  /** Legal but probably not what was meant; they do not block loading. */
  warnings: ValidationIssue[];
}

/** Validate the routing file's text and build the routing tree. Pure: no I/O. */
export function parseRoutingFile(file: string, text: string): RoutingParseResult {
  const json = parseJsonText(file, text);
  if ("issue" in json) return { issues: [json.issue], warnings: [] };
  const parsed = routingFileSchema.safeParse(json.value);
  if (!parsed.success) return { issues: zodIssues(file, parsed.error), warnings: [] };

  const config = parsed.data;
  const root = resolveRouteTree(config.route);
  const checks = new RoutingChecks(file, config);
  checks.receivers();
  checks.route(root, config.route, [], "route");
  checks.inhibitRules();
  checks.unusedReceivers(root);
  const { issues, warnings } = checks;
  if (issues.length > 0) return { issues, warnings };
  const routing: Routing = {
    version: config.version,
    root,
    receivers: config.receivers.map((r) => ({
      name: r.name,
      ...(r.description === undefined ? {} : { description: r.description }),
      ...(r.policy === undefined ? {} : { policy: r.policy }),
      ...(r.slack === undefined ? {} : { slack: r.slack }),
      ...(r.webhook === undefined ? {} : { webhook: r.webhook }),
      ...(r.email === undefined ? {} : { email: r.email }),
    })),
    timeIntervals: config.timeIntervals,
    inhibitRules: config.inhibitRules.map(compileInhibitRule),
  };
  return { routing, issues, warnings };
}

/** The JSON path of a route from its id: "root.0.1" → "route.routes[0].routes[1]". */
export function routeJsonPath(id: string): string {
  return id
    .split(".")
    .slice(1)
    .reduce((path, index) => `${path}.routes[${index}]`, "route");
}

type RouteConfig = RootRouteConfig | ChildRouteConfig;

const list = (ms: readonly Matcher[]): string => ms.map(formatMatcher).join(", ");
const known = (names: Iterable<string>, what: string): string => {
  const all = [...names];
  return all.length === 0 ? `no ${what} are declared` : `declared: ${all.join(", ")}`;
};

/** Cross-references and matcher analysis, run on a schema-valid file. */
class RoutingChecks {
  readonly issues: ValidationIssue[] = [];
  readonly warnings: ValidationIssue[] = [];
  private readonly receiverNames = new Set<string>();
  private readonly intervalNames = new Set<string>();

  constructor(
    private readonly file: string,
    private readonly config: RoutingFile,
  ) {
    for (const entry of config.timeIntervals) {
      // Only the name is read here; the entry's shape is the time-interval schema's business.
      if (typeof entry === "object" && entry !== null && "name" in entry && typeof entry.name === "string") this.intervalNames.add(entry.name);
    }
  }

  private issue(path: string, message: string): void {
    this.issues.push({ file: this.file, path, message });
  }

  private warning(path: string, message: string): void {
    this.warnings.push({ file: this.file, path, message });
  }

  receivers(): void {
    const firstIndex = new Map<string, number>();
    this.config.receivers.forEach((receiver, i) => {
      const first = firstIndex.get(receiver.name);
      if (first === undefined) firstIndex.set(receiver.name, i);
      else this.issue(`receivers[${i}].name`, `duplicate receiver "${receiver.name}" (first declared at receivers[${first}])`);
      this.receiverNames.add(receiver.name);
    });
  }

  /**
   * Check one route and its subtree. `inherited` are the matchers of its ancestors: an alert only reaches this route
   * after matching them, which both sharpens the analysis and explains conflicts with a parent. Below a route that
   * can never match, only references are checked: reporting every descendant would bury the cause.
   */
  route(node: RouteNode, config: RouteConfig, inherited: readonly Matcher[], path: string, analyse = true): void {
    this.references(node, config, path);
    const children = config.routes ?? [];
    const effective = [...inherited, ...node.matchers];
    const conflict = analyse ? findContradiction(effective) : undefined;
    if (conflict) {
      const fromAncestors = conflict.matchers.filter((m) => inherited.includes(m));
      const context = fromAncestors.length > 0 ? ` together with the parent routes' ${list(fromAncestors)}` : "";
      this.issue(
        `${path}.matchers`,
        `this route can never match: its matchers on "${conflict.name}" contradict each other (${list(conflict.matchers)}${context})`,
      );
    }
    if (!analyse || conflict) {
      node.routes.forEach((child, j) => this.route(child, children[j] as RouteConfig, [], `${path}.routes[${j}]`, false));
      return;
    }
    node.routes.forEach((child, j) => {
      const childPath = `${path}.routes[${j}]`;
      const shadow = this.shadowingSibling(node.routes, j, effective);
      if (shadow >= 0) {
        const sibling = node.routes[shadow] as RouteNode;
        const what = sibling.matchers.length === 0 ? "has no matchers" : `has matchers ${list(sibling.matchers)}`;
        this.issue(
          childPath,
          `this route can never be reached: the earlier sibling ${path}.routes[${shadow}] ${what}, so it matches every alert this route ` +
            'matches, and it has no "continue": true',
        );
      }
      this.route(child, children[j] as RouteConfig, effective, childPath);
    });
  }

  /** Receivers and time intervals named on the route itself (inherited values were checked where they were set). */
  private references(node: RouteNode, config: RouteConfig, path: string): void {
    if (config.receiver !== undefined && !this.receiverNames.has(config.receiver)) {
      this.issue(`${path}.receiver`, `unknown receiver "${config.receiver}" (${known(this.receiverNames, "receivers")})`);
    }
    for (const field of ["muteTimeIntervals", "activeTimeIntervals"] as const) {
      node[field].forEach((name, i) => {
        if (!this.intervalNames.has(name)) {
          this.issue(`${path}.${field}[${i}]`, `unknown time interval "${name}" (${known(this.intervalNames, "timeIntervals")})`);
        }
      });
    }
    if (node.repeatIntervalMs < node.groupIntervalMs && (config.repeatInterval !== undefined || config.groupInterval !== undefined)) {
      this.warning(
        path,
        `repeatInterval ${formatDuration(node.repeatIntervalMs)} is shorter than groupInterval ${formatDuration(node.groupIntervalMs)}: ` +
          "a group is re-notified at most once per groupInterval",
      );
    }
  }

  /**
   * Index of the first earlier sibling without `continue` that matches every alert sibling `j` matches, or -1.
   * `parentEffective` holds the matchers every alert reaching these siblings satisfies.
   */
  private shadowingSibling(siblings: readonly RouteNode[], j: number, parentEffective: readonly Matcher[]): number {
    const effective = [...parentEffective, ...(siblings[j] as RouteNode).matchers];
    // A route that can never match is reported as such, not as shadowed.
    if (findContradiction(effective)) return -1;
    for (let i = 0; i < j; i++) {
      const sibling = siblings[i] as RouteNode;
      if (sibling.continue) continue;
      // A sibling that can never match shadows nothing.
      if (findContradiction([...parentEffective, ...sibling.matchers])) continue;
      if (sibling.matchers.every((m) => impliesMatcher(effective, m))) return i;
    }
    return -1;
  }

  inhibitRules(): void {
    this.config.inhibitRules.forEach((rule, i) => {
      if (rule.equal.length === 0) {
        this.warning(
          `inhibitRules[${i}].equal`,
          "no equal labels: any alert matching sourceMatchers mutes every alert matching targetMatchers, whatever their other labels",
        );
      }
      const source = findContradiction(rule.sourceMatchers);
      if (source) this.issue(`inhibitRules[${i}].sourceMatchers`, `these matchers on "${source.name}" contradict each other (${list(source.matchers)}): the rule never applies`);
      const target = findContradiction(rule.targetMatchers);
      if (target) this.issue(`inhibitRules[${i}].targetMatchers`, `these matchers on "${target.name}" contradict each other (${list(target.matchers)}): the rule never applies`);
    });
  }

  unusedReceivers(root: RouteNode): void {
    const used = new Set<string>();
    const visit = (node: RouteNode): void => {
      used.add(node.receiver);
      node.routes.forEach(visit);
    };
    visit(root);
    this.config.receivers.forEach((receiver, i) => {
      if (!used.has(receiver.name)) this.warning(`receivers[${i}]`, `receiver "${receiver.name}" is declared but no route sends to it`);
    });
  }
}
