import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Lane } from "../../src/app/lane.js";

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
