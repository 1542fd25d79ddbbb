import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { acknowledge, openIncident } from "../../src/escalate/incident.js";
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

  test("an acknowledgment whose write landed while its reply was lost is reported as made, not as made before", async () => {
    const store = await KvEscalationStore.open(nats.nc, "escalation-lost-ack");
    const opened = openIncident({ id: "group-2-1", groupId: "group-2", receiver: "db", title: "db-2 is down", alertFingerprints: ["f2"] }, POLICY, Date.parse("2026-12-06T03:00:00Z")).incident;
    assert.equal(await store.createIncident(opened), true);
    const replies = losingReplies(store, "update");
    replies.loseNext();
    const outcome = await store.mutateIncident("group-2-1", (incident) => {
      const result = acknowledge(incident, POLICY, "bob", "slack", Date.parse("2026-12-06T03:01:00Z"));
      return result.changed ? { incident: result.incident, result } : undefined;
    });
    assert.equal(replies.lost, 1, "a reply was lost");
    assert.ok(outcome.result, "the caller made the change: it audits it and tells bob it is done");
    assert.equal(outcome.incident.state, "acknowledged");
    assert.equal((await store.getIncident("group-2-1"))?.incident.acknowledgedBy, "bob");
  });
});
