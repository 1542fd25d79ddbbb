import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Readiness } from "../../src/app/readiness.js";
import { healthRoutes } from "../../src/http/health-routes.js";
import type { HttpRequestContext } from "../../src/http/server.js";

/** A readiness whose engine state the test sets, connected to NATS. */
function fixture(): { readiness: Readiness; state: { roles: string[]; stopping: boolean } } {
  const state = { roles: [] as string[], stopping: false };
  const readiness = new Readiness({ heldRoles: () => state.roles, rules: () => ({ count: 3, hash: "ab".repeat(32) }), stopping: () => state.stopping });
  readiness.connectionStatus("connected");
  return { readiness, state };
}

describe("readiness", () => {
  test("not ready until the replica joined the cluster; a standby replica holding no role is ready", () => {
    const { readiness } = fixture();
    assert.deepEqual(readiness.report().reasons, [
      "rules: 3 rules (hash abababababab) read, not in use yet: the replica has not joined the cluster",
      "consumers: not bound: the replica has not joined the cluster",
    ]);
    readiness.markJoined();
    const report = readiness.report();
    assert.equal(report.ready, true);
    assert.equal(report.checks.consumers.detail, "no role held here (standby replica)");
  });

  test("a held role whose stage has not started yet (recovering) keeps the replica not ready", () => {
    const { readiness, state } = fixture();
    readiness.markJoined();
    state.roles = ["coordinator", "evaluate-p0"];
    readiness.roleStarted("coordinator");
    assert.deepEqual(readiness.report().reasons, [
      "rules: 3 rules (hash abababababab) read; still recovering state for evaluate-p0",
      "consumers: evaluate-p0 starting",
    ]);
    readiness.roleStarted("evaluate-p0");
    assert.equal(readiness.report().ready, true);
    assert.equal(readiness.report().checks.consumers.detail, "bound for coordinator, evaluate-p0");
  });

  test("a durable consumer deleted on the server makes it not ready until it is back", () => {
    const { readiness } = fixture();
    readiness.markJoined();
    readiness.consumerPresent("KLAXON_EVENTS/klaxon-evaluate", false, "consumer not found");
    assert.deepEqual(readiness.report().reasons, ["consumers: KLAXON_EVENTS/klaxon-evaluate missing on the server (consumer not found)"]);
    readiness.consumerPresent("KLAXON_EVENTS/klaxon-evaluate", true);
    assert.equal(readiness.report().ready, true);
  });

  test("a stopping engine is not ready, and /healthz says it is stopping", async () => {
    const { readiness, state } = fixture();
    readiness.markJoined();
    state.stopping = true;
    assert.deepEqual(readiness.report().reasons, ["engine: stopping"]);
    const [healthz, readyz] = healthRoutes({ instance: "r1", alive: () => !state.stopping, readiness: () => readiness.report() });
    const context = {} as HttpRequestContext;
    assert.deepEqual(await healthz?.handle(context), { status: 503, body: { status: "stopping", instance: "r1" } });
    assert.equal((await readyz?.handle(context))?.status, 503);
  });
});
