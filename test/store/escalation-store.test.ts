import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { openIncident } from "../../src/escalate/incident.js";
import { KvEscalationStore } from "../../src/store/jetstream/escalation-store.js";
import { useNatsWithClient } from "../support/engine.js";
import { losingReplies } from "../support/lost-reply.js";

const POLICY = { id: "db", version: 1, levels: [{ targets: [{ user: "alice" }], delay: 300_000 }], repeat: 0 };

describe("KvEscalationStore on a real nats-server", () => {
  const nats = useNatsWithClient();

  test("an incident whose create landed while its reply was lost is ours; one created before by anyone else is not", async () => {
    const store = await KvEscalationStore.open(nats.nc, "escalation-lost-reply");
    // The store's own bucket; the first create lands on the server and its reply never comes back.
    const replies = losingReplies(store, "create");
    replies.loseNext();
    const input = { id: "group-1-1", groupId: "group-1", receiver: "db", title: "db-1 is down", alertFingerprints: ["f1"] };
    const first = openIncident(input, POLICY, Date.parse("2026-12-06T03:00:00Z")).incident;
    assert.equal(await store.createIncident(first), true, "opened: the create landed, only its answer was lost");
    assert.equal(replies.lost, 1, "a reply was lost");
    // The same notification handled again a moment later (a redelivery): the incident exists, it was not opened now.
    const again = openIncident(input, POLICY, Date.parse("2026-12-06T03:00:05Z")).incident;
    assert.equal(await store.createIncident(again), false);
    assert.equal((await store.getIncident("group-1-1"))?.incident.openedAtMs, first.openedAtMs);
  });
});
