import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { desiredOwner, planRoles, RevisionLiveness } from "../../src/cluster/assignment.js";

const roles = ["coordinator", ...Array.from({ length: 12 }, (_, i) => `evaluate-p${i}`)];

describe("role assignment", () => {
  test("every member computes the same owner, whatever the order it lists members in", () => {
    for (const role of roles) assert.equal(desiredOwner(role, ["a", "b", "c"]), desiredOwner(role, ["c", "a", "b"]));
    assert.equal(desiredOwner("coordinator", []), undefined);
  });

  test("a member leaving moves only the roles it held; the others stay where they were", () => {
    const before = new Map(roles.map((r) => [r, desiredOwner(r, ["a", "b", "c"])]));
    const after = new Map(roles.map((r) => [r, desiredOwner(r, ["a", "c"])]));
    for (const role of roles) {
      if (before.get(role) === "b") assert.notEqual(after.get(role), "b");
      else assert.equal(after.get(role), before.get(role), `${role} moved although its owner stayed`);
    }
    assert.ok([...before.values()].includes("b"), "b held something to lose");
  });

  test("a member acquires what it should hold when it is free or its holder is dead, and hands over the rest", () => {
    const live = ["a", "b"];
    const mineIfLive = roles.filter((r) => desiredOwner(r, live) === "a");
    const theirs = roles.filter((r) => desiredOwner(r, live) === "b");
    const free = planRoles("a", live, roles.map((role) => ({ role, owner: undefined, stale: false })));
    assert.deepEqual(free.map((a) => a.role).sort(), [...mineIfLive].sort());
    assert.ok(free.every((a) => a.action === "acquire" && !a.takeover));

    // "a" holds everything (it was alone); "b" joined: "a" keeps its own and releases b's.
    const heldByA = planRoles("a", live, roles.map((role) => ({ role, owner: "a", stale: false })));
    assert.deepEqual(heldByA.filter((a) => a.action === "release").map((a) => a.role).sort(), [...theirs].sort());
    assert.deepEqual(heldByA.filter((a) => a.action === "renew").map((a) => a.role).sort(), [...mineIfLive].sort());

    // A role held by a live "b" that "a" should hold is not grabbed: "b" hands it over first.
    const heldByB = planRoles("a", live, roles.map((role) => ({ role, owner: "b", stale: false })));
    assert.deepEqual(heldByB, []);

    // "c" died holding everything: each survivor takes over its share, marked as a takeover.
    const dead = roles.map((role) => ({ role, owner: "c", stale: true }));
    const a = planRoles("a", live, dead);
    const b = planRoles("b", live, dead);
    assert.equal(a.length + b.length, roles.length);
    assert.ok([...a, ...b].every((x) => x.action === "acquire" && x.takeover));
  });

  test("liveness is judged by revisions observed moving, not by anyone's clock", () => {
    const liveness = new RevisionLiveness();
    liveness.observe("member.b", 7, 1_000);
    assert.equal(liveness.isStale("member.b", 2_900, 2_000), false);
    liveness.observe("member.b", 7, 2_900); // same revision: no sign of life
    assert.equal(liveness.isStale("member.b", 3_000, 2_000), true);
    liveness.observe("member.b", 8, 3_100); // it wrote again
    assert.equal(liveness.isStale("member.b", 5_000, 2_000), false);
    assert.equal(liveness.isStale("member.unknown", 5_000, 2_000), false, "never seen is not judged");
    liveness.retain(new Set());
    assert.equal(liveness.isStale("member.b", 99_000, 2_000), false, "forgotten once its key is gone");
  });
});
