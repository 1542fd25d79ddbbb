import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ContactFence } from "../../src/cluster/contact-fence.js";

/** A fence on a lease of 2,000 ms with a 500 ms margin, on a clock the test moves. */
function fenceAt(startMs = 0): { fence: ContactFence; clock: { ms: number } } {
  const clock = { ms: startMs };
  return { fence: new ContactFence(2_000, 500, () => clock.ms), clock };
}

describe("ContactFence", () => {
  test("heartbeats that keep landing keep it open; it closes a lease (less the margin) after the last one was sent", () => {
    const { fence, clock } = fenceAt();
    assert.ok(fence.isOpen(), "open before the first heartbeat: nothing is held yet");
    fence.heartbeatStored(0, 10);
    for (let t = 400; t <= 4_000; t += 400) {
      clock.ms = t;
      assert.ok(fence.isOpen(), `open at ${t}`);
      fence.heartbeatStored(t, t + 10);
    }
    clock.ms = 5_499;
    assert.ok(fence.isOpen());
    clock.ms = 5_500;
    assert.ok(!fence.isOpen(), "closed 1,500 ms after the last heartbeat was sent");
  });

  test("after a gap, a heartbeat alone does not open it: a plan begun after that heartbeat landed must confirm the leases", async () => {
    const { fence, clock } = fenceAt();
    fence.heartbeatStored(0, 10);
    clock.ms = 6_000; // stood still past the lease: its roles may have been taken over meanwhile
    assert.ok(!fence.isOpen());
    let opened = false;
    void fence.whenOpen().then(() => (opened = true));
    fence.heartbeatStored(6_000, 6_020);
    clock.ms = 6_030;
    assert.ok(!fence.isOpen(), "a heartbeat after the gap does not open it");
    fence.leasesConfirmed(6_000);
    assert.ok(!fence.isOpen(), "nor a plan begun before that heartbeat had landed");
    fence.heartbeatStored(6_400, 6_410);
    clock.ms = 6_420;
    assert.ok(!fence.isOpen());
    await Promise.resolve();
    assert.ok(!opened);
    fence.leasesConfirmed(6_415);
    assert.ok(fence.isOpen(), "a plan begun after it landed found the leases ours");
    await Promise.resolve();
    assert.ok(opened, "whoever waited is told");
    clock.ms = 7_899;
    assert.ok(fence.isOpen(), "open until a lease less the margin after the latest heartbeat sent");
    clock.ms = 7_900;
    assert.ok(!fence.isOpen());
  });

  test("a heartbeat sent in time whose reply came after the fence closed does not continue it: it may have landed too late", () => {
    const { fence, clock } = fenceAt();
    fence.heartbeatStored(0, 10);
    fence.heartbeatStored(400, 1_600); // NATS slow: answered after the fence closed at 1,500
    clock.ms = 1_600;
    assert.ok(!fence.isOpen());
    fence.heartbeatStored(800, 1_610);
    clock.ms = 1_620;
    assert.ok(!fence.isOpen(), "closed until a plan confirms");
    fence.leasesConfirmed(1_615);
    assert.ok(fence.isOpen());
  });

  test("closed for want of heartbeats (NATS away), it opens again once they land and a plan confirms", () => {
    const { fence, clock } = fenceAt();
    fence.heartbeatStored(0, 10);
    clock.ms = 3_000;
    assert.ok(!fence.isOpen());
    fence.leasesConfirmed(2_900); // a plan without a heartbeat since: confirms nothing
    assert.ok(!fence.isOpen());
    fence.heartbeatStored(3_000, 3_005);
    fence.leasesConfirmed(3_010);
    assert.ok(fence.isOpen());
  });
});
