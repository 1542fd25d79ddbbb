import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { acknowledge, advance, openIncident, resolveIncident, type Incident } from "../../src/escalate/incident.js";
import { planPages, type Pageable } from "../../src/escalate/pages.js";
import { escalationPolicySchema, type EscalationPolicy } from "../../src/escalate/policy.schema.js";

const T0 = Date.parse("2026-11-25T03:00:00Z");
const min = (m: number): number => T0 + m * 60_000;

const policy: EscalationPolicy = escalationPolicySchema.parse({
  id: "ops-default",
  version: 1,
  levels: [
    { targets: [{ schedule: "ops-primary" }], delay: "5m" },
    { targets: [{ user: "carol" }], delay: "10m" },
  ],
  repeat: 1,
});

function open(p: EscalationPolicy = policy): Incident {
  return openIncident({ id: "g1:1", groupId: "g1", receiver: "ops", title: "disk full", alertFingerprints: ["f1"] }, p, T0).incident;
}

describe("escalation", () => {
  test("opening pages level 0 at once and schedules level 1 after its delay", () => {
    const { incident, pages } = openIncident({ id: "g1:1", groupId: "g1", receiver: "ops", title: "t", alertFingerprints: [] }, policy, T0);
    assert.deepEqual(pages, [{ incidentId: "g1:1", round: 0, level: 0, atMs: T0, targets: [{ schedule: "ops-primary" }] }]);
    assert.equal(incident.nextStepAtMs, min(5));
    assert.deepEqual(advance(incident, policy, min(5) - 1).pages, [], "not before the delay");
  });

  test("levels follow each other, the policy repeats, then paging stops with the incident still open", () => {
    let incident = open();
    const paged: string[] = [];
    for (let t = T0; t <= min(120); t += 60_000) {
      const result = advance(incident, policy, t);
      incident = result.incident;
      for (const p of result.pages) paged.push(`${(p.atMs - T0) / 60_000}m r${p.round} l${p.level}`);
    }
    assert.deepEqual(paged, ["5m r0 l1", "15m r1 l0", "20m r1 l1"]);
    assert.equal(incident.state, "triggered");
    assert.equal(incident.nextStepAtMs, undefined);
  });

  test("a step that fell due while every engine was down runs once, late", () => {
    const result = advance(open(), policy, min(60));
    assert.equal(result.pages.length, 1);
    assert.equal(result.pages[0]?.level, 1);
    assert.deepEqual(result.events[0]?.details, { level: 1, round: 0, lateByMs: 55 * 60_000 });
    assert.equal(result.incident.nextStepAtMs, min(70));
  });

  test("acknowledge stops escalation and records who and how; a second ack changes nothing", () => {
    const acked = acknowledge(open(), policy, "alice", "slack", min(2));
    assert.ok(acked.changed);
    assert.equal(acked.incident.acknowledgedBy, "alice");
    assert.equal(acked.incident.acknowledgedVia, "slack");
    assert.deepEqual(advance(acked.incident, policy, min(500)).pages, []);
    const again = acknowledge(acked.incident, policy, "bob", "sms", min(3));
    assert.equal(again.changed, false);
    assert.match(again.changed ? "" : again.reason, /already acknowledged by alice/);
  });

  test("with ackTimeout, an acknowledged incident still unresolved escalates again from the first level", () => {
    const withTimeout = { ...policy, ackTimeout: 30 * 60_000 };
    const acked = acknowledge(open(withTimeout), withTimeout, "alice", "cli", min(2)).incident;
    assert.deepEqual(advance(acked, withTimeout, min(31)).pages, []);
    const result = advance(acked, withTimeout, min(32));
    assert.equal(result.incident.state, "triggered");
    assert.equal(result.pages[0]?.level, 0);
    assert.equal(result.events[0]?.action, "incident.ack_timeout");
  });

  test("resolve closes the incident; nothing more is paged and a later ack is refused", () => {
    const resolved = resolveIncident(open(), "bob", "http", min(1));
    assert.ok(resolved.changed);
    assert.equal(resolved.incident.state, "resolved");
    assert.deepEqual(advance(resolved.incident, policy, min(100)).pages, []);
    assert.equal(acknowledge(resolved.incident, policy, "alice", "slack", min(2)).changed, false);
  });
});

describe("page planning", () => {
  const users = new Map<string, Pageable>([
    ["alice", { id: "alice", contacts: { slack: "U1", email: "alice@example.com", sms: "+4915112345678" }, notificationRules: [{ channel: "slack", after: 0 }, { channel: "email", after: 0 }, { channel: "sms", after: 120_000 }] }],
    ["carol", { id: "carol", contacts: { email: "carol@example.com" }, notificationRules: [{ channel: "email", after: 0 }, { channel: "sms", after: 60_000 }] }],
  ]);

  test("schedules resolve to whoever is on call then; each person's rules give one page per channel with deterministic ids", () => {
    const plan = planPages({ incidentId: "g1-1", round: 0, level: 0, atMs: T0, targets: [{ schedule: "ops-primary" }, { user: "alice" }] }, () => ["alice"], users);
    assert.deepEqual(
      plan.intents.map((i) => [i.id, i.address, (i.dueAtMs - T0) / 1000]),
      [
        ["g1-1.r0l0.alice.slack", "U1", 0],
        ["g1-1.r0l0.alice.email", "alice@example.com", 0],
        ["g1-1.r0l0.alice.sms", "+4915112345678", 120],
      ],
      "alice is paged once even though she is both the schedule's and a direct target",
    );
  });

  test("an empty schedule, an unknown user or a missing contact are reported, never silently dropped", () => {
    const plan = planPages({ incidentId: "g1-1", round: 0, level: 1, atMs: T0, targets: [{ schedule: "nights" }, { user: "zed" }, { user: "carol" }] }, () => [], users);
    assert.deepEqual(plan.intents.map((i) => i.id), ["g1-1.r0l1.carol.email"]);
    assert.deepEqual(plan.unreachable, [
      { target: "schedule nights", reason: "nobody is on call" },
      { target: "user zed", reason: "not in the users file" },
      { target: "user carol", reason: "no sms contact" },
    ]);
  });

  test("policy schema errors name the field", () => {
    const result = escalationPolicySchema.safeParse({ id: "Bad Id", version: 1, levels: [{ targets: [], delay: "10s" }] });
    assert.equal(result.success, false);
    const paths = result.error?.issues.map((i) => `${i.path.join(".")}: ${i.message}`) ?? [];
    assert.ok(paths.some((p) => p.startsWith("id: ids are lowercase slugs")));
    assert.ok(paths.some((p) => p.startsWith("levels.0.targets: a level needs at least one target")));
    assert.ok(paths.some((p) => p.startsWith("levels.0.delay: give people at least a minute")));
  });
});
