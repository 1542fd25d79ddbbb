import { test } from "node:test";
import assert from "node:assert/strict";
import { PageHandler, type PageHandlerDeps } from "../../src/app/notify-pages.js";
import type { DeliveryPlan } from "../../src/app/notify-delivery.js";
import { parseConfig } from "../../src/config/index.js";
import { FakeClock } from "../../src/core/clock.js";
import { EMPTY_DIRECTORY } from "../../src/escalate/directory.js";
import { openIncident } from "../../src/escalate/incident.js";

// A page's message context is read from NATS (alerts, group, reply code) on the first attempt. A read that times out
// must fail that attempt only: the next attempt reads again, instead of every later attempt and every fallback failing
// at once with the same error.
test("a failed read of the page's context fails one attempt; the retry on the same channel reads it again and sends", async () => {
  const clock = new FakeClock(Date.UTC(2026, 11, 6, 9, 0));
  const { incident } = openIncident({ id: "inc-1", groupId: "g-1", receiver: "ops", title: "db down", alertFingerprints: ["fp-1"] }, { id: "p", version: 1, levels: [{ targets: [{ user: "alice" }], delay: 60_000 }], repeat: 0 } as never, clock.now());
  let alertReads = 0;
  const posted: string[] = [];
  const attempts: string[] = [];
  const deps = {
    config: parseConfig({}),
    clock,
    directory: () => EMPTY_DIRECTORY,
    facts: {
      incident: async () => incident,
      group: async () => undefined,
      alerts: async () => {
        alertReads++;
        if (alertReads === 1) throw new Error("timeout");
        return [];
      },
    },
    store: { replyCodeFor: async () => "4821" },
    render: { slack: () => ({ text: "db down", blocks: [] }) },
    channels: { slack: { post: async (address: string) => (posted.push(address), { channel: "slack", ref: "ts-1" }) } },
    // The runner's retry, reduced to its essence: a failed attempt is tried again on the same channel.
    runner: {
      run: async (plan: DeliveryPlan) => {
        const notes = { content: async () => undefined };
        try {
          return await plan.send(plan.first.channel, plan.first.address, notes);
        } catch (error) {
          attempts.push(String((error as Error).message));
          return plan.send(plan.first.channel, plan.first.address, notes);
        }
      },
    },
  } as unknown as PageHandlerDeps;
  const handler = new PageHandler(deps);
  const page = { id: "inc-1.r0l0.alice.slack", incidentId: "inc-1", round: 0, level: 0, user: "alice", channel: "slack" as const, address: "U012ALICE", dueAtMs: clock.now(), title: "db down", receiver: "ops", groupId: "g-1", alertFingerprints: ["fp-1"] };
  await handler.page(page, () => undefined);
  assert.deepEqual(attempts, ["timeout"], "the first attempt failed on the read");
  assert.equal(alertReads, 2, "the second attempt read the context again");
  assert.deepEqual(posted, ["U012ALICE"], "and the page went out on Slack");
});
