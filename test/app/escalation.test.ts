import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { capture } from "../support/output.js";
import { incidentsCommand, resolveCommand } from "../../src/cli/commands/incidents.js";
import { client, eventually, useNatsServer, metricEvent, publishEvent, readStream, rulesDir, startEngine, testConfig } from "../support/engine.js";
import { FakeClock } from "../../src/core/clock.js";
import { alice, bob, dbDownRule, dbPolicy, writeJson } from "../support/oncall-fixtures.js";
import type { PageMessage } from "../../src/app/escalation-stage.js";
import { auditRecords } from "../support/audit-records.js";
import { KvEscalationStore } from "../../src/store/jetstream/escalation-store.js";
import { openIncident } from "../../src/escalate/incident.js";
import { escalationPolicySchema } from "../../src/escalate/policy.schema.js";

const MIN = 60_000;

async function oncallRules(): Promise<string> {
  const dir = await rulesDir([dbDownRule]);
  const write = (path: string, value: unknown): Promise<void> => writeJson(dir, path, value);
  await write("routes/routes.json", { version: 1, route: { receiver: "db", groupWait: "0s", groupInterval: "1m" }, receivers: [{ name: "db", policy: "db-policy" }] });
  await write("policies/db-policy.json", dbPolicy);
  await write("users/users.json", { version: 1, users: [alice, bob] });
  await write("schedules/db-primary.json", { id: "db-primary", version: 1, name: "DB", timeZone: "UTC", layers: [{ name: "only", rotation: { participants: ["alice"], start: "2026-01-01T00:00:00", shift: "1w" } }] });
  return dir;
}

/** An engine on the on-call rules with a clock of its own, and a client. */
async function oncallEngine(url: string) {
  const clock = new FakeClock(Date.now());
  const engine = await startEngine(testConfig(url, await oncallRules()), clock);
  return { clock, engine, ...(await client(url)) };
}

// The pages stream also carries the notify stage's incident updates (klaxon.pages.update): pages only here.
const pages = async (js: Parameters<typeof readStream>[0]): Promise<PageMessage[]> =>
  (await readStream(js, "KLAXON_PAGES")).filter((m) => m.subject !== "klaxon.pages.update").map((m) => m.json<PageMessage>());

describe("escalation on a real nats-server", () => {
  const nats = useNatsServer();

  test("pages the on-call person, escalates on time, survives a dead engine, and stops when acknowledged", async () => {
    const clock = new FakeClock(Date.now());
    const dir = await oncallRules();
    const tokens = join(await mkdtemp(join(tmpdir(), "klaxon-tokens-")), "tokens");
    await writeFile(tokens, "bob bobs-token-0123456789abcdef\n");
    const config = testConfig(nats.current.url, dir, { http: { port: 0, tokensFile: tokens } });
    const { nc, js } = await client(nats.current.url);
    let engine = await startEngine(config, clock);
    await publishEvent(js, metricEvent("db-1", "db_up", 0, clock.now()));

    const first = await eventually("alice is paged on Slack", async () => {
      const all = await pages(js);
      return all.length > 0 ? all : undefined;
    });
    assert.deepEqual(first.map((p) => [p.user, p.channel, p.address]), [["alice", "slack", "U0ALICE"]]);
    assert.match(first[0]?.title ?? "", /db-down: db-1 is down/);
    const incidentId = first[0]?.incidentId as string;

    clock.advance(2 * MIN);
    await eventually("alice's SMS follows after 2 minutes unacknowledged", async () => ((await pages(js)).some((p) => p.channel === "sms") ? true : undefined));
    // Crash only once the SMS is fully on record, so the audit trail below has exactly one record per page.
    await eventually("the SMS is audited", async () => ((await auditRecords(js)).filter((r) => r.action === "page.sent").length === 2 ? true : undefined));

    // Every engine dies; the level-2 step falls due while none runs.
    await engine.crash();
    clock.advance(4 * MIN);
    engine = await startEngine(config, clock);
    await eventually("bob is paged once the engine is back", async () => ((await pages(js)).some((p) => p.user === "bob") ? true : undefined));

    const base = `http://127.0.0.1:${engine.httpPort}/api/v1/incidents`;
    assert.equal((await fetch(`${base}/${incidentId}/ack`, { method: "POST" })).status, 401, "acknowledging needs a token");
    const ack = await fetch(`${base}/${incidentId}/ack`, { method: "POST", headers: { authorization: "Bearer bobs-token-0123456789abcdef" } });
    assert.equal(ack.status, 200);
    assert.equal(((await ack.json()) as { changed: boolean }).changed, true);
    assert.equal((await engine.incidents.acknowledge(incidentId, "alice", "slack")).reason, "already acknowledged by bob via http");
    assert.equal((await fetch(`${base}/no-such-incident/ack`, { method: "POST", headers: { authorization: "Bearer bobs-token-0123456789abcdef" } })).status, 404);
    clock.advance(60 * MIN);
    await new Promise((r) => setTimeout(r, 300));

    const all = await pages(js);
    assert.deepEqual(all.map((p) => `${p.user}/${p.channel}`), ["alice/slack", "alice/sms", "bob/slack"], "each page exactly once, nothing after the ack");

    const io = capture();
    assert.equal(await resolveCommand(incidentId, { nats: nats.current.url, author: "carol", rules: dir }, io), 0);
    assert.match(io.out.join("\n"), new RegExp(`resolved ${incidentId}  resolved by carol via cli`));
    assert.equal(await incidentsCommand({ nats: nats.current.url, rules: dir }, io), 0);
    assert.match(io.out.at(-1) ?? "", /no open incidents/);
    assert.equal(new Set(all.map((p) => p.id)).size, all.length);
    // notify.* records (the channels' deliveries) are the notify stage's, tested in test/notify.
    const audit = (await auditRecords(js)).filter((r) => r.subject === incidentId && !String(r.action).startsWith("notify."));
    assert.deepEqual(
      audit.map((r) => r.action),
      ["incident.opened", "page.sent", "page.sent", "incident.escalated", "page.sent", "incident.acknowledged", "incident.resolved"],
    );
    assert.deepEqual(audit.filter((r) => String(r.action).startsWith("incident.ack") || r.action === "incident.resolved").map((r) => [r.actor, (r.details as { via: string }).via]), [["bob", "http"], ["carol", "cli"]]);
    const escalated = audit.find((r) => r.action === "incident.escalated");
    assert.ok(((escalated?.details as { lateByMs: number }).lateByMs ?? 0) >= MIN, "the late step says how late it ran");
    await engine.stop();
    await nc.close();
  });
});

describe("escalation: a group that fires again", () => {
  const nats = useNatsServer();

  test("once its incident resolved with its alerts, the group firing again opens a new incident and pages again", async () => {
    const { clock, nc, js, engine } = await oncallEngine(nats.current.url);
    try {
      const pagedTimes = (count: number): Promise<PageMessage[]> =>
        eventually(`page ${count}`, async () => {
          const all = await pages(js);
          return all.length >= count ? all : undefined;
        });
      await publishEvent(js, metricEvent("db-1", "db_up", 0, clock.now()));
      const [first] = await pagedTimes(1);
      clock.advance(10_000);
      await publishEvent(js, metricEvent("db-1", "db_up", 1, clock.now()));
      clock.advance(MIN); // the group's interval: its resolved notification is due
      await eventually("the incident is resolved with its alerts", async () =>
        (await auditRecords(js)).some((r) => r.action === "incident.resolved" && r.subject === first?.incidentId) ? true : undefined,
      );

      clock.advance(10_000);
      await publishEvent(js, metricEvent("db-1", "db_up", 0, clock.now()));
      const all = await pagedTimes(2);
      assert.deepEqual(all.map((p) => `${p.user}/${p.channel}`), ["alice/slack", "alice/slack"]);
      assert.notEqual(all[1]?.incidentId, first?.incidentId, "a new incident");
      const opened = (await auditRecords(js)).filter((r) => r.action === "incident.opened").map((r) => r.subject);
      assert.deepEqual(opened, [first?.incidentId, all[1]?.incidentId]);
    } finally {
      await engine.stop();
      await nc.close();
    }
  });
});

describe("escalation: messages that are not group notifications", () => {
  const nats = useNatsServer();

  test("a group notification that is not one is skipped and audited; the notifications after it still open incidents", async () => {
    const { clock, nc, js, engine } = await oncallEngine(nats.current.url);
    try {
      // Hand-made publishes on the notifications subject: not JSON, and JSON missing the group.
      const notJson = await js.publish("klaxon.notifications.db", "not json");
      const noGroup = await js.publish("klaxon.notifications.db", JSON.stringify({ id: "x:1", receiver: "db", status: "firing" }));
      await publishEvent(js, metricEvent("db-7", "db_up", 0, clock.now()));
      await eventually("alice is paged about db-7", async () => ((await pages(js)).some((p) => p.title.includes("db-7")) ? true : undefined));
      const skipped = await eventually("both audited", async () => {
        const records = (await auditRecords(js)).filter((r) => r.action === "escalation.invalid_notification");
        return records.length === 2 ? records : undefined;
      });
      assert.deepEqual(skipped.map((r) => (r.details as { seq: number }).seq).sort((a, b) => a - b), [notJson.seq, noGroup.seq]);
      assert.match(String((skipped.find((r) => (r.details as { seq: number }).seq === noGroup.seq)?.details as { why: string }).why), /groupId/);
      const jsm = await js.jetstreamManager();
      await eventually("nothing left unacknowledged", async () => ((await jsm.consumers.info("KLAXON_NOTIFICATIONS", "klaxon-escalate")).num_ack_pending === 0 ? true : undefined));
    } finally {
      await engine.stop();
      await nc.close();
    }
  });
});

describe("escalation: an engine killed between opening an incident and recording it", () => {
  const nats = useNatsServer();

  test("the redelivered notification records the opening before paging, once", async () => {
    const { clock, nc, js, engine } = await oncallEngine(nats.current.url);
    try {
      // What a dead engine left: the incident stored with its first level's pages pending, no audit record, and its
      // group notification not acknowledged (so it comes again).
      const store = await KvEscalationStore.open(nc, "klaxon-escalation");
      const opened = openIncident({ id: "db-9-1", groupId: "g-db-9", receiver: "db", title: "db-9 is down", alertFingerprints: ["fp-db-9"] }, escalationPolicySchema.parse(dbPolicy), clock.now());
      assert.equal(await store.createIncident({ ...opened.incident, pendingPages: opened.pages }), true);
      const alert = { fingerprint: "fp-db-9", status: "firing", labels: { alertname: "db-down", source: "db-9" }, annotations: {}, startsAtMs: clock.now() };
      const notification = { id: "db-9:1", receiver: "db", groupId: "g-db-9", groupLabels: {}, reason: "first", status: "firing", firing: [alert], resolved: [], muted: [], atMs: clock.now() };
      await js.publish("klaxon.notifications.db", JSON.stringify(notification));

      await eventually("alice is paged about db-9", async () => ((await pages(js)).some((p) => p.incidentId === "db-9-1") ? true : undefined));
      // The notify stage's own records (delivery attempts, here to no Slack) follow under the same subject.
      const records = (await auditRecords(js)).filter((r) => r.subject === "db-9-1" && /^(incident|page)\./.test(String(r.action))).map((r) => r.action);
      assert.deepEqual(records, ["incident.opened", "page.sent"]);
    } finally {
      await engine.stop();
      await nc.close();
    }
  });
});

describe("escalation: groups side by side", () => {
  const nats = useNatsServer();

  test("a group whose handling is held up does not hold up another group's page", async () => {
    const dir = await oncallRules();
    await writeJson(dir, "routes/routes.json", { version: 1, route: { receiver: "db", groupBy: ["alertname", "source"], groupWait: "0s", groupInterval: "1m" }, receivers: [{ name: "db", policy: "db-policy" }] });
    // The first group the stage looks at waits here (a slow store, a NATS hiccup) until released.
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let heldGroup: string | undefined;
    const original = KvEscalationStore.prototype.openIncidentOf;
    KvEscalationStore.prototype.openIncidentOf = async function (this: KvEscalationStore, groupId: string) {
      heldGroup ??= groupId;
      if (groupId === heldGroup) await held;
      return original.call(this, groupId);
    };
    const clock = new FakeClock(Date.now());
    const engine = await startEngine(testConfig(nats.current.url, dir), clock);
    const { nc, js } = await client(nats.current.url);
    try {
      await publishEvent(js, metricEvent("db-1", "db_up", 0, clock.now()));
      await eventually("db-1's group reaches the escalation stage", () => heldGroup);
      await publishEvent(js, metricEvent("db-2", "db_up", 0, clock.now()));
      await eventually("alice is paged about db-2 while db-1's group is held up", async () => ((await pages(js)).some((p) => p.title.includes("db-2")) ? true : undefined));
      assert.ok(!(await pages(js)).some((p) => p.title.includes("db-1")), "db-1's group is still held");
      release();
      await eventually("then about db-1", async () => ((await pages(js)).some((p) => p.title.includes("db-1")) ? true : undefined));
    } finally {
      KvEscalationStore.prototype.openIncidentOf = original;
      release();
      await engine.stop();
      await nc.close();
    }
  });
});
