import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ClusterMembership, type RoleRunner } from "../../src/app/cluster-membership.js";
import { createMetrics } from "../../src/app/metrics.js";
import { silentLogger } from "../../src/core/logger.js";
import { KvClusterStore } from "../../src/store/jetstream/cluster-store.js";
import { desiredOwner } from "../../src/cluster/assignment.js";
import { client, useNatsServer } from "../support/engine.js";

/** A runner that only records what it was asked to start, as "<label>: <role>" (or the role alone). */
function recordingRunner(started: string[], label?: string): RoleRunner {
  return {
    async start(role) {
      started.push(label === undefined ? role : `${label}: ${role}`);
    },
    async stop() {},
  };
}

/** Memberships plan on real timers: wait (up to 5 s) until some role has started. */
async function untilStarted(started: readonly string[]): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (started.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
}

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

  test("holds() asks the store: true while the lease is ours (owner and run), false once another replica took it over or it is gone", async () => {
    const { nc } = await client(nats.current.url);
    const store = await KvClusterStore.open(nc, "membership-holds");
    const started: string[] = [];
    const membership = new ClusterMembership({ store, instanceId: "r1", roles: ["coordinator"], leaseMs: 60_000, renewMs: 60_000, runner: recordingRunner(started), logger: silentLogger, metrics: createMetrics(), recordAudit: async () => undefined });
    try {
      await membership.start();
      assert.deepEqual(started, ["coordinator"]);
      assert.equal(await membership.holds("coordinator"), true);
      assert.equal(await membership.holds("partition-0"), false, "a role it never held");
      // The same lease written again (a new revision, the same owner and run), as its own plan would keep it: still held.
      const own = (await store.leases()).get("coordinator");
      assert.ok(own, "the lease is stored");
      assert.notEqual(await store.takeOver("coordinator", own.value, own.revision), undefined);
      assert.equal(await membership.holds("coordinator"), true, "judged by owner and run, as its plan judges it");
      // Another replica presumed this one dead and took the role over; this one has not planned since.
      const lease = (await store.leases()).get("coordinator");
      assert.ok(lease, "the lease is stored");
      assert.notEqual(await store.takeOver("coordinator", { owner: "r2", incarnation: "other", acquiredAtMs: Date.now() }, lease.revision), undefined);
      assert.deepEqual(membership.roles(), ["coordinator"], "as far as its last plan knows, it still holds the role");
      assert.equal(await membership.holds("coordinator"), false, "the store says otherwise");
      const taken = (await store.leases()).get("coordinator");
      assert.ok(taken);
      assert.equal(await store.release("coordinator", lease.revision), false, "a release with a revision no longer current is refused");
      assert.equal(await store.release("coordinator", taken.revision), true, "the current holder's release goes through");
      assert.equal(await membership.holds("coordinator"), false, "nobody holds it");
    } finally {
      membership.halt();
      await nc.close();
    }
  });

  test("a lease whose write landed while its reply was lost (NATS restarting) is found ours and started, not left idle", async () => {
    const { nc } = await client(nats.current.url);
    const real = await KvClusterStore.open(nc, "membership-lost-reply");
    // The server stored the lease; the client heard nothing back within its timeout.
    let replies = 0;
    const store = new Proxy(real, {
      get(target, property, receiver) {
        if (property !== "acquire") return Reflect.get(target, property, receiver) as unknown;
        return async (...args: Parameters<KvClusterStore["acquire"]>) => {
          const revision = await target.acquire(...args);
          if (replies++ === 0) throw new Error("TIMEOUT: request timed out");
          return revision;
        };
      },
    });
    const started: string[] = [];
    const metrics = createMetrics();
    const membership = new ClusterMembership({ store, instanceId: "r1", roles: ["coordinator"], leaseMs: 1_000, renewMs: 100, runner: recordingRunner(started), logger: silentLogger, metrics, recordAudit: async () => undefined });
    try {
      await membership.start();
      assert.equal((await real.leases()).get("coordinator")?.value.owner, "r1", "the lease is r1's for everyone else");
      await untilStarted(started);
      assert.deepEqual(started, ["coordinator"], "so r1 runs it");
      assert.deepEqual(membership.roles(), ["coordinator"]);
      assert.match(await metrics.registry.metrics(), /klaxon_cluster_role_changes_total\{change="adopted"\} 1/);
    } finally {
      membership.halt();
      await nc.close();
    }
  });

  test("a role held by a replica's earlier run goes to its desired owner when that replica restarts without wanting it", async () => {
    const { nc } = await client(nats.current.url);
    const store = await KvClusterStore.open(nc, "membership-restarted");
    // "a" held the coordinator, was killed and comes back; rendezvous hashing gives the coordinator to "b".
    assert.equal(desiredOwner("coordinator", ["a", "b"]), "b");
    await store.heartbeat({ id: "a", incarnation: "a, before the restart", startedAtMs: Date.now(), roles: ["coordinator"] });
    await store.acquire("coordinator", { owner: "a", incarnation: "a, before the restart", acquiredAtMs: Date.now() });
    const started: string[] = [];
    const join = (id: string): ClusterMembership =>
      new ClusterMembership({ store, instanceId: id, roles: ["coordinator"], leaseMs: 1_000, renewMs: 100, runner: recordingRunner(started, id), logger: silentLogger, metrics: createMetrics(), recordAudit: async () => undefined });
    const [a, b] = [join("a"), join("b")];
    try {
      // b joins while a's heartbeat is still fresh, then a comes back (a new run): its heartbeat goes on moving.
      await b.start();
      await a.start();
      await untilStarted(started);
      assert.deepEqual(started, ["b: coordinator"], "b runs it; a's new run leaves it to b");
      assert.equal((await store.leases()).get("coordinator")?.value.owner, "b");
    } finally {
      a.halt();
      b.halt();
      await nc.close();
    }
  });

  test("a replica that stood still past its lease acts on nothing until a plan finds its lease still its own, or stops the role it lost", async () => {
    const { nc } = await client(nats.current.url);
    const store = await KvClusterStore.open(nc, "membership-fence");
    // Its monotonic clock jumps ahead as after a SIGSTOP: every timer is late and the others may have judged it dead.
    let jumpedMs = 0;
    const stops: Array<{ role: string; graceful: boolean; fenceOpen: boolean }> = [];
    const runner: RoleRunner = {
      async start() {},
      async stop(role, graceful) {
        stops.push({ role, graceful, fenceOpen: membership.fence.isOpen() });
      },
    };
    const membership: ClusterMembership = new ClusterMembership({
      store,
      instanceId: "r1",
      roles: ["partition-0", "partition-1"],
      leaseMs: 1_000,
      renewMs: 200,
      runner,
      logger: silentLogger,
      metrics: createMetrics(),
      recordAudit: async () => undefined,
      monotonicNow: () => performance.now() + jumpedMs,
    });
    const fence = membership.fence;
    const until = async (what: string, condition: () => boolean): Promise<void> => {
      const deadline = Date.now() + 5_000;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    try {
      await membership.start();
      assert.deepEqual(membership.roles(), ["partition-0", "partition-1"]);
      assert.ok(fence.isOpen(), "open while its heartbeats land");

      jumpedMs += 3_000;
      assert.ok(!fence.isOpen(), "closed the moment it goes on: a lease has passed without a heartbeat");
      await until("the fence open again after a plan found both leases its own", () => fence.isOpen());
      assert.deepEqual(membership.roles(), ["partition-0", "partition-1"]);
      assert.deepEqual(stops, []);

      // Again, and this time another replica took a partition over meanwhile.
      jumpedMs += 3_000;
      const lease = (await store.leases()).get("partition-1");
      assert.ok(lease);
      assert.ok((await store.takeOver("partition-1", { owner: "r2", incarnation: "x", acquiredAtMs: Date.now() }, lease.revision)) !== undefined);
      assert.ok(!fence.isOpen());
      await until("the lost partition stopped", () => stops.length > 0);
      assert.deepEqual(stops, [{ role: "partition-1", graceful: false, fenceOpen: false }], "stopped at once, the fence closed until then");
      // ("r2" sends no heartbeat here, so the partition comes back to r1 later, by a takeover of its own.)
      await until("the fence open again for the partition still its own", () => fence.isOpen());
      assert.ok(membership.roles().includes("partition-0"));
    } finally {
      membership.halt();
      await nc.close();
    }
  });
});
