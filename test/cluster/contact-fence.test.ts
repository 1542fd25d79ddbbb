import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ContactFence } from "../../src/cluster/contact-fence.js";

/** A fence that closes after 800 ms of standing still, on a clock the test moves. */
function fenceAt(startMs = 0): { fence: ContactFence; clock: { ms: number } } {
  const clock = { ms: startMs };
  return { fence: new ContactFence(800, () => clock.ms), clock };
}

/** The event loop running: a beat every 100 ms up to `toMs`. */
function beatUntil(fence: ContactFence, clock: { ms: number }, toMs: number): void {
  while (clock.ms + 100 <= toMs) {
    clock.ms += 100;
    fence.beat();
  }
}

describe("ContactFence", () => {
  test("open while the event loop keeps running, however long, and whatever NATS does", () => {
    const { fence, clock } = fenceAt();
    beatUntil(fence, clock, 60_000);
    assert.ok(fence.isOpen(), "no heartbeat landed all that time (NATS slow or away): still open");
  });

  test("standing still past the limit closes it, seen by the first message after it (before any timer runs)", () => {
    const { fence, clock } = fenceAt();
    beatUntil(fence, clock, 1_000);
    clock.ms += 800;
    assert.ok(fence.isOpen(), "800 ms is not past the limit");
    clock.ms += 1;
    assert.ok(!fence.isOpen());
    fence.beat();
    assert.ok(!fence.isOpen(), "the loop running again does not open it");
  });

  test("or by the beat itself, when no message came in between", () => {
    const { fence, clock } = fenceAt();
    beatUntil(fence, clock, 1_000);
    clock.ms += 5_000;
    fence.beat();
    assert.ok(!fence.isOpen());
  });

  test("closed, it opens only for a plan begun after a heartbeat sent after the stall had landed", async () => {
    const { fence, clock } = fenceAt();
    beatUntil(fence, clock, 1_000);
    clock.ms += 5_000; // 6,000: going on after a pause
    assert.ok(!fence.isOpen());
    let opened = false;
    void fence.whenOpen().then(() => (opened = true));
    fence.heartbeatStored(900, 6_010); // sent before the pause, answered after it: says nothing
    fence.leasesConfirmed(6_020);
    assert.ok(!fence.isOpen(), "a heartbeat sent before the stall does not count");
    fence.heartbeatStored(6_050, 6_060);
    fence.leasesConfirmed(6_055);
    assert.ok(!fence.isOpen(), "nor a plan begun before that heartbeat had landed");
    await Promise.resolve();
    assert.ok(!opened);
    clock.ms = 6_500;
    fence.leasesConfirmed(6_450);
    assert.ok(fence.isOpen());
    await Promise.resolve();
    assert.ok(opened, "whoever waited is told");
    beatUntil(fence, clock, 10_000);
    assert.ok(fence.isOpen(), "and it stays open while the loop runs");
  });
});
