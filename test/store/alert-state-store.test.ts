import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Kvm } from "@nats-io/kv";
import { Dispatcher } from "../../src/alerts/dispatcher.js";
import type { AlertRecord } from "../../src/alerts/dispatcher.types.js";
import { fingerprint } from "../../src/alerts/fingerprint.js";
import { buildRouting } from "../../src/alerts/routing-set.js";
import { Silencer } from "../../src/alerts/silences.js";
import { TOLD_PART_SIZE } from "../../src/alerts/stored-state.js";
import { encodeChanges, KvAlertStateStore } from "../../src/store/jetstream/alert-state-store.js";
import { client, useNatsServer } from "../support/engine.js";
import { losingReplies } from "../support/lost-reply.js";

const T0 = Date.parse("2026-03-02T10:00:00Z");

function dispatcher(): Dispatcher {
  const route = { receiver: "ops", groupBy: ["alertname"], groupWait: "30s", groupInterval: "5m", repeatInterval: "4h" };
  const built = buildRouting("routes.json", JSON.stringify({ version: 1, receivers: [{ name: "ops" }], route }));
  assert.ok(built.loaded, JSON.stringify(built.issues));
  return new Dispatcher(built.loaded.routing, built.loaded.timeIntervals, new Silencer());
}

function alert(i: number, status: AlertRecord["status"] = "firing"): AlertRecord {
  const labels = { alertname: "InstanceDown", severity: "critical", instance: `node-${i}.prod.example.com:9100` };
  return { fingerprint: fingerprint(labels), status, labels, annotations: {}, startsAtMs: T0, ...(status === "resolved" ? { endsAtMs: T0 + 60_000 } : {}) };
}

/** The groups' part of what changed: what this test is about (60,000 alert records would only make it slow). */
const groupsOf = (changes: ReturnType<Dispatcher["takeChanges"]>): ReturnType<Dispatcher["takeChanges"]> => ({ alerts: [], deletedAlerts: [], groups: changes.groups, deletedGroups: changes.deletedGroups });

describe("alert state in a JetStream KV bucket", () => {
  const nats = useNatsServer();

  test("a group that told its receiver of 60,000 alerts is stored, loaded whole, and shrinks back", async () => {
    // As one record, the group's list of 60,000 fingerprints passed the 1 MB payload limit: the write failed for
    // good and the alert stage could store nothing more.
    const { nc } = await client(nats.current.url);
    const store = await KvAlertStateStore.open(nc, "big-group-state");
    const kv = await new Kvm(nc).open("big-group-state");
    const keys = async (prefix: string): Promise<string[]> => {
      const out: string[] = [];
      for await (const key of await kv.keys(`${prefix}.>`)) out.push(key);
      return out.sort();
    };
    const count = 60_000;
    const first = dispatcher();
    for (let i = 0; i < count; i++) first.receive(alert(i), T0);
    const [notification] = first.tick(T0 + 30_000);
    assert.equal(notification?.firingCount, count);
    await store.write(encodeChanges(groupsOf(first.takeChanges())));
    const parts = Math.ceil(count / TOLD_PART_SIZE);
    const groupId = notification?.groupId as string;
    assert.deepEqual(await keys("told"), Array.from({ length: parts }, (_, i) => `told.${groupId}.${i}`).sort());

    const loaded = await store.loadAll();
    assert.equal(loaded.groups.length, 1);
    assert.deepEqual(loaded.groups[0]?.notifiedFiring, first.groupList()[0]?.notifiedFiring, "the whole list, in order");
    const second = dispatcher();
    // Membership lives in the alert records, not written here: the members are given back as they were.
    const members = first.groupList()[0]?.fingerprints ?? [];
    second.restore(first.alertList(), loaded.groups.map((g) => ({ ...g, fingerprints: [...members] })), T0 + 30_000 + 300_000);
    assert.deepEqual(second.tick(T0 + 30_000 + 300_000), [], "nothing new to tell after the restart");
    second.receive(alert(count), T0 + 400_000);
    assert.equal(second.tick(T0 + 30_000 + 600_000)[0]?.reason, "new_alerts");
    await store.write(encodeChanges(groupsOf(second.takeChanges())));

    // Most resolve: the list shrinks to one record again and the parts go.
    for (let i = 0; i < count - 5_000; i++) second.receive(alert(i, "resolved"), T0 + 700_000);
    const [resolvedNote] = second.tick(T0 + 30_000 + 900_000);
    assert.equal(resolvedNote?.resolvedCount, count - 5_000);
    await store.write(encodeChanges(groupsOf(second.takeChanges())));
    assert.deepEqual(await keys("told"), []);
    const after = await store.loadAll();
    assert.equal(after.groups[0]?.notifiedFiring.length, 5_001);
    assert.deepEqual(after.groups[0]?.notifiedResolved, [], "resolved alerts left the group: nothing of them is kept");
    await nc.close();
  });

  test("a silence whose create landed while its reply was lost is created, once; an id taken before is refused", async () => {
    const { nc } = await client(nats.current.url);
    try {
      const store = await KvAlertStateStore.open(nc, "silence-lost-reply");
      const replies = losingReplies(store, "create");
      const silence = { id: "s-1", matchers: [{ name: "source", op: "=" as const, value: "web-1" }], startsAtMs: 1_000, endsAtMs: 2_000, createdBy: "alice", comment: "resizing", updatedAtMs: 1_000 };
      replies.loseNext();
      await store.createSilence(silence);
      assert.equal(replies.lost, 1, "a reply was lost");
      assert.deepEqual((await store.listSilences()).map((s) => s.id), ["s-1"]);
      await assert.rejects(store.createSilence({ ...silence, createdBy: "bob", updatedAtMs: 1_500 }), "another silence under a taken id is refused");
    } finally {
      await nc.close();
    }
  });
});
