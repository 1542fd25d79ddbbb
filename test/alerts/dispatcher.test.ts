import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Dispatcher, MAX_ALERTS_PER_NOTIFICATION, RESOLVED_KEPT_MS } from "../../src/alerts/dispatcher.js";
import type { AlertRecord, GroupNotification, GroupRecord } from "../../src/alerts/dispatcher.types.js";
import { fromStored, type StoredAlert, type StoredGroup } from "../../src/alerts/stored-state.js";
import { fingerprint } from "../../src/alerts/fingerprint.js";
import { buildRouting } from "../../src/alerts/routing-set.js";
import { Silencer, type Silence } from "../../src/alerts/silences.js";
import { parseMatcher } from "../../src/alerts/matchers.js";

const T0 = Date.parse("2026-03-02T10:00:00Z"); // a Monday
const s = (seconds: number): number => T0 + seconds * 1000;

function routingOf(file: Record<string, unknown>) {
  const result = buildRouting("routes.json", JSON.stringify({ version: 1, receivers: [{ name: "ops" }, { name: "db-team" }], timeIntervals: [], inhibitRules: [], ...file }));
  assert.ok(result.loaded, JSON.stringify(result.issues));
  return result.loaded;
}

const baseRoute = { receiver: "ops", groupBy: ["alertname"], groupWait: "30s", groupInterval: "5m", repeatInterval: "1h" };

function firing(labels: Record<string, string>, startsAtMs: number): AlertRecord {
  const full = { severity: "critical", ...labels };
  return { fingerprint: fingerprint(full), status: "firing", labels: full, annotations: {}, startsAtMs };
}
function resolved(alert: AlertRecord, endsAtMs: number): AlertRecord {
  return { ...alert, status: "resolved", endsAtMs };
}

function setup(route: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  const silencer = new Silencer();
  const loaded = routingOf({ route: { ...baseRoute, ...route }, ...extra });
  const dispatcher = new Dispatcher(loaded.routing, loaded.timeIntervals, silencer);
  return { dispatcher, silencer };
}

/** Tick every second from `from` to `to` (inclusive) and collect what was notified: a clock, not a sleep. */
function run(dispatcher: Dispatcher, from: number, to: number): GroupNotification[] {
  const out: GroupNotification[] = [];
  for (let t = from; t <= to; t += 1000) out.push(...dispatcher.tick(t));
  return out;
}

const names = (n: GroupNotification): string[] => n.firing.map((a) => a.labels.source ?? "?").sort();

describe("dispatcher: alerts held", () => {
  test("alerts from one rule share one generator object; their labels are unchanged", () => {
    const { dispatcher } = setup();
    const alerts = [0, 1, 2].map((i) => {
      const labels = JSON.parse(JSON.stringify({ alertname: "disk", severity: "critical", source: `host-${i}` })) as Record<string, string>;
      const record: AlertRecord = { fingerprint: fingerprint(labels), status: "firing", labels, annotations: {}, startsAtMs: s(i), generator: { rule: "disk", version: 3 } };
      dispatcher.receive(record, s(i));
      return record;
    });
    const held = alerts.map((a) => dispatcher.getAlert(a.fingerprint));
    assert.ok(held[0]?.generator !== undefined, "the generator is kept");
    assert.equal(held[1]?.generator, held[0]?.generator, "one object for every alert of rule disk, version 3");
    assert.equal(held[2]?.generator, held[0]?.generator);
    assert.deepEqual(held[2]?.generator, { rule: "disk", version: 3 });
    assert.deepEqual(held.map((a) => a?.labels.source), ["host-0", "host-1", "host-2"]);
    dispatcher.receive({ ...alerts[0], fingerprint: "f".repeat(16), generator: { rule: "disk", version: 4 } } as AlertRecord, s(5));
    assert.deepEqual(dispatcher.getAlert("f".repeat(16))?.generator, { rule: "disk", version: 4 }, "another version is another generator");
  });
});

describe("dispatcher: Alertmanager grouping semantics", () => {
  test("group_wait batches alerts that arrive together into one first notification", () => {
    const { dispatcher } = setup();
    dispatcher.receive(firing({ alertname: "disk", source: "a" }, s(0)), s(0));
    dispatcher.receive(firing({ alertname: "disk", source: "b" }, s(10)), s(10));
    assert.deepEqual(run(dispatcher, s(0), s(29)), [], "nothing before group_wait");
    const [first, ...rest] = run(dispatcher, s(30), s(30));
    assert.equal(rest.length, 0);
    assert.equal(first?.reason, "first");
    assert.deepEqual(first && names(first), ["a", "b"]);
    assert.deepEqual(first?.groupLabels, { alertname: "disk" });
    assert.match(first?.id ?? "", /^[0-9a-f]+:[0-9a-f]+:1:[0-9a-z]+$/, "group, episode, the first notification, its content");
  });

  test("a group formed again after its alerts resolved gets notification ids of its own; replaying the same alerts gives the same ids", () => {
    const episodes = (): GroupNotification[] => {
      const { dispatcher } = setup();
      const disk = firing({ alertname: "disk", source: "a" }, s(0));
      dispatcher.receive(disk, s(0));
      const out = run(dispatcher, s(0), s(30));
      dispatcher.receive(resolved(disk, s(40)), s(40));
      out.push(...run(dispatcher, s(41), s(330))); // the resolve goes out; the empty group is deleted
      assert.equal(dispatcher.groupList().length, 0, "the group is gone once its alerts resolved and were told");
      dispatcher.receive(firing({ alertname: "disk", source: "a" }, s(400)), s(400));
      out.push(...run(dispatcher, s(400), s(430)));
      return out;
    };
    const first = episodes();
    assert.deepEqual(first.map((n) => n.reason), ["first", "resolved", "first"]);
    assert.equal(first[0]?.groupId, first[2]?.groupId, "the same group, by its labels");
    assert.equal(new Set(first.map((n) => n.id)).size, 3, `ids ${first.map((n) => n.id).join(", ")}`);
    assert.deepEqual(episodes().map((n) => n.id), first.map((n) => n.id), "deterministic: a coordinator replaying after a crash repeats them");
  });

  test("a group stored before episodes existed keeps its ids: <group id>:<n>", () => {
    const first = setup();
    first.dispatcher.receive(firing({ alertname: "disk", source: "a" }, s(0)), s(0));
    const [told] = run(first.dispatcher, s(0), s(30));
    const stored = first.dispatcher.groupList().map(({ episode: _episode, ...group }) => ({ ...group }));
    const second = setup();
    second.dispatcher.restore(first.dispatcher.alertList(), stored, s(31));
    second.dispatcher.receive(firing({ alertname: "disk", source: "b" }, s(60)), s(60));
    const [next] = run(second.dispatcher, s(60), s(400));
    assert.equal(next?.reason, "new_alerts");
    assert.equal(next?.id, `${told?.groupId}:2`);
  });

  test("a group of hundreds: notifications list the first alerts of each kind and count them all", () => {
    const { dispatcher, silencer } = setup();
    const alerts = Array.from({ length: 250 }, (_, i) => firing({ alertname: "disk", source: `h${i}` }, s(0)));
    for (const a of alerts) dispatcher.receive(a, s(0));
    silencer.upsert({ id: "s1", matchers: [parseMatcher('source=~"h2[0-9][0-9]"')], startsAtMs: s(0), endsAtMs: s(99_999), createdBy: "alice", comment: "", updatedAtMs: s(0) });
    const [first] = run(dispatcher, s(0), s(30));
    assert.equal(first?.firingCount, 200, "h0-h199 fire; h200-h249 are silenced");
    assert.equal(first?.mutedCount, 50);
    assert.equal(first?.firing.length, MAX_ALERTS_PER_NOTIFICATION);
    assert.deepEqual(first?.firing.map((a) => a.labels.source), alerts.slice(0, MAX_ALERTS_PER_NOTIFICATION).map((a) => a.labels.source), "the first to join");
    assert.equal(first?.muted.length, 50);
    // The group remembers every alert it told of, listed or not: nothing new, so no notification.
    assert.deepEqual(run(dispatcher, s(31), s(330)), []);
    dispatcher.receive(firing({ alertname: "disk", source: "late" }, s(400)), s(400));
    for (const a of alerts.slice(0, 150)) dispatcher.receive(resolved(a, s(400)), s(400));
    const [update] = run(dispatcher, s(331), s(630));
    assert.equal(update?.reason, "new_alerts");
    assert.equal(update?.firingCount, 51, "h150-h199 and late");
    assert.equal(update?.resolvedCount, 150);
    assert.equal(update?.resolved.length, MAX_ALERTS_PER_NOTIFICATION);
    assert.deepEqual(update && names(update), [...alerts.slice(150, 200).map((a) => a.labels.source as string), "late"].sort());
  });

  test("a change is sent no sooner than group_interval after the last notification", () => {
    const { dispatcher } = setup();
    dispatcher.receive(firing({ alertname: "disk", source: "a" }, s(0)), s(0));
    run(dispatcher, s(0), s(30));
    dispatcher.receive(firing({ alertname: "disk", source: "c" }, s(40)), s(40));
    assert.deepEqual(run(dispatcher, s(31), s(329)), [], "held until 30s + 5m");
    const [update] = run(dispatcher, s(330), s(330));
    assert.equal(update?.reason, "new_alerts");
    assert.deepEqual(update && names(update), ["a", "c"]);
  });

  test("an unchanged firing group is repeated after repeat_interval, at a group_interval tick", () => {
    const { dispatcher } = setup();
    dispatcher.receive(firing({ alertname: "disk", source: "a" }, s(0)), s(0));
    const sent = run(dispatcher, s(0), s(30 + 3600 + 300));
    assert.deepEqual(sent.map((n) => [n.reason, (n.atMs - T0) / 1000]), [["first", 30], ["repeat", 3630]]);
  });

  test("a resolved alert is announced at the next interval, then leaves the group; an empty group goes away", () => {
    const { dispatcher } = setup();
    const a = firing({ alertname: "disk", source: "a" }, s(0));
    dispatcher.receive(a, s(0));
    run(dispatcher, s(0), s(30));
    dispatcher.receive(resolved(a, s(60)), s(60));
    const [n] = run(dispatcher, s(31), s(330));
    assert.equal(n?.reason, "resolved");
    assert.equal(n?.status, "resolved");
    assert.deepEqual(n?.resolved.map((r) => r.labels.source), ["a"]);
    assert.equal(dispatcher.groupList().length, 0);
    // Kept, resolved, for a while (see the redelivery test below), then gone.
    assert.deepEqual(
      dispatcher.alertList().map((x) => x.status),
      ["resolved"],
    );
    dispatcher.takeChanges();
    run(dispatcher, s(331), s(60) + RESOLVED_KEPT_MS);
    assert.equal(dispatcher.alertList().length, 0);
    assert.deepEqual(dispatcher.takeChanges().deletedAlerts, [a.fingerprint], "and its record deleted");
  });

  test("a firing redelivered after its own resolve (a coordinator died with it in hand) is a duplicate, not a new alert", () => {
    // Each alert its own group, gone once its resolve is told: then only the kept record knows the episode.
    const { dispatcher } = setup({ groupBy: ["alertname", "source"], groupInterval: "5s" });
    const first = firing({ alertname: "disk", source: "a" }, s(0));
    dispatcher.receive(first, s(0));
    run(dispatcher, s(0), s(30));
    dispatcher.receive(resolved(first, s(40)), s(40));
    run(dispatcher, s(41), s(50));
    assert.equal(dispatcher.groupList().length, 0, "its resolve told, its group gone");
    // It fires again; its successor takes the resolve before the firing, which comes back after the ack wait.
    const again = firing({ alertname: "disk", source: "a" }, s(60));
    assert.equal(dispatcher.receive(resolved(again, s(90)), s(95)), "stale", "nothing to tell of a resolve whose firing has not come");
    assert.equal(dispatcher.receive(again, s(98)), "duplicate");
    assert.deepEqual(run(dispatcher, s(98), s(400)), [], "nobody is told of an alert that is over");
    assert.deepEqual(
      dispatcher.alertList().map((x) => [x.status, x.startsAtMs]),
      [["resolved", s(60)]],
      "and it is not left firing for good",
    );
    assert.equal(dispatcher.countByState(s(400)).firing, 0);
    // Past the time kept, a new episode is new again.
    run(dispatcher, s(401), s(90) + RESOLVED_KEPT_MS);
    assert.equal(dispatcher.alertList().length, 0);
    assert.equal(dispatcher.receive(firing({ alertname: "disk", source: "a" }, s(2_000)), s(2_000)), "new");
  });

  test("sendResolved: false keeps resolves quiet", () => {
    const { dispatcher } = setup({ sendResolved: false });
    const a = firing({ alertname: "disk", source: "a" }, s(0));
    dispatcher.receive(a, s(0));
    run(dispatcher, s(0), s(30));
    dispatcher.receive(resolved(a, s(60)), s(60));
    assert.deepEqual(run(dispatcher, s(31), s(4000)), []);
  });

  test("an alert that fires and resolves within group_wait is never sent", () => {
    const { dispatcher } = setup();
    const a = firing({ alertname: "disk", source: "a" }, s(0));
    dispatcher.receive(a, s(0));
    dispatcher.receive(resolved(a, s(5)), s(5));
    assert.deepEqual(run(dispatcher, s(0), s(400)), []);
  });

  test("the same alert again (redelivery, second producer) is a duplicate; an older episode is stale", () => {
    const { dispatcher } = setup();
    const a = firing({ alertname: "disk", source: "a" }, s(0));
    assert.equal(dispatcher.receive(a, s(0)), "new");
    assert.equal(dispatcher.receive({ ...a }, s(1)), "duplicate");
    assert.equal(dispatcher.receive(resolved(a, s(9)), s(9)), "resolved");
    assert.equal(dispatcher.receive(resolved(a, s(9)), s(10)), "duplicate");
    assert.equal(dispatcher.receive(a, s(11)), "duplicate", "a late copy of the firing does not reopen it");
    assert.equal(dispatcher.receive(firing({ alertname: "disk", source: "a" }, s(-100)), s(12)), "stale");
    assert.equal(dispatcher.receive(firing({ alertname: "disk", source: "a" }, s(20)), s(20)), "new");
    assert.equal(dispatcher.alertList().length, 1);
  });

  test("an alert that has been firing longer than group_wait (found after a restart) is sent at once", () => {
    const { dispatcher } = setup();
    dispatcher.receive(firing({ alertname: "disk", source: "a" }, s(-600)), s(0));
    assert.equal(run(dispatcher, s(0), s(0)).length, 1);
  });
});

describe("dispatcher: routes", () => {
  test("continue sends one alert to several receivers, each with its own group", () => {
    const { dispatcher } = setup({
      routes: [
        { matchers: ['team="db"'], receiver: "db-team", continue: true },
        { matchers: ['severity="critical"'], receiver: "ops" },
      ],
    });
    dispatcher.receive(firing({ alertname: "replica-lag", team: "db", source: "db-1" }, s(0)), s(0));
    const sent = run(dispatcher, s(0), s(30));
    assert.deepEqual(sent.map((n) => n.receiver).sort(), ["db-team", "ops"]);
  });
});

describe("dispatcher: silences", () => {
  const silence = (id: string, matchers: string[], startsAtMs: number, endsAtMs: number): Silence => ({
    id,
    matchers: matchers.map(parseMatcher),
    startsAtMs,
    endsAtMs,
    createdBy: "alice",
    comment: "maintenance",
    updatedAtMs: startsAtMs,
  });

  test("a silenced alert is tracked but not notified; when the silence expires it is notified", () => {
    const { dispatcher, silencer } = setup();
    silencer.upsert(silence("s1", ['source="a"'], s(0), s(600)));
    dispatcher.receive(firing({ alertname: "disk", source: "a" }, s(0)), s(0));
    dispatcher.receive(firing({ alertname: "disk", source: "b" }, s(0)), s(0));
    const [first] = run(dispatcher, s(0), s(30));
    assert.deepEqual(first && names(first), ["b"]);
    assert.deepEqual(first?.muted, [{ fingerprint: fingerprint({ severity: "critical", alertname: "disk", source: "a" }), by: ["s1"] }]);
    assert.deepEqual(run(dispatcher, s(31), s(599)), [], "still silenced at the 330s tick");
    const [after] = run(dispatcher, s(600), s(630));
    assert.equal(after?.reason, "new_alerts", "expiry makes it news at the next interval (630s)");
    assert.deepEqual(after && names(after), ["a", "b"]);
  });

  test("a silence added after the first notification mutes repeats, and a group of only silenced alerts sends nothing", () => {
    const { dispatcher, silencer } = setup();
    dispatcher.receive(firing({ alertname: "disk", source: "a" }, s(0)), s(0));
    assert.equal(run(dispatcher, s(0), s(30)).length, 1);
    silencer.upsert(silence("s2", ['alertname="disk"'], s(40), s(10_000)));
    assert.deepEqual(run(dispatcher, s(31), s(8000)), []);
  });
});

describe("dispatcher: inhibition", () => {
  const extra = { inhibitRules: [{ sourceMatchers: ['alertname="datacenter-down"'], targetMatchers: ['severity=~"warning|critical"'], equal: ["datacenter"] }] };

  test("a firing source mutes targets sharing the equal labels; when it resolves they are notified", () => {
    const { dispatcher } = setup({ groupBy: ["..."] }, extra);
    const dc = firing({ alertname: "datacenter-down", datacenter: "fra" }, s(0));
    dispatcher.receive(dc, s(0));
    dispatcher.receive(firing({ alertname: "api-down", datacenter: "fra", source: "api-fra" }, s(0)), s(0));
    dispatcher.receive(firing({ alertname: "api-down", datacenter: "ams", source: "api-ams" }, s(0)), s(0));
    const first = run(dispatcher, s(0), s(30));
    const sentNames = first.flatMap((n) => n.firing.map((a) => `${a.labels.alertname}/${a.labels.datacenter}`)).sort();
    assert.deepEqual(sentNames, ["api-down/ams", "datacenter-down/fra"], "api-down in fra is inhibited; the source does not inhibit itself");
    dispatcher.receive(resolved(dc, s(100)), s(100));
    const later = run(dispatcher, s(31), s(330));
    assert.ok(later.some((n) => n.firing.some((a) => a.labels.source === "api-fra") && n.reason === "first"), "released when the source resolves");
  });

  test("counts by state agree with the listing: silenced and inhibited count as suppressed", () => {
    const { dispatcher, silencer } = setup({ groupBy: ["..."] }, extra);
    silencer.upsert({ id: "s1", matchers: [parseMatcher('source="db-1"')], startsAtMs: s(0), endsAtMs: s(600), createdBy: "alice", comment: "", updatedAtMs: s(0) });
    const dc = firing({ alertname: "datacenter-down", datacenter: "fra" }, s(0));
    for (const alert of [dc, firing({ alertname: "api-down", datacenter: "fra", source: "api-fra" }, s(0)), firing({ alertname: "db-down", source: "db-1" }, s(0)), firing({ alertname: "api-down", datacenter: "ams", source: "api-ams" }, s(0))]) {
      dispatcher.receive(alert, s(0));
    }
    const other = firing({ alertname: "disk", source: "x" }, s(0));
    dispatcher.receive(other, s(0));
    dispatcher.receive(resolved(other, s(5)), s(5));
    const listed = { firing: 0, suppressed: 0, resolved: 0 };
    const { alerts, mutedBy } = dispatcher.alertsAndMutes(s(10));
    for (const alert of alerts) listed[alert.status === "resolved" ? "resolved" : mutedBy(alert).length > 0 ? "suppressed" : "firing"]++;
    assert.deepEqual(dispatcher.countByState(s(10)), { firing: 2, suppressed: 2, resolved: 1 });
    assert.deepEqual(dispatcher.countByState(s(10)), listed);
  });
});

describe("dispatcher: mute time intervals across DST", () => {
  // Nightly maintenance 01:00–04:00 Europe/Berlin; on 2026-03-29 clocks jump from 02:00 to 03:00.
  const maintenance = { timeIntervals: [{ name: "nightly", timeZone: "Europe/Berlin", intervals: [{ times: [{ start: "01:00", end: "04:00" }] }] }] };

  test("a flush during the window is held; the next one after it ends goes out (winter and summer time)", () => {
    for (const [day, windowEndUtc] of [
      ["2026-03-28", "2026-03-28T03:00:00Z"], // CET, UTC+1
      ["2026-03-29", "2026-03-29T02:00:00Z"], // switched to CEST overnight, UTC+2
    ] as const) {
      const { dispatcher } = setup({ groupInterval: "1m", routes: [{ matchers: ['severity="critical"'], muteTimeIntervals: ["nightly"] }] }, maintenance);
      const start = Date.parse(`${day}T00:30:00Z`); // 01:30 local: inside the window on both days
      dispatcher.receive(firing({ alertname: "disk", source: "a" }, start), start);
      const sent: GroupNotification[] = [];
      for (let t = start; t <= start + 4 * 3600_000 && sent.length === 0; t += 1000) sent.push(...dispatcher.tick(t));
      const endMs = Date.parse(windowEndUtc);
      assert.equal(sent.length, 1, day);
      assert.ok((sent[0] as GroupNotification).atMs >= endMs && (sent[0] as GroupNotification).atMs < endMs + 60_000, `${day}: sent at ${new Date((sent[0] as GroupNotification).atMs).toISOString()}, window ended ${windowEndUtc}`);
    }
  });
});

describe("dispatcher: state survives a restart", () => {
  test("groups restored from the store flush once, at their due time", () => {
    const first = setup();
    first.dispatcher.receive(firing({ alertname: "disk", source: "a" }, s(0)), s(0));
    const stored = first.dispatcher.takeChanges();
    const json = JSON.parse(JSON.stringify(stored)) as typeof stored;
    const second = setup();
    const restored = fromStored(json.alerts, json.groups);
    second.dispatcher.restore(restored.alerts, restored.groups, s(1));
    assert.deepEqual(run(second.dispatcher, s(1), s(29)), []);
    assert.equal(run(second.dispatcher, s(30), s(300)).length, 1);
  });

  test("a coordinator that died after notifying and before storing it: its successor repeats the id only when it says the same", () => {
    const first = setup();
    first.dispatcher.receive(firing({ alertname: "disk", source: "a" }, s(0)), s(0));
    const stored = JSON.parse(JSON.stringify(first.dispatcher.takeChanges())) as ReturnType<Dispatcher["takeChanges"]>;
    const [sent] = run(first.dispatcher, s(30), s(30)); // published; the told state never stored
    const successor = (late: AlertRecord[]): GroupNotification | undefined => {
      const { dispatcher } = setup();
      const restored = fromStored(stored.alerts, stored.groups);
      dispatcher.restore(restored.alerts, restored.groups, s(31));
      for (const alert of late) dispatcher.receive(alert, s(31));
      return run(dispatcher, s(31), s(31))[0];
    };
    assert.equal(successor([])?.id, sent?.id, "the same notification: JetStream drops the repeat");
    const more = successor([firing({ alertname: "disk", source: "b" }, s(31))]);
    assert.deepEqual(more && names(more), ["a", "b"]);
    assert.notEqual(more?.id, sent?.id, "b, which arrived meanwhile, is told: the id is not the one already used");
  });

  /** Apply changes to a map standing in for the KV bucket, as the store does (JSON in between). */
  function store(): { apply(changes: ReturnType<Dispatcher["takeChanges"]>): void; load(): ReturnType<typeof fromStored> } {
    const alerts = new Map<string, StoredAlert>();
    const groups = new Map<string, StoredGroup>();
    return {
      apply(changes) {
        const json = JSON.parse(JSON.stringify(changes)) as typeof changes;
        for (const a of json.alerts) alerts.set(a.fingerprint, a);
        for (const fp of json.deletedAlerts) alerts.delete(fp);
        for (const g of json.groups) groups.set(g.id, g);
        for (const id of json.deletedGroups) groups.delete(id);
      },
      load: () => fromStored([...alerts.values()], [...groups.values()]),
    };
  }

  test("alerts joining a group that exists are written alone: the group's record is not rewritten for each", () => {
    const { dispatcher } = setup();
    dispatcher.receive(firing({ alertname: "disk", source: "a" }, s(0)), s(0));
    assert.equal(dispatcher.takeChanges().groups.length, 1, "a new group is written");
    run(dispatcher, s(1), s(30)); // flushed
    assert.equal(dispatcher.takeChanges().groups.length, 1, "a flush changes the group");
    for (let i = 0; i < 50; i++) dispatcher.receive(firing({ alertname: "disk", source: `b${i}` }, s(31)), s(31));
    const changes = dispatcher.takeChanges();
    assert.equal(changes.alerts.length, 50);
    assert.deepEqual(changes.groups, []);
    assert.ok(changes.alerts.every((a) => a.groups?.length === 1));
  });

  test("membership kept in the alerts restores every group as it was, resolved alerts gone from it", () => {
    const first = setup();
    const kv = store();
    for (const source of ["a", "b", "c"]) first.dispatcher.receive(firing({ alertname: "disk", source }, s(0)), s(0));
    first.dispatcher.receive(firing({ alertname: "cpu", source: "a" }, s(0)), s(0));
    kv.apply(first.dispatcher.takeChanges());
    run(first.dispatcher, s(1), s(30));
    first.dispatcher.receive(resolved(firing({ alertname: "disk", source: "b" }, s(0)), s(40)), s(40));
    run(first.dispatcher, s(41), s(400)); // the resolve goes out; b leaves its group
    kv.apply(first.dispatcher.takeChanges());
    const loaded = kv.load();
    const members = (groups: readonly GroupRecord[]): string[][] => groups.map((g) => [...g.fingerprints].sort()).sort();
    assert.deepEqual(members(loaded.groups), members(first.dispatcher.groupList()));
    assert.deepEqual(loaded.alerts.map((a) => a.fingerprint).sort(), first.dispatcher.alertList().map((a) => a.fingerprint).sort());
    assert.ok(loaded.alerts.every((a) => !("groups" in a)), "alert records come back as the dispatcher holds them");
    // And the restored dispatcher behaves as the first: a new alert in the disk group waits for the group interval.
    const second = setup();
    second.dispatcher.restore(loaded.alerts, loaded.groups, s(500));
    for (const d of [first.dispatcher, second.dispatcher]) d.receive(firing({ alertname: "disk", source: "d" }, s(500)), s(500));
    const summary = (ns: GroupNotification[]): string[] => ns.map((n) => `${n.reason} ${names(n).join(",")}`);
    const expected = summary(run(first.dispatcher, s(500), s(1000)));
    assert.deepEqual(summary(run(second.dispatcher, s(500), s(1000))), expected);
    assert.deepEqual(expected, ["new_alerts a,c,d"]);
  });

  test("a coordinator killed between an alert's write and its group's: the successor groups the alert again and pages", () => {
    const first = setup();
    const alert = firing({ alertname: "disk", source: "a" }, s(0));
    first.dispatcher.receive(alert, s(0));
    const changes = JSON.parse(JSON.stringify(first.dispatcher.takeChanges())) as ReturnType<Dispatcher["takeChanges"]>;
    assert.deepEqual([changes.alerts.length, changes.groups.length], [1, 1], "one commit writes both keys, side by side");
    // The alert's key was stored, the group's was not; the message was not acknowledged and comes again.
    const torn = fromStored(changes.alerts, []);
    const second = setup();
    second.dispatcher.restore(torn.alerts, torn.groups, s(5));
    assert.equal(second.dispatcher.receive(alert, s(5)), "duplicate", "the redelivered message changes nothing by itself");
    const sent = run(second.dispatcher, s(5), s(60));
    assert.deepEqual(sent.map((n) => `${n.reason} ${names(n).join(",")}`), ["first a"]);
    assert.equal(sent[0]?.id, run(first.dispatcher, s(0), s(60))[0]?.id, "the group the dead coordinator formed, under the same id");
    const repaired = second.dispatcher.takeChanges();
    assert.deepEqual(repaired.groups.map((g) => g.id), [sent[0]?.groupId], "the repair is stored with the next commit");
  });

  test("an alert in two groups (continue) whose commit stored one of them: the successor forms the other again", () => {
    const routes = { routes: [{ matchers: ['team="db"'], receiver: "db-team", continue: true }, { matchers: ['severity="critical"'], receiver: "ops" }] };
    const first = setup(routes);
    const alert = firing({ alertname: "replica-lag", team: "db", source: "db-1" }, s(0));
    first.dispatcher.receive(alert, s(0));
    const changes = JSON.parse(JSON.stringify(first.dispatcher.takeChanges())) as ReturnType<Dispatcher["takeChanges"]>;
    const dbGroup = changes.groups.find((g) => g.receiver === "db-team");
    assert.ok(dbGroup, "the db-team group is in the commit");
    const torn = fromStored(changes.alerts, [dbGroup]);
    const second = setup(routes);
    second.dispatcher.restore(torn.alerts, torn.groups, s(5), torn.unstoredGroups);
    const sent = run(second.dispatcher, s(5), s(60));
    assert.deepEqual(sent.map((n) => `${n.receiver} ${n.reason}`).sort(), ["db-team first", "ops first"]);
    assert.deepEqual(sent.map((n) => n.id).sort(), run(first.dispatcher, s(0), s(60)).map((n) => n.id).sort(), "the groups the dead coordinator formed, under the same ids");
  });

  test("a resolved alert stored without the group that told of it is kept as resolved on restore, then dropped", () => {
    const first = setup();
    const alert = firing({ alertname: "disk", source: "a" }, s(0));
    first.dispatcher.receive(alert, s(0));
    run(first.dispatcher, s(0), s(30));
    first.dispatcher.receive(resolved(alert, s(40)), s(40));
    first.dispatcher.takeChanges();
    // As if the group's deletion had been stored, and not the alert's.
    const torn = fromStored([{ ...resolved(alert, s(40)), groups: [] }], []);
    const second = setup();
    second.dispatcher.restore(torn.alerts, torn.groups, s(400));
    assert.equal(second.dispatcher.getAlert(alert.fingerprint)?.status, "resolved", "kept until RESOLVED_KEPT_MS after it ended");
    assert.deepEqual(run(second.dispatcher, s(400), s(500)), [], "nothing to tell");
    second.dispatcher.takeChanges();
    run(second.dispatcher, s(501), s(40) + RESOLVED_KEPT_MS);
    assert.equal(second.dispatcher.getAlert(alert.fingerprint), undefined);
    assert.deepEqual(second.dispatcher.takeChanges().deletedAlerts, [alert.fingerprint]);
    // Restored after that time, it is dropped at once.
    const third = setup();
    third.dispatcher.restore(torn.alerts, torn.groups, s(41) + RESOLVED_KEPT_MS);
    assert.equal(third.dispatcher.getAlert(alert.fingerprint), undefined);
    assert.deepEqual(third.dispatcher.takeChanges().deletedAlerts, [alert.fingerprint]);
  });

  test("groups stored with their member list (the earlier layout) restore the same", () => {
    const first = setup();
    for (const source of ["a", "b"]) first.dispatcher.receive(firing({ alertname: "disk", source }, s(0)), s(0));
    const changes = JSON.parse(JSON.stringify(first.dispatcher.takeChanges())) as ReturnType<Dispatcher["takeChanges"]>;
    const legacyGroups = first.dispatcher.groupList().map((g) => ({ ...g }));
    const legacyAlerts = changes.alerts.map(({ groups: _ids, ...alert }) => alert);
    const loaded = fromStored(legacyAlerts, legacyGroups);
    assert.deepEqual(loaded.groups.map((g) => [...g.fingerprints].sort()), first.dispatcher.groupList().map((g) => [...g.fingerprints].sort()));
    const second = setup();
    second.dispatcher.restore(loaded.alerts, loaded.groups, s(30));
    assert.equal(run(second.dispatcher, s(30), s(300))[0]?.firing.length, 2);
  });
});
