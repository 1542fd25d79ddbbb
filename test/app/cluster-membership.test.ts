import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ClusterMembership, type RoleRunner } from "../../src/app/cluster-membership.js";
import { createMetrics } from "../../src/app/metrics.js";
import { silentLogger } from "../../src/core/logger.js";
import { KvClusterStore } from "../../src/store/jetstream/cluster-store.js";
import { client, useNatsServer } from "../support/engine.js";

describe("cluster membership on a real nats-server", () => {
  const nats = useNatsServer();

  test("a role that fails to start half-way is stopped, not only released: nothing of it keeps running", async () => {
    const { nc } = await client(nats.current.url);
    const store = await KvClusterStore.open(nc, "membership-test");
    // The coordinator starts several stages in turn; here the second one fails.
    const running = new Set<string>();
    const calls: string[] = [];
    const runner: RoleRunner = {
      async start(role) {
        calls.push(`start ${role}`);
        running.add(`${role}/first stage`);
        throw new Error("the second stage could not start");
      },
      async stop(role, graceful) {
        calls.push(`stop ${role} ${graceful ? "graceful" : "at once"}`);
        for (const stage of [...running]) if (stage.startsWith(`${role}/`)) running.delete(stage);
      },
    };
    const membership = new ClusterMembership({ store, instanceId: "r1", roles: ["coordinator"], leaseMs: 60_000, renewMs: 60_000, runner, logger: silentLogger, metrics: createMetrics(), recordAudit: async () => undefined });
    try {
      await membership.start();
      assert.deepEqual(calls, ["start coordinator", "stop coordinator at once"]);
      assert.deepEqual([...running], [], "the stage that had started was stopped");
      assert.deepEqual(membership.roles(), [], "and the role is not held");
      assert.equal((await store.leases()).get("coordinator"), undefined, "its lease is given back for another replica");
    } finally {
      membership.halt();
      await nc.close();
    }
  });
});
