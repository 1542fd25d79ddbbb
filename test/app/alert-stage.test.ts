import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KvAlertStateStore } from "../../src/store/jetstream/alert-state-store.js";
import { JetStreamAlertSink } from "../../src/store/jetstream/sinks.js";
import { fingerprint } from "../../src/alerts/fingerprint.js";
import { client, eventually, useNatsServer, streamJson, metricEvent, publishEvent, rulesDir, startEngine, testConfig } from "../support/engine.js";
import type { GroupNotification } from "../../src/alerts/dispatcher.types.js";
import { Dispatcher, MAX_ALERTS_PER_NOTIFICATION } from "../../src/alerts/dispatcher.js";
import { silenceAddCommand, silenceExpireCommand, silenceListCommand } from "../../src/cli/commands/silence.js";
import { auditRecords } from "../support/audit-records.js";
import { Kvm } from "@nats-io/kv";
import { FakeClock } from "../../src/core/clock.js";
import { KvClusterStore } from "../../src/store/jetstream/cluster-store.js";
import { COORDINATOR_ROLE } from "../../src/app/engine-roles.js";
import { AlertCommits } from "../../src/app/alert-commits.js";
import { AlertStage } from "../../src/app/alert-stage.js";

const diskRule = {
  id: "disk-full",
  version: 1,
  kind: "threshold",
  event: "metric",
  match: { all: [{ fact: "name", operator: "equal", value: "disk" }] },
  keyBy: ["source"],
  when: { all: [{ fact: "value", operator: "greaterThan", value: 90 }] },
  severity: "critical",
};

async function withRoutes(groupWait: string, groupInterval = "1m", rule: Record<string, unknown> = diskRule): Promise<string> {
  const dir = await rulesDir([rule]);
  await mkdir(join(dir, "routes"));
  await writeFile(
    join(dir, "routes", "routes.json"),
    JSON.stringify({ version: 1, route: { receiver: "ops", groupBy: ["alertname"], groupWait, groupInterval, repeatInterval: "4h" }, receivers: [{ name: "ops" }] }),
  );
  return dir;
}

const notifications = (js: Parameters<typeof streamJson>[0]): Promise<GroupNotification[]> => streamJson(js, "KLAXON_NOTIFICATIONS");

describe("alert stage on a real nats-server", () => {
  const nats = useNatsServer();

  test("an engine restarted between group_wait and the flush sends exactly one notification", async () => {
    // group_wait is generous so a loaded CI machine still crashes the engine before the flush is due.
    const config = testConfig(nats.current.url, await withRoutes("8s"));
    const { nc, js } = await client(nats.current.url);
    const first = await startEngine(config);
    const t0 = Date.now();
    await publishEvent(js, metricEvent("web-1", "disk", 97, t0));
    await publishEvent(js, metricEvent("web-2", "disk", 99, t0));
    const state = await KvAlertStateStore.open(nc, "klaxon-alert-state");
    await eventually("the group and both its alerts are stored", async () => {
      const [group] = (await state.loadAll()).groups;
      return group?.fingerprints.length === 2 ? true : undefined;
    });
    const beforeCrash = Date.now() - t0;
    await first.crash();
    assert.equal((await notifications(js)).length, 0, `group_wait has not passed yet (crashed ${beforeCrash} ms after the events, crash took ${Date.now() - t0 - beforeCrash} ms)`);

    const second = await startEngine(config);
    const [sent] = await eventually(
      "the notification after the restart",
      async () => {
        const all = await notifications(js);
        return all.length > 0 ? all : undefined;
      },
      20_000,
    );
    assert.ok(Date.now() >= t0 + 8_000, "not before group_wait");
    assert.equal(sent?.reason, "first");
    assert.equal(sent?.receiver, "ops");
    assert.deepEqual(sent?.firing.map((a) => a.labels.source).sort(), ["web-1", "web-2"]);
    await new Promise((r) => setTimeout(r, 1_500));
    await second.stop();
    const third = await startEngine(config);
    await new Promise((r) => setTimeout(r, 500));
    await third.stop();
    assert.equal((await notifications(js)).length, 1, "neither re-sent after the flush nor by a later restart");
    const audit = await auditRecords(js);
    assert.equal(audit.filter((r) => r.action === "group.notified").length, 1);
    assert.equal(audit.filter((r) => r.action === "alert.fired").length, 2);
    await nc.close();
  });

  test("a group that resolved and went away is notified again when its alert fires again", async () => {
    // Its id is the hash of its labels, so the group formed again has the same id; its notifications must not reuse
    // the first one's message ids, which JetStream would drop as duplicates for an hour (nobody paged).
    const rule = { ...diskRule, id: "disk-refires" };
    const config = testConfig(nats.current.url, await withRoutes("200ms", "500ms", rule));
    const { js } = await client(nats.current.url);
    const engine = await startEngine(config);
    const mine = async (): Promise<GroupNotification[]> => (await notifications(js)).filter((n) => n.groupLabels["alertname"] === "disk-refires");
    const waitFor = (what: string, count: number): Promise<GroupNotification[]> =>
      eventually(what, async () => {
        const found = await mine();
        return found.length >= count ? found : undefined;
      });
    try {
      await publishEvent(js, metricEvent("db-1", "disk", 97, Date.now()));
      await waitFor("the first firing notification", 1);
      await publishEvent(js, metricEvent("db-1", "disk", 10, Date.now()));
      await waitFor("the resolved notification", 2);
      await publishEvent(js, metricEvent("db-1", "disk", 98, Date.now()));
      const all = await waitFor("a firing notification for the second episode", 3);
      assert.deepEqual(
        all.map((n) => [n.reason, n.firing.length, n.resolved.length]),
        [
          ["first", 1, 0],
          ["resolved", 0, 1],
          ["first", 1, 0],
        ],
      );
      assert.equal(new Set(all.map((n) => n.id)).size, 3, "each notification has its own id");
    } finally {
      await engine.stop();
    }
  });

  test("a replica whose coordinator role was taken over sends no group notification from its stale state", async () => {
    // Its membership would notice at its next plan; a long renew period keeps that from happening during the test.
    const rule = { ...diskRule, id: "disk-deposed" };
    const config = testConfig(nats.current.url, await withRoutes("0s", "1m", rule), { cluster: { renewMs: 60_000, leaseMs: 120_000 } });
    const { nc, js } = await client(nats.current.url);
    const engine = await startEngine(config);
    try {
      const cluster = await KvClusterStore.open(nc, "klaxon-cluster");
      const lease = (await cluster.leases()).get(COORDINATOR_ROLE);
      assert.ok(lease, "the engine holds the coordinator role");
      assert.ok((await cluster.takeOver(COORDINATOR_ROLE, { owner: "another-replica", incarnation: "x", acquiredAtMs: Date.now() }, lease.revision)) !== undefined);

      await publishEvent(js, metricEvent("db-9", "disk", 97, Date.now()));
      // Counted with any other group due after the takeover (one restored from the tests before, whose rule this
      // engine retires, resolves and can fall due too): without the check ours is sent and nothing is withheld.
      await eventually("the group's notification withheld", async () => {
        const value = (await engine.metrics.notificationsWithheld.get()).values[0]?.value ?? 0;
        return value > 0 ? value : undefined;
      });
      // The tick that withheld it was the group's flush: nothing of this group went out, nor will.
      assert.deepEqual((await notifications(js)).filter((n) => n.groupLabels["alertname"] === "disk-deposed"), []);
    } finally {
      await engine.stop();
    }
  });

  test("a group of thousands is notified: the notification lists the first alerts and counts them all", async () => {
    // 4,000 alerts listed in full (~330 bytes each, a long label among them) made a message past nats-server's
    // 1 MB payload limit: it was never sent.
    const alerts = 4_000;
    // A rule and metric of their own: the group holds only this test's alerts (the stream has earlier tests' events).
    const match = { all: [{ fact: "name", operator: "equal", value: "disk_everywhere" }] };
    const rule = { ...diskRule, id: "disk-full-everywhere", match, keyBy: ["source", "labels.note"] };
    const config = testConfig(nats.current.url, await withRoutes("1s", "2s", rule), { consumer: { durable: "big-group", alertsDurable: "big-group-alerts" }, state: { alertBucket: "big-group-state" } });
    const { nc, js } = await client(nats.current.url);
    const engine = await startEngine(config);
    const t0 = Date.now();
    const acks: Array<Promise<unknown>> = [];
    for (let i = 0; i < alerts; i++) acks.push(js.publish(`events.metric.web-${i}`, JSON.stringify(metricEvent(`web-${i}`, "disk_everywhere", 99, t0, { labels: { rack: `rack-${i % 40}`, note: "x".repeat(100) } }))));
    await Promise.all(acks);
    const sent = await eventually(
      "a notification counting every alert",
      async () => (await notifications(js)).find((n) => n.firing[0]?.labels.alertname === rule.id && n.firingCount === alerts),
      30_000,
    );
    assert.equal(sent.firing.length, MAX_ALERTS_PER_NOTIFICATION, "the first alerts, in full");
    assert.equal(new Set(sent.firing.map((a) => a.fingerprint)).size, MAX_ALERTS_PER_NOTIFICATION);
    assert.ok(sent.firing.every((a) => a.status === "firing" && a.labels.alertname === rule.id));
    const audit = (await auditRecords(js)).filter((r) => r.action === "group.notified");
    const details = audit.map((r) => r.details as { notification: string; firingCount: number; firing: string[] }).find((d) => d.notification === sent.id);
    assert.equal(details?.firingCount, alerts, "the audit trail counts every alert");
    assert.deepEqual(details?.firing, sent.firing.map((a) => a.fingerprint), "and names those the notification listed");
    await engine.stop();
    await nc.close();
  });

  test("alert messages that queue while the stage stores are committed together: each stored, acknowledged and audited", async () => {
    // One message at a time (state, then audit record, then ack) the stage fell thousands of messages behind in a
    // storm. Here 200 alerts arrive at once: their records share audit appends (one per commit), not one each.
    const alerts = 200;
    const config = testConfig(nats.current.url, await withRoutes("1h"), { consumer: { durable: "burst", alertsDurable: "burst-alerts" }, state: { alertBucket: "burst-state" } });
    const { nc, js } = await client(nats.current.url);
    const engine = await startEngine(config);
    const sink = new JetStreamAlertSink(js, config.subjects.alerts);
    const startsAtMs = Date.now();
    const fingerprints: string[] = [];
    const sends: Array<Promise<void>> = [];
    for (let i = 0; i < alerts; i++) {
      const labels = { alertname: "BurstTest", severity: "warning", instance: `burst-${i}` };
      fingerprints.push(fingerprint(labels));
      sends.push(sink.publish({ status: "firing", fingerprint: fingerprint(labels), labels, annotations: {}, startsAtMs, rule: { id: "burst", version: 1 } }));
    }
    await Promise.all(sends);
    const jsm = await js.jetstreamManager();
    await eventually("every alert message acknowledged", async () => {
      const info = await jsm.consumers.info("KLAXON_ALERTS", "burst-alerts");
      return info.num_pending === 0 && info.num_ack_pending === 0 ? true : undefined;
    });
    const stored = await (await KvAlertStateStore.open(nc, "burst-state")).loadAll();
    const storedBurst = new Set(stored.alerts.filter((a) => a.labels.alertname === "BurstTest").map((a) => a.fingerprint));
    assert.deepEqual([...storedBurst].sort(), [...fingerprints].sort(), "every acknowledged alert is stored");
    const fired = (await auditRecords(js)).filter((r) => r.action === "alert.fired" && fingerprints.includes(String(r.subject)));
    assert.equal(new Set(fired.map((r) => r.subject)).size, alerts, "every alert's firing is audited");
    const appends = new Set(fired.map((r) => r.streamSeq)).size;
    assert.ok(appends <= alerts / 2, `${alerts} alerts were audited in ${appends} appends: one per message, not per commit`);
    await engine.stop();
    await nc.close();
  });

  test("silences over the HTTP API need a token, record the actor, and mute the alert", async () => {
    const dir = await withRoutes("0s");
    const tokens = join(await mkdtemp(join(tmpdir(), "klaxon-tokens-")), "tokens");
    await writeFile(tokens, "# actor token\nalice s3cret-token-for-alice-0001\n");
    const config = testConfig(nats.current.url, dir, { consumer: { durable: "http-test", alertsDurable: "http-alerts" }, state: { alertBucket: "http-state" }, http: { port: 0, tokensFile: tokens } });
    const engine = await startEngine(config);
    const base = `http://127.0.0.1:${engine.httpPort}`;
    const body = JSON.stringify({ matchers: ['source="web-9"'], duration: "1h", comment: "replacing the disk" });
    const anonymous = await fetch(`${base}/api/v1/silences`, { method: "POST", body, headers: { "content-type": "application/json" } });
    assert.equal(anonymous.status, 401);
    const wrong = await fetch(`${base}/api/v1/silences`, { method: "POST", body, headers: { authorization: "Bearer not-the-token-at-all" } });
    assert.equal(wrong.status, 401);
    const auth = { authorization: "Bearer s3cret-token-for-alice-0001" };
    const bad = await fetch(`${base}/api/v1/silences`, { method: "POST", body: JSON.stringify({ matchers: ["source=~("], duration: "1h", comment: "x" }), headers: auth });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(await bad.json()), /matchers\[0\]/);
    const created = await fetch(`${base}/api/v1/silences`, { method: "POST", body, headers: auth });
    assert.equal(created.status, 201);
    const silence = (await created.json()) as { id: string; createdBy: string };
    assert.equal(silence.createdBy, "alice");

    const { nc, js } = await client(nats.current.url);
    await publishEvent(js, metricEvent("web-9", "disk", 99, Date.now()));
    const alerts = await eventually("the alert is tracked as silenced", async () => {
      const list = (await (await fetch(`${base}/api/v1/alerts`, { headers: auth })).json()) as Array<{ fingerprint: string; labels: Record<string, string>; mutedBy: string[] }>;
      const alert = list.find((a) => a.labels.source === "web-9");
      return alert && alert.mutedBy.length > 0 ? alert : undefined;
    });
    assert.deepEqual(alerts.mutedBy, [silence.id]);
    // One alert by fingerprint (the console's silence form): that one alone, with its mutes; an unknown one, nothing.
    const { fingerprint } = alerts;
    const one = (await (await fetch(`${base}/api/v1/alerts?fingerprint=${fingerprint}&fingerprint=0000000000000000`, { headers: auth })).json()) as Array<{ fingerprint: string; mutedBy: string[] }>;
    assert.deepEqual(one.map((a) => [a.fingerprint, a.mutedBy]), [[fingerprint, [silence.id]]]);
    assert.deepEqual(await (await fetch(`${base}/api/v1/alerts?fingerprint=0000000000000000`, { headers: auth })).json(), []);
    const unknown = await fetch(`${base}/api/v1/alerts?fingerprints=${fingerprint}`, { headers: auth });
    assert.equal(unknown.status, 400);
    assert.match(((await unknown.json()) as { error: string }).error, /unknown parameter "fingerprints"; use fingerprint/);

    const expired = await fetch(`${base}/api/v1/silences/${silence.id}`, { method: "DELETE", headers: auth });
    assert.equal(expired.status, 200);
    assert.equal((await fetch(`${base}/api/v1/silences/${silence.id}`, { method: "DELETE" })).status, 401);
    const records = (await auditRecords(js)).filter((r) => String(r.action).startsWith("silence."));
    assert.deepEqual(records.map((r) => [r.action, r.actor, (r.details as { channel: string }).channel]), [["silence.created", "alice", "http"], ["silence.expired", "alice", "http"]]);
    assert.ok(!JSON.stringify(records).includes("s3cret"), "no token in the audit trail");
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    await engine.stop();
    await nc.close();
  });

  test("the console's groups and board come from the coordinator's memory, not a scan of the state bucket per request", async () => {
    const tokens = join(await mkdtemp(join(tmpdir(), "klaxon-tokens-")), "tokens");
    await writeFile(tokens, "alice s3cret-token-for-alice-0002\n");
    // A rule of its own: the stream holds the other tests' disk events too, and they must not join the group.
    const rule = { ...diskRule, id: "console-groups", match: { all: [{ fact: "name", operator: "equal", value: "console-disk" }] } };
    const config = testConfig(nats.current.url, await withRoutes("0s", "1m", rule), { consumer: { durable: "groups-test", alertsDurable: "groups-alerts" }, state: { alertBucket: "groups-state" }, http: { port: 0, tokensFile: tokens } });
    const engine = await startEngine(config);
    const base = `http://127.0.0.1:${engine.httpPort}`;
    const auth = { authorization: "Bearer s3cret-token-for-alice-0002" };
    type Group = { id: string; receiver: string; groupLabels: Record<string, string>; fingerprints: string[]; notificationCount: number };
    // The alert stream holds the other tests' alerts too, which this engine's alert stage groups as well: look at ours.
    const ours = async (): Promise<Group | undefined> => {
      const groups = (await (await fetch(`${base}/api/v1/groups`, { headers: auth })).json()) as Group[];
      return groups.find((g) => g.groupLabels.alertname === "console-groups");
    };
    const { nc, js } = await client(nats.current.url);
    await publishEvent(js, metricEvent("web-7", "console-disk", 97, Date.now()));
    // Once notified, the group changes no more within its one-minute interval: nothing writes it to the store again.
    const before = await eventually("the group is formed and notified", async () => {
      const group = await ours();
      return group && group.notificationCount >= 1 ? group : undefined;
    });
    assert.equal(before.receiver, "ops");
    assert.equal(before.fingerprints.length, 1);
    const kv = await new Kvm(nc).open("groups-state");
    const stored = await eventually("the group and its alert are stored", async () => {
      const keys: string[] = [];
      for await (const key of await kv.keys()) keys.push(key);
      return keys.includes(`group.${before.id}`) && keys.includes(`alert.${before.fingerprints[0] ?? ""}`) ? keys : undefined;
    });
    // Taken out of the store behind the engine's back: an answer read from the store would now lack the group.
    for (const key of stored) await kv.delete(key);
    const after = await ours();
    assert.deepEqual([after?.id, after?.fingerprints], [before.id, before.fingerprints], "the same group, from the alert stage");
    type Board = { groups: Array<{ group: { id: string }; firingCount: number; alerts: Array<{ fingerprint: string; mutedBy: string[] }> }> };
    const board = (await (await fetch(`${base}/api/v1/board?rows=10`, { headers: auth })).json()) as Board;
    const card = board.groups.find((g) => g.group.id === before.id);
    assert.deepEqual([card?.firingCount, card?.alerts.map((a) => [a.fingerprint, a.mutedBy])], [1, [[before.fingerprints[0], []]]], "the board, from the alert stage too");
    await engine.stop();
    await nc.close();
  });

  test("klaxon silence add, list and expire work against NATS and are audited with the author", async () => {
    const out: string[] = [];
    const io = { log: (l: string) => out.push(l), err: (l: string) => out.push(`ERR ${l}`) };
    assert.equal(await silenceAddCommand(['alertname="disk-full"', "source=web-3"], { nats: nats.current.url, author: "bob", duration: "30m", comment: "rebooting" }, io), 0);
    const id = /created silence (\S+)/.exec(out[0] ?? "")?.[1];
    assert.ok(id, out.join("\n"));
    assert.equal(await silenceListCommand({ nats: nats.current.url }, io), 0);
    assert.ok(out.some((l) => l.startsWith(id) && l.includes("active") && l.includes("by bob: rebooting")));
    assert.equal(await silenceExpireCommand(id, { nats: nats.current.url, author: "carol" }, io), 0);
    assert.equal(await silenceExpireCommand(id, { nats: nats.current.url, author: "carol" }, io), 0);
    assert.match(out.at(-1) ?? "", /had already expired/);
    const { nc, js } = await client(nats.current.url);
    const records = (await auditRecords(js)).filter((r) => r.subject === id);
    assert.deepEqual(records.map((r) => [r.action, r.actor]), [["silence.created", "bob"], ["silence.expired", "carol"]]);
    await nc.close();
  });

  test("silences expired for longer than the retention are deleted and audited; the others stay", async () => {
    const clock = new FakeClock(Date.now());
    const config = testConfig(nats.current.url, await withRoutes("0s"), { state: { silenceRetentionMs: 3_600_000 } });
    const engine = await startEngine(config, clock);
    const out: string[] = [];
    const io = { log: (l: string) => out.push(l), err: (l: string) => out.push(`ERR ${l}`) };
    const add = async (source: string, duration: string): Promise<string> => {
      assert.equal(await silenceAddCommand([`source=${source}`], { nats: nats.current.url, author: "bob", duration, comment: "maintenance" }, io), 0);
      return /created silence (\S+)/.exec(out.at(-1) ?? "")?.[1] as string;
    };
    const ended = await add("purge-1", "30m");
    const running = await add("purge-2", "1000h");
    assert.equal(await silenceExpireCommand(ended, { nats: nats.current.url, author: "carol" }, io), 0);
    const { nc, js } = await client(nats.current.url);
    const kv = await new Kvm(js).open(config.state.alertBucket);
    try {
      await eventually("the engine sees both", async () => ((await engine.silences.list()).length >= 2 ? true : undefined));
      clock.advance(30 * 60_000); // within the retention: kept
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.ok(await kv.get(`silence.${ended}`).then((e) => e?.operation === "PUT"), "kept while within the retention");

      clock.advance(31 * 60_000);
      await eventually("the expired silence deleted", async () => ((await kv.get(`silence.${ended}`))?.operation === "PUT" ? undefined : true));
      const purged = await eventually("audited", async () => (await auditRecords(js)).find((r) => r.action === "silence.purged" && r.subject === ended));
      assert.equal((purged.details as { retentionMs: number }).retentionMs, 3_600_000);
      assert.equal((await kv.get(`silence.${running}`))?.operation, "PUT", "the running silence stays");
      assert.deepEqual((await engine.silences.list()).map((s) => s.id).filter((id) => id === ended || id === running), [running]);
    } finally {
      await engine.stop();
      await nc.close();
    }
  });
});

describe("alert stage: a notification whose publishing fails", () => {
  const nats = useNatsServer();

  test("is sent at the next tick, not dropped: the dispatcher already counts it as told", async () => {
    const config = testConfig(nats.current.url, await withRoutes("200ms", "1h", { ...diskRule, id: "disk-unsent" }));
    const { js } = await client(nats.current.url);
    // The owner check right after the dispatcher decided on the first notification throws once while the stage goes
    // on (the checks of message commits before it go through): something unexpected, since NATS being away is retried.
    const original = AlertCommits.prototype.confirmOwner;
    const tick = Dispatcher.prototype.tick;
    let decided = false;
    let failed = 0;
    Dispatcher.prototype.tick = function (this: Dispatcher, nowMs: number) {
      const out = tick.call(this, nowMs);
      if (out.length > 0) decided = true;
      return out;
    };
    AlertCommits.prototype.confirmOwner = async function (this: AlertCommits) {
      if (decided && failed === 0) {
        failed++;
        throw new Error("TimeoutError: timeout (NATS restarting)");
      }
      return original.call(this);
    };
    const engine = await startEngine(config);
    try {
      await publishEvent(js, metricEvent("db-1", "disk", 97, Date.now()));
      const sent = await eventually("the group's first notification", async () => {
        const mine = (await notifications(js)).filter((n) => n.groupLabels["alertname"] === "disk-unsent");
        return mine.length > 0 ? mine : undefined;
      });
      assert.equal(failed, 1, "the first attempt failed");
      assert.deepEqual(sent.map((n) => [n.reason, n.firing.map((a) => a.labels["source"])]), [["first", ["db-1"]]]);
    } finally {
      AlertCommits.prototype.confirmOwner = original;
      Dispatcher.prototype.tick = tick;
      await engine.stop();
    }
  });

  test("nor when the stage stops mid-retry with a message behind it: the successor sends it", async () => {
    // A graceful stop (the role handed over) while NATS is away: the tick's publish gives up as the stage stops, and the
    // alert message queued behind the tick in the lane then took the dispatcher's state, the group counted as told,
    // into a commit: the successor loaded the group as told and never sent it (group_interval is an hour here).
    const rule = { ...diskRule, id: "disk-stopping" };
    const config = testConfig(nats.current.url, await withRoutes("200ms", "1h", rule));
    const { js } = await client(nats.current.url);
    let attempts = 0;
    const restore = failPublishing("disk-stopping", () => {
      attempts++;
      return new Error("TimeoutError: timeout (NATS away)");
    });
    const first = await startEngine(config);
    let restored = false;
    try {
      await publishEvent(js, metricEvent("db-1", "disk", 97, Date.now()));
      await eventually("the first notification being retried", () => (attempts > 0 ? true : undefined));
      await publishEvent(js, metricEvent("db-2", "disk", 98, Date.now()));
      // db-2's alert message reaches the stage, which queues it behind the tick.
      await eventually("db-2's alert published", async () => ((await streamJson<{ labels: Record<string, string> }>(js, "KLAXON_ALERTS")).some((a) => a.labels["source"] === "db-2") ? true : undefined));
      await new Promise((r) => setTimeout(r, 300));
      await first.stop();
      restore();
      restored = true;
      const second = await startEngine(config);
      try {
        const sent = await eventually("the group's first notification, from the successor", async () => {
          const mine = (await notifications(js)).filter((n) => n.groupLabels["alertname"] === "disk-stopping");
          return mine.length > 0 ? mine : undefined;
        });
        // db-2 comes with it if its message, not acknowledged by the first engine, is redelivered before the flush.
        assert.deepEqual(
          sent.map((n) => [n.reason, n.firing.some((a) => a.labels["source"] === "db-1")]),
          [["first", true]],
        );
      } finally {
        await second.stop();
      }
    } finally {
      if (!restored) restore();
      await first.stop();
    }
  });

  test("one that no retry can publish is audited as failed and does not hold up the notifications after it", async () => {
    const rule = { ...diskRule, id: "disk-too-big" };
    const later = { ...diskRule, id: "inodes-after", match: { all: [{ fact: "name", operator: "equal", value: "inodes" }] } };
    const dir = await withRoutes("200ms", "1h", rule);
    await writeFile(join(dir, "alerts", "inodes-after.json"), JSON.stringify(later));
    const config = testConfig(nats.current.url, dir);
    const { js } = await client(nats.current.url);
    let attempts = 0;
    const restore = failPublishing("disk-too-big", () => {
      attempts++;
      return new Error("maximum payload exceeded (max_payload)");
    });
    const engine = await startEngine(config);
    try {
      await publishEvent(js, metricEvent("db-3", "disk", 97, Date.now()));
      await eventually("the first group's notification tried", () => (attempts > 0 ? true : undefined));
      await publishEvent(js, metricEvent("db-4", "inodes", 96, Date.now()));
      const sent = await eventually("the next group's notification", async () => {
        const mine = (await notifications(js)).filter((n) => n.groupLabels["alertname"] === "inodes-after");
        return mine.length > 0 ? mine : undefined;
      });
      assert.deepEqual(
        sent.map((n) => n.firing.map((a) => a.labels["source"])),
        [["db-4"]],
      );
      const failed = (await auditRecords(js)).filter((r) => r.action === "group.notification_failed");
      assert.equal(failed.length, 1, "audited once, not at every tick");
      assert.equal(attempts, 1, "not tried again");
      assert.match(String((failed[0]?.details as Record<string, unknown> | undefined)?.["error"]), /max_payload/);
      assert.equal((await engine.metrics.notificationsUnpublishable.get()).values[0]?.value, 1);
    } finally {
      restore();
      await engine.stop();
    }
  });
});

/** The alert stage's private publishing, patched by the tests above to make publishing fail. */
interface StagePrivates {
  publish(notification: GroupNotification): Promise<GroupNotification>;
  retried<T>(what: string, operation: () => Promise<T>): Promise<T>;
}

/**
 * Every attempt to publish a notification of the group `alertname` fails with `failure()`, retried as the stage
 * retries a publish (until it stops, unless the error is permanent); returns the undo.
 */
function failPublishing(alertname: string, failure: () => Error): () => void {
  const stage = AlertStage.prototype as unknown as StagePrivates;
  const publish = stage.publish;
  stage.publish = function (this: StagePrivates, notification) {
    if (notification.groupLabels["alertname"] !== alertname) return publish.call(this, notification);
    return this.retried("notification", () => Promise.reject(failure()));
  };
  return () => {
    stage.publish = publish;
  };
}
