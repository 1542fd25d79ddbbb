import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { findRoutes, labelsForRoute } from "../../src/alerts/route-labels.js";
import { matchRoutes, resolveRouteTree } from "../../src/alerts/routing.js";
import { loadRouting } from "../../src/rules/routing-loader.js";
import { rootRouteSchema } from "../../src/alerts/routes.schema.js";

const base = { alertname: "KlaxonDrill", severity: "critical", drill: "t1" };

describe("labels that reach a route (klaxon drill --route)", () => {
  test("each receiver of the shipped routing is reached by the labels derived from its matchers", async () => {
    const loaded = await loadRouting("rules");
    assert.ok(loaded.loaded, "shipped routing loads");
    const root = loaded.loaded.routing.root;
    for (const receiver of ["ops-oncall", "api-oncall", "api-tickets"]) {
      const [target] = findRoutes(root, receiver);
      assert.ok(target, receiver);
      const labels = labelsForRoute(root, target, base);
      assert.ok(labels, `labels for ${receiver}`);
      assert.ok(matchRoutes(root, labels).some((r) => r.receiver === receiver), `${JSON.stringify(labels)} reaches ${receiver}`);
      assert.equal(labels.drill, "t1", "the drill label survives");
    }
    assert.deepEqual(findRoutes(root, "no-such-route"), []);
  });

  test("a regex with operators, or an earlier sibling that catches the alert first, gives no labels", () => {
    const root = resolveRouteTree(
      rootRouteSchema.parse({
        receiver: "default",
        routes: [
          { matchers: ['service=~"api.*"'], receiver: "regex" },
          { matchers: ['team="db"'], receiver: "first" },
          { matchers: ['team="db"', 'env="prod"'], receiver: "shadowed" },
        ],
      }),
    );
    const [regex] = findRoutes(root, "regex");
    const [shadowed] = findRoutes(root, "shadowed");
    assert.equal(labelsForRoute(root, regex as NonNullable<typeof regex>, base), undefined);
    assert.equal(labelsForRoute(root, shadowed as NonNullable<typeof shadowed>, base), undefined);
    const [first] = findRoutes(root, "first");
    assert.deepEqual(labelsForRoute(root, first as NonNullable<typeof first>, base), { ...base, team: "db" });
  });
});
