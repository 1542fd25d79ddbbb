import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import type { JetStreamClient } from "@nats-io/jetstream";
import { FakeClock } from "../../src/core/clock.js";
import type { Engine } from "../../src/app/engine.js";
import { client, eventually, rulesDir, testConfig, useNatsServer } from "../support/engine.js";
import { ACTOR, auditRecords, captureLog, DEBUG, sample, startedEngine, TOKEN, tokensFile, type LogLine } from "./support.js";

const SUBJECT = "klaxon.control.log";

interface Answer {
  instance: string;
  ok: boolean;
  status?: number;
  error?: string;
  changes?: Array<{ module: string; from: string; to: string }>;
  modules?: Array<{ module: string; level: string }>;
}

describe("runtime log levels over the NATS control subject", () => {
  const nats = useNatsServer();
  let nc: NatsConnection;
  let js: JetStreamClient;
  const clock = new FakeClock(Date.now());
  const replicas: Array<{ id: string; engine: Engine; lines: LogLine[] }> = [];

  before(async () => {
    ({ nc, js } = await client(nats.current.url));
    const dir = await rulesDir([]);
    const tokens = await tokensFile();
    for (const id of ["replica-a", "replica-b"]) {
      const captured = captureLog("info");
      const config = testConfig(nats.current.url, dir, { cluster: { instanceId: id }, http: { tokensFile: tokens }, heartbeat: { intervalMs: 100 }, drift: { enabled: false } });
      replicas.push({ id, engine: await startedEngine(config, { clock, logger: captured.logger }), lines: captured.lines });
    }
  });
  after(async () => {
    await nc.close();
  });

  /** Ask every replica; collect one answer from each. */
  async function ask(body: unknown, token?: string): Promise<Answer[]> {
    const h = headers();
    if (token) h.set("Authorization", `Bearer ${token}`);
    const replies = await nc.requestMany(SUBJECT, body === undefined ? "" : JSON.stringify(body), { strategy: "count", maxMessages: replicas.length, maxWait: 5_000, headers: h });
    const answers: Answer[] = [];
    for await (const reply of replies) answers.push(reply.json<Answer>());
    return answers.sort((a, b) => a.instance.localeCompare(b.instance));
  }

  const heartbeatDebug = (lines: LogLine[]): LogLine[] => lines.filter((l) => l.level === DEBUG && l.module === "heartbeat" && l.msg === "heartbeat sent");

  const heartbeatsSent = async (engine: Engine): Promise<number> =>
    sample(await engine.metrics.registry.metrics(), 'klaxon_heartbeats_total{target="local",outcome="sent"}') ?? 0;

  test("without a valid token every replica refuses (401) and nothing changes", async () => {
    for (const token of [undefined, "not-the-token-at-all-xyz"]) {
      const answers = await ask({ module: "heartbeat", level: "debug" }, token);
      assert.deepEqual(
        answers.map((a) => [a.instance, a.ok, a.status]),
        [
          ["replica-a", false, 401],
          ["replica-b", false, 401],
        ],
      );
    }
    const levels = await ask(undefined, TOKEN);
    for (const answer of levels) assert.equal(answer.modules?.find((m) => m.module === "heartbeat")?.level, "info");
  });

  test("every replica applies a change and answers; debug lines appear at once, and stop when it expires", async () => {
    for (const { engine } of replicas) await eventually("heartbeats flowing", async () => ((await heartbeatsSent(engine)) > 0 ? true : undefined));
    assert.deepEqual(replicas.map((r) => heartbeatDebug(r.lines).length), [0, 0], "heartbeats log at debug, which is off");

    const answers = await ask({ module: "heartbeat", level: "debug", expiresIn: "10m" }, TOKEN);
    assert.deepEqual(
      answers.map((a) => [a.instance, a.ok, a.changes]),
      replicas.map((r) => [r.id, true, [{ module: "heartbeat", from: "info", to: "debug" }]]),
    );
    for (const replica of replicas) await eventually(`debug lines from ${replica.id}`, () => heartbeatDebug(replica.lines).at(0));

    const changes = await eventually("both changes audited", async () => {
      const records = await auditRecords(js, "log.level_changed");
      return records.length === 2 ? records : undefined;
    });
    assert.deepEqual(changes.map((r) => [r.actor, r.details.via, r.details.replica]).sort(), [
      [ACTOR, "nats", "replica-a"],
      [ACTOR, "nats", "replica-b"],
    ]);

    clock.advance(10 * 60_000);
    const reverts = await eventually("both expiries audited", async () => {
      const records = await auditRecords(js, "log.level_reverted");
      return records.length === 2 ? records : undefined;
    });
    assert.deepEqual(reverts.map((r) => [r.actor, r.details.via, r.details.reason, r.details.replica]).sort(), [
      [ACTOR, "nats", "expired", "replica-a"],
      [ACTOR, "nats", "expired", "replica-b"],
    ]);
    // Let each replica send a few more heartbeats: none of them may log at debug now.
    for (const replica of replicas) {
      const debugLines = heartbeatDebug(replica.lines).length;
      const sent = await heartbeatsSent(replica.engine);
      await eventually(`three more heartbeats from ${replica.id}`, async () => ((await heartbeatsSent(replica.engine)) >= sent + 3 ? true : undefined));
      assert.equal(heartbeatDebug(replica.lines).length, debugLines, `${replica.id} is back at info`);
    }
  });

  test("a malformed change is refused by every replica with what is wrong", async () => {
    const answers = await ask({ module: "heartbeat", level: "verbose" }, TOKEN);
    for (const answer of answers) {
      assert.equal(answer.status, 400);
      assert.match(JSON.stringify(answer), /"path":"level"/);
    }
  });
});
