import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { KeyedLanes, Lane } from "../../src/app/lane.js";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("Lane", () => {
  test("runs tasks one at a time, in order, a failure not stopping the next", async () => {
    const lane = new Lane();
    const log: string[] = [];
    const slow = lane.run(async () => {
      log.push("a start");
      await turn();
      log.push("a end");
    });
    const failing = lane.run(() => {
      log.push("b");
      throw new Error("b failed");
    });
    const last = lane.run(() => log.push("c"));
    await slow;
    await assert.rejects(failing, /b failed/);
    await last;
    assert.deepEqual(log, ["a start", "a end", "b", "c"]);
  });

  test("is idle only when nothing is queued or running", async () => {
    const lane = new Lane();
    assert.equal(lane.isIdle, true);
    let finish = (): void => undefined;
    const running = lane.run(() => new Promise<void>((resolve) => (finish = resolve)));
    assert.equal(lane.isIdle, false);
    await turn();
    finish();
    await running;
    await lane.idle();
    assert.equal(lane.isIdle, true);
  });

  test("a task held while it runs keeps later tasks waiting until it settles, even when it fails", async () => {
    const lane = new Lane();
    const log: string[] = [];
    let fail = (_: Error): void => undefined;
    const held = lane.hold(new Promise<void>((_, reject) => (fail = reject)));
    assert.equal(lane.isIdle, false);
    const next = lane.run(() => log.push("next"));
    await turn();
    assert.deepEqual(log, []);
    fail(new Error("held task failed"));
    await assert.rejects(held, /held task failed/);
    await next;
    assert.deepEqual(log, ["next"]);
    await lane.idle();
    assert.equal(lane.isIdle, true);
  });
});

describe("KeyedLanes", () => {
  test("one key's tasks run in order, one at a time; another key's run meanwhile; a lane goes once its work is done", async () => {
    const lanes = new KeyedLanes();
    const log: string[] = [];
    let releaseA = (): void => undefined;
    const heldA = new Promise<void>((resolve) => (releaseA = resolve));
    const a1 = lanes.run("a", async () => {
      log.push("a1 start");
      await heldA;
      log.push("a1 end");
    });
    const a2 = lanes.run("a", () => {
      log.push("a2");
      throw new Error("a2 failed");
    });
    const a3 = lanes.run("a", () => log.push("a3"));
    const b1 = lanes.run("b", () => log.push("b1"));
    await b1;
    assert.deepEqual(log, ["a1 start", "b1"], "b ran while a's first task was held; a's others wait their turn");
    assert.equal(lanes.size, 1, "b's lane is gone, a's is still at work");
    releaseA();
    await a1;
    await assert.rejects(a2, /a2 failed/);
    await a3;
    assert.deepEqual(log, ["a1 start", "b1", "a1 end", "a2", "a3"]);
    assert.equal(lanes.size, 0);
    assert.equal(await lanes.run("a", () => "again"), "again", "a key used again gets a fresh lane");
  });
});
