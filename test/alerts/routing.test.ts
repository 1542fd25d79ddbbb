import { test, describe } from "node:test";
import assert from "node:assert/strict";
import type { Labels } from "../../src/alerts/model.js";
import { parseRoutingFile, routeJsonPath, ROUTING_FILE } from "../../src/alerts/routes-loader.js";
import {
  DEFAULT_ROUTING,
  ROOT_ROUTE_DEFAULTS,
  groupKey,
  inhibits,
  matchRoutes,
  resolveRouteTree,
  type RouteNode,
  type Routing,
} from "../../src/alerts/routing.js";
import { rootRouteSchema } from "../../src/alerts/routes.schema.js";

type Json = Record<string, unknown>;

const FILE = "rules/routes/routes.json";

/** A routing file around `route`, declaring every receiver named in `receivers`. */
function file(route: Json, extra: Json = {}, receivers = ["ops", "api", "web", "db", "pager"]): Json {
  return { version: 1, route: { receiver: "ops", ...route }, receivers: receivers.map((name) => ({ name })), ...extra };
}

function parse(value: unknown) {
  const result = parseRoutingFile(FILE, typeof value === "string" ? value : JSON.stringify(value));
  for (const issue of [...result.issues, ...result.warnings]) assert.equal(issue.file, FILE);
  return result;
}

/** A routing that must be valid. */
function routing(route: Json, extra: Json = {}): Routing {
  const result = parse(file(route, extra));
  assert.deepEqual(result.issues, []);
  assert.ok(result.routing);
  return result.routing;
}

/** The issues of an invalid file, as "path: message". */
function issuesOf(value: unknown): string[] {
  const result = parse(value);
  assert.equal(result.routing, undefined);
  return result.issues.map((i) => `${i.path}: ${i.message}`);
}

function warningsOf(value: unknown): string[] {
  return parse(value).warnings.map((i) => `${i.path}: ${i.message}`);
}

const matched = (root: RouteNode, labels: Labels): string[] => matchRoutes(root, labels).map((r) => `${r.id}→${r.receiver}`);

/** The example of the routing-file documentation. */
const EXAMPLE = {
  version: 3,
  route: {
    receiver: "ops-default",
    groupBy: ["alertname", "service"],
    groupWait: "30s",
    groupInterval: "5m",
    repeatInterval: "4h",
    sendResolved: true,
    routes: [
      {
        matchers: ['severity="critical"', 'team=~"api|web"'],
        receiver: "api-pager",
        continue: true,
        muteTimeIntervals: ["weekend-maintenance"],
        activeTimeIntervals: [],
        groupBy: ["..."],
        routes: [{ matchers: ['service="checkout"'], receiver: "checkout-pager", groupWait: "10s" }],
      },
      { matchers: ['team="db"'], receiver: "db-team", sendResolved: false, repeatInterval: "1h" },
    ],
  },
  receivers: [
    { name: "ops-default", description: "Ops channel" },
    { name: "api-pager" },
    { name: "checkout-pager" },
    { name: "db-team" },
  ],
  timeIntervals: [{ name: "weekend-maintenance", weekdays: ["saturday", "sunday"] }],
  inhibitRules: [{ sourceMatchers: ['alertname="datacenter-down"'], targetMatchers: ['severity=~"warning|critical"'], equal: ["datacenter"] }],
};

describe("parseRoutingFile: a valid file", () => {
  test("the documented example loads with every setting resolved", () => {
    const result = parse(EXAMPLE);
    assert.deepEqual(result.issues, []);
    assert.deepEqual(result.warnings, []);
    const r = result.routing;
    assert.ok(r);
    assert.equal(r.version, 3);
    assert.deepEqual(r.receivers, EXAMPLE.receivers);
    assert.deepEqual(r.timeIntervals, EXAMPLE.timeIntervals);
    assert.equal(r.root.id, "root");
    assert.equal(r.root.receiver, "ops-default");
    assert.deepEqual(r.root.groupBy, ["alertname", "service"]);
    assert.equal(r.root.repeatIntervalMs, 4 * 3_600_000);

    const [api, db] = r.root.routes;
    assert.ok(api && db);
    assert.equal(api.id, "root.0");
    assert.deepEqual(api.matchers, [
      { name: "severity", op: "=", value: "critical" },
      { name: "team", op: "=~", value: "api|web" },
    ]);
    assert.equal(api.continue, true);
    assert.equal(api.groupBy, "all");
    assert.deepEqual(api.muteTimeIntervals, ["weekend-maintenance"]);

    const checkout = api.routes[0];
    assert.ok(checkout);
    assert.equal(checkout.id, "root.0.0");
    assert.equal(checkout.receiver, "checkout-pager");
    assert.equal(checkout.groupBy, "all");
    assert.equal(checkout.groupWaitMs, 10_000);
    assert.equal(checkout.groupIntervalMs, 5 * 60_000);
    assert.deepEqual(checkout.muteTimeIntervals, [], "time intervals are not inherited");

    assert.equal(db.sendResolved, false);
    assert.equal(db.repeatIntervalMs, 3_600_000);
    assert.deepEqual(db.groupBy, ["alertname", "service"]);

    assert.equal(r.inhibitRules.length, 1);
    const rule = r.inhibitRules[0];
    assert.ok(rule);
    assert.deepEqual(rule.equal, ["datacenter"]);
    assert.ok(rule.source({ alertname: "datacenter-down" }));
    assert.ok(rule.target({ severity: "critical" }));
    assert.ok(!rule.target({ severity: "info" }));
    assert.ok(inhibits(rule, { alertname: "datacenter-down", datacenter: "fra" }, { severity: "warning", datacenter: "fra" }));
    assert.ok(!inhibits(rule, { alertname: "datacenter-down", datacenter: "fra" }, { severity: "warning", datacenter: "ams" }));
    assert.ok(!inhibits(rule, { alertname: "datacenter-down", datacenter: "fra" }, { severity: "warning" }));
    assert.ok(inhibits(rule, { alertname: "datacenter-down" }, { severity: "warning" }), "missing on both sides counts as equal");
  });

  test("optional sections default to empty", () => {
    const r = routing({});
    assert.deepEqual(r.timeIntervals, []);
    assert.deepEqual(r.inhibitRules, []);
    assert.deepEqual(r.root.routes, []);
  });

  test("routes file location", () => {
    assert.equal(ROUTING_FILE, "routes/routes.json");
    assert.equal(routeJsonPath("root"), "route");
    assert.equal(routeJsonPath("root.2.0.11"), "route.routes[2].routes[0].routes[11]");
  });
});

describe("resolveRouteTree: defaults and inheritance", () => {
  test("root defaults: groupBy alertname, 30s / 5m / 4h, sendResolved", () => {
    const root = resolveRouteTree(rootRouteSchema.parse({ receiver: "ops" }));
    assert.equal(root.id, "root");
    assert.equal(root.receiver, "ops");
    assert.deepEqual(root.groupBy, ["alertname"]);
    assert.equal(root.groupWaitMs, 30_000);
    assert.equal(root.groupIntervalMs, 300_000);
    assert.equal(root.repeatIntervalMs, 14_400_000);
    assert.equal(root.sendResolved, true);
    assert.equal(root.continue, false);
    assert.deepEqual(root.matchers, []);
    assert.ok(root.matches({}));
  });

  test("children inherit what they leave out, through several levels, and override what they set", () => {
    const r = routing({
      groupBy: ["service"],
      groupWait: "1m",
      routes: [
        {
          matchers: ["team=api"],
          receiver: "api",
          groupInterval: "10m",
          sendResolved: false,
          muteTimeIntervals: ["nights"],
          activeTimeIntervals: ["office"],
          routes: [{ matchers: ["severity=critical"], repeatInterval: "30m", routes: [{ matchers: ["env=prod"], groupBy: ["..."] }] }],
        },
      ],
    }, { timeIntervals: [{ name: "nights" }, { name: "office" }] });
    const api = r.root.routes[0];
    const critical = api?.routes[0];
    const prod = critical?.routes[0];
    assert.ok(api && critical && prod);
    assert.deepEqual(
      [api, critical, prod].map((n) => [n.id, n.receiver, n.groupBy, n.groupWaitMs, n.groupIntervalMs, n.repeatIntervalMs, n.sendResolved]),
      [
        ["root.0", "api", ["service"], 60_000, 600_000, 14_400_000, false],
        ["root.0.0", "api", ["service"], 60_000, 600_000, 1_800_000, false],
        ["root.0.0.0", "api", "all", 60_000, 600_000, 1_800_000, false],
      ],
    );
    assert.deepEqual(api.muteTimeIntervals, ["nights"]);
    assert.deepEqual(api.activeTimeIntervals, ["office"]);
    assert.deepEqual(critical.muteTimeIntervals, []);
    assert.deepEqual(critical.activeTimeIntervals, []);
  });

  test("an explicit empty groupBy groups all of a route's alerts together", () => {
    const r = routing({ routes: [{ matchers: ["team=api"], groupBy: [] }] });
    const api = r.root.routes[0];
    assert.ok(api);
    assert.deepEqual(api.groupBy, []);
    assert.equal(groupKey(api, { alertname: "A", team: "api" }).key, groupKey(api, { alertname: "B", team: "api" }).key);
  });
});

describe("matchRoutes", () => {
  const tree = routing({
    routes: [
      { matchers: ['severity="critical"'], receiver: "pager", continue: true },
      {
        matchers: ['team="api"'],
        receiver: "api",
        routes: [
          { matchers: ['service="checkout"'], receiver: "pager" },
          { matchers: ['env="prod"'], receiver: "web", continue: true },
          { matchers: ['env=~"prod|staging"'], receiver: "db" },
        ],
      },
      { matchers: ['team=~"api|web"'], receiver: "web" },
      { matchers: ['team="db"'], receiver: "db", continue: true },
    ],
  }).root;

  test("nothing matches a child: the root itself", () => {
    assert.deepEqual(matched(tree, {}), ["root→ops"]);
    assert.deepEqual(matched(tree, { team: "mobile" }), ["root→ops"]);
  });

  test("the first matching child wins", () => {
    assert.deepEqual(matched(tree, { team: "web" }), ["root.2→web"]);
    // team=api also matches root.2, but root.1 has no continue.
    assert.deepEqual(matched(tree, { team: "api" }), ["root.1→api"]);
  });

  test("continue: later siblings are tried too", () => {
    assert.deepEqual(matched(tree, { severity: "critical", team: "web" }), ["root.0→pager", "root.2→web"]);
    assert.deepEqual(matched(tree, { severity: "critical" }), ["root.0→pager"]);
  });

  test("a matching route descends; with no matching child it is the result itself", () => {
    assert.deepEqual(matched(tree, { team: "api", service: "checkout" }), ["root.1.0→pager"]);
    assert.deepEqual(matched(tree, { team: "api", service: "search" }), ["root.1→api"]);
  });

  test("continue inside a subtree, depth-first order", () => {
    assert.deepEqual(matched(tree, { team: "api", env: "prod" }), ["root.1.1→web", "root.1.2→db"]);
    assert.deepEqual(matched(tree, { team: "api", env: "staging" }), ["root.1.2→db"]);
    assert.deepEqual(matched(tree, { severity: "critical", team: "api", service: "checkout", env: "prod" }), [
      "root.0→pager",
      "root.1.0→pager",
    ]);
  });

  test("a last child with continue and no later match: just that child", () => {
    assert.deepEqual(matched(tree, { team: "db" }), ["root.3→db"]);
  });

  test("a missing label reads as empty in routing too", () => {
    const r = routing({ routes: [{ matchers: ['team!="api"'], receiver: "web" }] }).root;
    assert.deepEqual(matched(r, {}), ["root.0→web"]);
    assert.deepEqual(matched(r, { team: "api" }), ["root→ops"]);
  });
});

describe("groupKey", () => {
  const r = routing({ groupBy: ["alertname", "service"], routes: [{ matchers: ["team=api"], groupBy: ["..."] }] }).root;
  const all = r.routes[0];
  assert.ok(all);

  test("the groupBy labels, and a key with the route id", () => {
    const g = groupKey(r, { alertname: "HighLatency", service: "checkout", instance: "a:9090" });
    assert.deepEqual(g.labels, { alertname: "HighLatency", service: "checkout" });
    assert.equal(g.key, 'root:{alertname="HighLatency",service="checkout"}');
  });

  test("labels the alert lacks (or has empty) are left out", () => {
    assert.deepEqual(groupKey(r, { alertname: "HighLatency" }), { key: 'root:{alertname="HighLatency"}', labels: { alertname: "HighLatency" } });
    assert.deepEqual(groupKey(r, { alertname: "HighLatency", service: "" }).labels, { alertname: "HighLatency" });
    assert.deepEqual(groupKey(r, {}), { key: "root:{}", labels: {} });
  });

  test('"..." groups by every label, in a stable order', () => {
    const a = groupKey(all, { team: "api", alertname: "Down", instance: "x" });
    const b = groupKey(all, { instance: "x", alertname: "Down", team: "api" });
    assert.deepEqual(a, b);
    assert.equal(a.key, 'root.0:{alertname="Down",instance="x",team="api"}');
    assert.notEqual(a.key, groupKey(all, { team: "api", alertname: "Down", instance: "y" }).key);
  });

  test("the same labels on different routes are different groups", () => {
    const labels = { alertname: "Down", team: "api" };
    assert.notEqual(groupKey(r, labels).key, groupKey(all, labels).key);
  });

  test("values are quoted, so no two label sets share a key", () => {
    const tricky = groupKey(r, { alertname: 'a",service="b' });
    const plain = groupKey(r, { alertname: "a", service: "b" });
    assert.notEqual(tricky.key, plain.key);
    assert.equal(tricky.key, 'root:{alertname="a\\",service=\\"b"}');
  });

  test("a label named __proto__ stays a label", () => {
    const g = groupKey(all, { __proto__: "x" } as unknown as Labels);
    assert.equal(Object.getPrototypeOf(g.labels), Object.prototype);
  });
});

describe("DEFAULT_ROUTING", () => {
  test("every alert goes to receiver default, with the root defaults", () => {
    assert.equal(DEFAULT_ROUTING.version, 0);
    assert.deepEqual(DEFAULT_ROUTING.receivers, [{ name: "default" }]);
    assert.deepEqual(DEFAULT_ROUTING.inhibitRules, []);
    assert.deepEqual(DEFAULT_ROUTING.timeIntervals, []);
    const root = DEFAULT_ROUTING.root;
    assert.equal(root.receiver, "default");
    assert.deepEqual(root.groupBy, ROOT_ROUTE_DEFAULTS.groupBy);
    assert.deepEqual([root.groupWaitMs, root.groupIntervalMs, root.repeatIntervalMs, root.sendResolved], [30_000, 300_000, 14_400_000, true]);
    assert.deepEqual(matchRoutes(root, { alertname: "Anything", team: "x" }), [root]);
    assert.equal(groupKey(root, { alertname: "Anything", team: "x" }).key, 'root:{alertname="Anything"}');
  });
});

describe("parseRoutingFile: schema errors", () => {
  test("invalid JSON names the line", () => {
    assert.deepEqual(issuesOf('{\n  "version": 1,\n}').length, 1);
    assert.match(issuesOf('{\n  "version": 1,\n}')[0] ?? "", /^: invalid JSON \(line 3, column 1\)/);
  });

  test("unknown keys are errors, at every level", () => {
    const issues = issuesOf(
      file({ recevier: "x", routes: [{ matchers: ["a=1"], routes: [{ group_by: ["a"] }] }] }, { extra: true, receivers: [{ name: "ops", emails: "x" }] }),
    );
    assert.deepEqual(issues.sort(), [
      ': Unrecognized key: "extra"',
      'receivers[0]: Unrecognized key: "emails"',
      'route.routes[0].routes[0]: Unrecognized key: "group_by"',
      'route: Unrecognized key: "recevier"',
    ]);
  });

  test("the root route takes no matchers, continue or time intervals, and needs a receiver", () => {
    const issues = issuesOf({ version: 1, route: { matchers: ["a=1"], continue: true, muteTimeIntervals: [], activeTimeIntervals: [] }, receivers: [] });
    assert.equal(issues.length, 5);
    assert.match(issues.find((i) => i.startsWith("route.receiver:")) ?? "", /route.receiver: /);
    assert.match(issues.find((i) => i.startsWith("route.matchers:")) ?? "", /the root route matches every alert/);
    assert.match(issues.find((i) => i.startsWith("route.continue:")) ?? "", /"continue" belongs on child routes/);
    assert.match(issues.find((i) => i.startsWith("route.muteTimeIntervals:")) ?? "", /child routes/);
    assert.match(issues.find((i) => i.startsWith("route.activeTimeIntervals:")) ?? "", /child routes/);
  });

  test("bad matchers, durations and groupBy name their path", () => {
    const issues = issuesOf(
      file({
        groupInterval: "0s",
        routes: [
          { matchers: ['team="api"', "team=~(", "9lives=x"] },
          { matchers: ["a=1"], groupWait: "soon", groupBy: ["alertname", "...", "alertname", "not-a-label"] },
        ],
      }),
    );
    assert.deepEqual(issues, [
      "route.groupInterval: duration must be greater than zero",
      'route.routes[0].matchers[1]: invalid matcher "team=~(": the regex does not compile: Invalid regular expression: /(/: Unterminated group',
      'route.routes[0].matchers[2]: invalid matcher "9lives=x": a matcher starts with a label name: letters, digits and _, not starting with a digit',
      'route.routes[1].groupBy[3]: label names are letters, digits and _, not starting with a digit (e.g. "service")',
      'route.routes[1].groupBy: "..." groups by every label already: it must be the only entry',
      'route.routes[1].groupBy[2]: duplicate label "alertname" in groupBy',
      'route.routes[1].groupWait: invalid duration "soon": use numbers with units ms, s, m, h, d, w (e.g. "5m", "1h30m")',
    ]);
  });

  test("inhibit rules need source and target matchers", () => {
    const issues = issuesOf(file({}, { inhibitRules: [{ sourceMatchers: [], targetMatchers: ["a=1"] }, { sourceMatchers: ["a=1"] }] }));
    assert.equal(issues.length, 2);
    assert.match(issues[0] ?? "", /^inhibitRules\[0\]\.sourceMatchers: sourceMatchers must name at least one matcher/);
    assert.match(issues[1] ?? "", /^inhibitRules\[1\]\.targetMatchers: /);
  });

  test("version is a positive integer", () => {
    assert.match(issuesOf({ ...file({}), version: 0 })[0] ?? "", /^version: /);
    assert.match(issuesOf({ ...file({}), version: "3" })[0] ?? "", /^version: /);
  });
});

describe("parseRoutingFile: cross-checks", () => {
  test("a route naming an undeclared receiver", () => {
    const issues = issuesOf(file({ routes: [{ matchers: ["a=1"] }, { matchers: ["a=2"], receiver: "nobody", routes: [{ matchers: ["b=1"], receiver: "ghost" }] }] }, {}, ["ops", "api"]));
    assert.deepEqual(issues, [
      'route.routes[1].receiver: unknown receiver "nobody" (declared: ops, api)',
      'route.routes[1].routes[0].receiver: unknown receiver "ghost" (declared: ops, api)',
    ]);
  });

  test("the root receiver must be declared too", () => {
    assert.deepEqual(issuesOf({ version: 1, route: { receiver: "ops" }, receivers: [] }), ['route.receiver: unknown receiver "ops" (no receivers are declared)']);
  });

  test("a duplicate receiver name", () => {
    assert.deepEqual(issuesOf(file({}, {}, ["ops", "api", "ops"])), ['receivers[2].name: duplicate receiver "ops" (first declared at receivers[0])']);
  });

  test("time intervals must be declared; only their names are read", () => {
    const issues = issuesOf(
      file(
        { routes: [{ matchers: ["a=1"], muteTimeIntervals: ["weekends", "holidays"], routes: [{ matchers: ["b=1"], activeTimeIntervals: ["office-hours"] }] }] },
        { timeIntervals: [{ name: "weekends", anything: ["goes"] }, "not an object", { noName: true }] },
      ),
    );
    assert.deepEqual(issues, [
      'route.routes[0].muteTimeIntervals[1]: unknown time interval "holidays" (declared: weekends)',
      'route.routes[0].routes[0].activeTimeIntervals[0]: unknown time interval "office-hours" (declared: weekends)',
    ]);
    assert.deepEqual(issuesOf(file({ routes: [{ matchers: ["a=1"], muteTimeIntervals: ["x"] }] })), [
      'route.routes[0].muteTimeIntervals[0]: unknown time interval "x" (no timeIntervals are declared)',
    ]);
  });

  test("a route whose matchers contradict each other", () => {
    assert.deepEqual(issuesOf(file({ routes: [{ matchers: ['a="1"', 'a="2"'] }] })), [
      'route.routes[0].matchers: this route can never match: its matchers on "a" contradict each other (a="1", a="2")',
    ]);
    assert.deepEqual(issuesOf(file({ routes: [{ matchers: ['a="1"', 'b="x"', 'a!="1"'] }] })), [
      'route.routes[0].matchers: this route can never match: its matchers on "a" contradict each other (a="1", a!="1")',
    ]);
  });

  test("a child contradicting its parent's matchers, reported once for the subtree", () => {
    const issues = issuesOf(
      file({
        routes: [
          {
            matchers: ['team="api"'],
            routes: [{ matchers: ['team=~"web|db"'], routes: [{ matchers: ["x=1"], receiver: "ghost" }, { matchers: ["x=1"] }] }],
          },
        ],
      }),
    );
    assert.deepEqual(issues, [
      `route.routes[0].routes[0].matchers: this route can never match: its matchers on "team" contradict each other (team="api", team=~"web|db" together with the parent routes' team="api")`,
      'route.routes[0].routes[0].routes[0].receiver: unknown receiver "ghost" (declared: ops, api, web, db, pager)',
    ]);
  });

  test("contradictory inhibit rule matchers", () => {
    assert.deepEqual(issuesOf(file({}, { inhibitRules: [{ sourceMatchers: ["a=1", "a=2"], targetMatchers: ["b=1"], equal: ["x"] }] })), [
      'inhibitRules[0].sourceMatchers: these matchers on "a" contradict each other (a="1", a="2"): the rule never applies',
    ]);
  });

  test("an earlier sibling without matchers shadows every later one", () => {
    assert.deepEqual(issuesOf(file({ routes: [{ receiver: "api" }, { matchers: ["a=1"] }, { matchers: ["b=1"] }] })), [
      'route.routes[1]: this route can never be reached: the earlier sibling route.routes[0] has no matchers, so it matches every alert this route matches, and it has no "continue": true',
      'route.routes[2]: this route can never be reached: the earlier sibling route.routes[0] has no matchers, so it matches every alert this route matches, and it has no "continue": true',
    ]);
  });

  test("an earlier sibling with a subset of the matchers shadows the more specific route", () => {
    assert.deepEqual(
      issuesOf(
        file({
          routes: [
            { matchers: ['team="db"'] },
            { matchers: ['severity="critical"'], receiver: "pager" },
            { matchers: ['team="api"', 'severity="critical"'], receiver: "api" },
          ],
        }),
      ),
      [
        'route.routes[2]: this route can never be reached: the earlier sibling route.routes[1] has matchers severity="critical", so it matches every alert this route matches, and it has no "continue": true',
      ],
    );
  });

  test("shadowing through value sets and the parent's matchers", () => {
    assert.match(
      issuesOf(file({ routes: [{ matchers: ['severity=~"warning|critical"'] }, { matchers: ['severity="critical"', "team=api"] }] }))[0] ?? "",
      /^route\.routes\[1\]: this route can never be reached: the earlier sibling route\.routes\[0\] has matchers severity=~"warning\|critical"/,
    );
    assert.match(
      issuesOf(file({ routes: [{ matchers: ['severity=~"crit.*"'] }, { matchers: ['severity=~"critical|crit"', "team=api"] }] }))[0] ?? "",
      /^route\.routes\[1\]: this route can never be reached: the earlier sibling route\.routes\[0\] has matchers severity=~"crit\.\*"/,
    );
    // Every alert reaching these siblings is critical, so the first catches everything the second would.
    assert.match(
      issuesOf(
        file({ routes: [{ matchers: ['severity="critical"'], routes: [{ matchers: ['severity=~"critical|warning"'] }, { matchers: ["team=api"] }] }] }),
      )[0] ?? "",
      /^route\.routes\[0\]\.routes\[1\]: this route can never be reached: the earlier sibling route\.routes\[0\]\.routes\[0\]/,
    );
  });

  test("not shadowed: continue, a sibling that never matches, or a sibling that is narrower", () => {
    routing({ routes: [{ receiver: "api", continue: true }, { matchers: ["a=1"] }] });
    routing({ routes: [{ matchers: ['severity="critical"', "team=api"] }, { matchers: ['severity="critical"'] }] });
    routing({ routes: [{ matchers: ['severity=~"crit.*"'] }, { matchers: ['severity=~"warn.*"'] }] });
    routing({ routes: [{ matchers: ["a=1"] }, {}] });
    const issues = issuesOf(file({ routes: [{ matchers: ["a=1", "a=2"] }, { matchers: ["b=1"] }] }));
    assert.equal(issues.length, 1);
    assert.match(issues[0] ?? "", /^route\.routes\[0\]\.matchers: this route can never match/);
  });

  test("errors from several checks are all reported", () => {
    const issues = issuesOf(file({ receiver: "nope", routes: [{}, { matchers: ["a=1"], muteTimeIntervals: ["x"] }] }, {}, ["ops", "ops"]));
    assert.deepEqual(
      issues.map((i) => i.slice(0, i.indexOf(":"))),
      ["receivers[1].name", "route.receiver", "route.routes[1]", "route.routes[1].muteTimeIntervals[0]"],
    );
  });
});

describe("parseRoutingFile: warnings", () => {
  test("an inhibit rule without equal labels, an unused receiver, repeat shorter than group interval", () => {
    const result = parse(
      file(
        { routes: [{ matchers: ["team=api"], receiver: "api", groupInterval: "10m", repeatInterval: "5m" }] },
        { inhibitRules: [{ sourceMatchers: ["a=1"], targetMatchers: ["b=1"] }, { sourceMatchers: ["a=1"], targetMatchers: ["b=1"], equal: ["dc"] }] },
        ["ops", "api", "spare"],
      ),
    );
    assert.deepEqual(result.issues, []);
    assert.ok(result.routing, "warnings do not block loading");
    assert.deepEqual(result.routing.inhibitRules[0]?.equal, []);
    assert.deepEqual(
      result.warnings.map((w) => `${w.path}: ${w.message}`),
      [
        "route.routes[0]: repeatInterval 5m is shorter than groupInterval 10m: a group is re-notified at most once per groupInterval",
        "inhibitRules[0].equal: no equal labels: any alert matching sourceMatchers mutes every alert matching targetMatchers, whatever their other labels",
        'receivers[2]: receiver "spare" is declared but no route sends to it',
      ],
    );
  });

  test("a file with errors still reports its warnings", () => {
    assert.equal(warningsOf(file({ receiver: "nope" }, {}, ["ops"])).length, 1);
  });
});
