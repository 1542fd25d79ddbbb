import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { DeliveryRunner, type DeliveryOutcome, type DeliveryPlan } from "../../src/app/notify-delivery.js";
import { NotifyStore } from "../../src/app/notify-store.js";
import { createMetrics } from "../../src/app/metrics.js";
import { FakeClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import type { Receipt } from "../../src/notify/model.js";
import { useNatsWithClient } from "../support/engine.js";
import { losingReplies } from "../support/lost-reply.js";

const LEASE_MS = 4_000;

/** A runner on a real delivery-record bucket, whose clock only the test moves and whose lease is never renewed. */
async function runnerOn(
  nats: ReturnType<typeof useNatsWithClient>,
  bucket: string,
  clock: FakeClock,
  changeStore: (store: NotifyStore) => void = () => undefined,
  monotonicNow?: () => number,
): Promise<DeliveryRunner> {
  const store = await NotifyStore.open(nats.nc, bucket, 60_000);
  changeStore(store);
  return new DeliveryRunner({
    store,
    clock,
    logger: silentLogger,
    metrics: createMetrics(),
    audit: () => Promise.resolve(),
    retry: { baseMs: 10, maxMs: 10, maxAttempts: 3 },
    leaseMs: LEASE_MS,
    rateLimits: { slack: 0, email: 0, sms: 0, webhook: 0 },
    heartbeatMs: 3_600_000,
    ...(monotonicNow ? { monotonicNow } : {}),
  });
}

/**
 * An e-mail page whose sends wait until the test lets each one finish; `sent(n)` waits until n sends have started,
 * `release` finishes any still waiting.
 */
function heldPlan(id: string): { plan: DeliveryPlan; sends: Array<(receipt: Receipt) => void>; sent: (count: number) => Promise<void>; release: () => void } {
  const sends: Array<(receipt: Receipt) => void> = [];
  const plan: DeliveryPlan = {
    id,
    kind: "page",
    incidentId: "incident-1",
    user: "alice",
    first: { channel: "email", address: "alice@example.com" },
    send: () => new Promise<Receipt>((resolve) => sends.push(resolve)),
  };
  const sent = async (count: number): Promise<void> => {
    while (sends.length < count) await new Promise((resolve) => setTimeout(resolve, 5));
  };
  return { plan, sends, sent, release: () => sends.forEach((send, i) => send({ email: { messageId: `<released-${i}@example.com>` } })) };
}

describe("DeliveryRunner on a real KV bucket", () => {
  const nats = useNatsWithClient();

  test("a delivery this process is sending is never taken over by itself, however stale its lease looks", async (t) => {
    const clock = new FakeClock(Date.parse("2026-12-06T12:00:00Z"));
    const runner = await runnerOn(nats, "runner-own", clock);
    const { plan, sends, sent, release } = heldPlan("page-1.email");
    t.after(release);
    const first = runner.run(plan);
    await sent(1);
    // NATS was away: no renewal landed, and the page's message came again after its ack wait.
    clock.advance(LEASE_MS + 1_000);
    let again: DeliveryOutcome | undefined;
    const second = runner.run(plan).then((outcome) => (again = outcome));
    while (again === undefined && sends.length === 1) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(sends.length, 1, "one send to the provider, not a second while the first is on its way");
    await second;
    assert.equal(again?.outcome, "busy", "the second run waits for the first instead of sending again");
    sends[0]?.({ email: { messageId: "<m1@example.com>" } });
    const settled: DeliveryOutcome = await first;
    assert.equal(settled.outcome, "sent");
    assert.equal((await runner.run(plan)).outcome, "already", "once settled, a redelivery finds it done");
    assert.equal(sends.length, 1);
  });

  test("another runner (another replica) still takes over a stale delivery and sends it", async (t) => {
    const clock = new FakeClock(Date.parse("2026-12-06T12:00:00Z"));
    const dead = await runnerOn(nats, "runner-other", clock);
    const live = await runnerOn(nats, "runner-other", clock);
    const { plan, sends, sent, release } = heldPlan("page-2.email");
    t.after(release);
    const stalled = dead.run(plan);
    await sent(1);
    clock.advance(LEASE_MS + 1_000);
    const takeover = live.run(plan);
    await sent(2);
    sends[1]?.({ email: { messageId: "<m2@example.com>" } });
    assert.equal((await takeover).outcome, "sent", "the live replica sent it (e-mail is sent again: receivers drop repeats by Message-ID)");
    // The stalled one comes back to find its record taken: it settles nothing.
    sends[0]?.({ email: { messageId: "<m1@example.com>" } });
    assert.equal((await stalled).outcome, "interrupted");
  });

  test("a runner that stood still between renewing and sending does not send what another took over and sent meanwhile", async () => {
    const clock = new FakeClock(Date.parse("2026-12-06T12:00:00Z"));
    const live = await runnerOn(nats, "runner-paused", clock);
    const sends: string[] = [];
    const planFor = (who: string): DeliveryPlan => ({
      id: "page-3.email",
      kind: "page",
      incidentId: "incident-1",
      user: "alice",
      first: { channel: "email", address: "alice@example.com" },
      send: async () => {
        sends.push(who);
        return { email: { messageId: `<${who}@example.com>` } };
      },
    });
    let takeover: Promise<DeliveryOutcome> | undefined;
    // This process's own monotonic time: the pause below moves it as a SIGSTOP would.
    let monotonicMs = 0;
    const paused = await runnerOn(
      nats,
      "runner-paused",
      clock,
      (store) => {
      const update = store.updateDelivery.bind(store);
      let calls = 0;
      store.updateDelivery = async (record, revision) => {
        const revisionAfter = await update(record, revision);
        // The renewal before the send landed; then this process stands still, its lease runs out, and another
        // replica takes the delivery over and sends it. Then it goes on where it was.
        if (++calls === 1) {
          clock.advance(LEASE_MS + 1_000);
          takeover = live.run(planFor("live"));
          await takeover;
          monotonicMs += LEASE_MS + 1_000;
        }
        return revisionAfter;
      };
      },
      () => monotonicMs,
    );
    const outcome = await paused.run(planFor("paused"));
    assert.equal((await takeover)?.outcome, "sent", "the other replica sent it");
    assert.equal(outcome.outcome, "interrupted", "the paused one found it taken over");
    assert.deepEqual(sends, ["live"], "sent once");
  });

  test("a record write that landed while its reply was lost is the runner's own: the delivery is sent, not interrupted", async (t) => {
    const clock = new FakeClock(Date.parse("2026-12-06T12:00:00Z"));
    let replies: ReturnType<typeof losingReplies> | undefined;
    const runner = await runnerOn(nats, "runner-lost-reply", clock, (store) => {
      replies = losingReplies(store, "update");
    });
    const { plan, sends, sent, release } = heldPlan("page-3.email");
    t.after(release);
    const run = runner.run(plan);
    await sent(1);
    replies?.loseNext(); // the write of "sent"
    sends[0]?.({ email: { messageId: "<m3@example.com>" } });
    const outcome = await run;
    assert.equal(outcome.outcome, "sent", "its own write is not read as another engine's takeover");
    assert.equal(replies?.lost, 1, "a reply was lost");
  });
});
