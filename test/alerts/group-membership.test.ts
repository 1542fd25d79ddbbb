import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { GroupMembership } from "../../src/alerts/group-membership.js";

describe("GroupMembership", () => {
  test("an alert in one group, then two, then one again, then none", () => {
    const m = new GroupMembership();
    assert.equal(m.has("fp"), false);
    assert.equal(m.groupsOf("fp"), undefined);
    m.link("fp", "g1");
    m.link("fp", "g1");
    assert.deepEqual(m.groupsOf("fp"), ["g1"], "linking twice is linking once");
    assert.equal(m.includes("fp", "g1"), true);
    assert.equal(m.includes("fp", "g2"), false);
    m.link("fp", "g2");
    m.link("fp", "g2");
    assert.deepEqual(m.groupsOf("fp"), ["g1", "g2"], "in joining order, once each");
    assert.equal(m.includes("fp", "g2"), true);
    assert.equal(m.unlink("fp", "g1"), false, "still in g2");
    assert.deepEqual(m.groupsOf("fp"), ["g2"]);
    assert.equal(m.includes("fp", "g1"), false);
    m.link("fp", "g3");
    assert.deepEqual(m.groupsOf("fp"), ["g2", "g3"], "a third group after going back to one");
    assert.equal(m.unlink("fp", "g3"), false);
    assert.equal(m.unlink("fp", "g2"), true, "left its last group");
    assert.equal(m.has("fp"), false);
    assert.equal(m.groupsOf("fp"), undefined);
  });

  test("leaving a group it is not in changes nothing and is not its last", () => {
    const m = new GroupMembership();
    assert.equal(m.unlink("unknown", "g1"), false, "an alert in no group");
    m.link("fp", "g1");
    assert.equal(m.unlink("fp", "g2"), false);
    assert.deepEqual(m.groupsOf("fp"), ["g1"]);
    m.link("fp", "g2");
    assert.equal(m.unlink("fp", "g3"), false);
    assert.deepEqual(m.groupsOf("fp"), ["g1", "g2"]);
  });

  test("what groupsOf returns is a copy: changing it changes no membership", () => {
    const m = new GroupMembership();
    m.link("a", "g1");
    m.link("b", "g1");
    m.link("b", "g2");
    (m.groupsOf("a") as string[]).push("g9");
    (m.groupsOf("b") as string[]).length = 0;
    assert.deepEqual(m.groupsOf("a"), ["g1"]);
    assert.deepEqual(m.groupsOf("b"), ["g1", "g2"]);
  });
});
