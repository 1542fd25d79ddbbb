import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { JetStreamClient } from "@nats-io/jetstream";
import { client, readStream, eventually, metricEvent, publishEvent, rulesDir, startEngine, stopAllEngines, streamJson, testConfig } from "../support/engine.js";
import { NatsServerProcess } from "../support/nats-server.js";
import { partitionMapping, partitionOf } from "../../src/cluster/partition.js";
import type { Engine } from "../../src/app/engine.js";
import { clusterMappingCommand, clusterStatusCommand } from "../../src/cli/commands/cluster.js";
import { capture } from "../support/output.js";
import type { AlertMessage } from "../../src/alerts/alert.js";
import type { AuditEntry } from "../../src/store/ports.js";
import { cpuHotRule } from "../support/rules.js";
import { auditRecords } from "../support/audit-records.js";

const PARTITIONS = 6;
const ROLES = ["coordinator", ...Array.from({ length: PARTITIONS }, (_, i) => `evaluate-p${i}`)].sort();

/** Who holds what, as the replicas themselves report it. */
function holdings(engines: ReadonlyMap<string, Engine>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [id, engine] of engines) for (const role of engine.status().roles) out.set(role, [...(out.get(role) ?? []), id]);
  return out;
}

/** Every role held by exactly one of these replicas. */
function settled(engines: ReadonlyMap<string, Engine>): Map<string, string> | undefined {
  const held = holdings(engines);
  if (ROLES.some((role) => held.get(role)?.length !== 1)) return undefined;
  return new Map([...held].map(([role, [owner]]) => [role, owner as string]));
}

describe("replicas sharing the work", () => {
  let server: NatsServerProcess;
  let nc: NatsConnection;
  let js: JetStreamClient;

  before(async () => {
    server = await NatsServerProcess.start({ config: partitionMapping("events", PARTITIONS) });
    ({ nc, js } = await client(server.url));
  });
  after(async () => {
    await stopAllEngines();
    await nc.close();
    await server.stop();
  });

  test("our partition function agrees with nats-server's subject mapping", async () => {
    const seen = new Map<string, number>();
    const sub = nc.subscribe("events.>", {
      callback: (_error, m) => {
        const [, , partition, , source] = m.subject.split(".");
        seen.set(source as string, Number(partition));
      },
    });
    const sources = Array.from({ length: 300 }, (_, i) => `host-${i}-${(i * 7919).toString(36)}`);
    for (const source of sources) nc.publish(`events.metric.${source}`, "{}");
    await eventually("every event mapped", () => (seen.size === sources.length ? true : undefined));
    sub.unsubscribe();
    for (const source of sources) assert.equal(seen.get(source), partitionOf(source, PARTITIONS), source);
    assert.ok(new Set(seen.values()).size === PARTITIONS, "every partition received some sources");
  });

  test("`klaxon cluster mapping` prints the configuration this server runs with, and refuses a bad count", async () => {
    const printed = capture();
    assert.equal(await clusterMappingCommand({ partitions: String(PARTITIONS), subject: "events" }, printed), 0);
    assert.ok(printed.out.join("\n").includes(partitionMapping("events", PARTITIONS)));
    const refused = capture();
    assert.equal(await clusterMappingCommand({ partitions: "1", subject: "events" }, refused), 2);
    assert.match(refused.errors.join("\n"), /--partitions: expected a whole number from 2 to 256, got "1"/);
  });

  test("with partitions, a rule keyed without source is refused, naming its file", async () => {
    const dir = await rulesDir([{ ...cpuHotRule, id: "by-service", keyBy: ["service"] }]);
    await assert.rejects(startEngine(testConfig(server.url, dir, { cluster: { instanceId: "refused", partitions: PARTITIONS } })), (error: Error) => {
      assert.match(error.message, /by-service\.json: keyBy: rule "by-service": with cluster.partitions = 6, keyBy must include "source"/);
      return true;
    });
  });

  test("three replicas split the roles; a killed one's roles are taken over, and come back when it returns", async () => {
    const dir = await rulesDir([cpuHotRule]);
    const config = (id: string) => testConfig(server.url, dir, { cluster: { instanceId: id, partitions: PARTITIONS, leaseMs: 1_500, renewMs: 250 } });
    const engines = new Map<string, Engine>();
    for (const id of ["replica-a", "replica-b", "replica-c"]) engines.set(id, await startEngine(config(id)));

    const before = await eventually("every role held by exactly one replica, all three busy", () => {
      const owners = settled(engines);
      return owners && new Set(owners.values()).size === 3 ? owners : undefined;
    });

    const shown = capture();
    assert.equal(await clusterStatusCommand({ nats: server.url }, shown), 0);
    for (const [role, owner] of before) assert.ok(shown.out.some((line) => line.trim() === `${role}  ${owner}`), `status shows ${role} held by ${owner}:\n${shown.out.join("\n")}`);
    for (const id of engines.keys()) assert.ok(shown.out.some((line) => line.trim().startsWith(`${id}  last heartbeat`)), `status lists ${id}`);

    // Kill the replica holding the most roles, the coordinator among them if it can be.
    const victim = [...engines.keys()].sort((x, y) => [...before.values()].filter((o) => o === y).length - [...before.values()].filter((o) => o === x).length)[0] as string;
    const victimRoles = [...before].filter(([, owner]) => owner === victim).map(([role]) => role);
    const killedAt = performance.now();
    const killedAtWall = Date.now();
    await (engines.get(victim) as Engine).crash();
    engines.delete(victim);

    const after = await eventually("the dead replica's roles held by the survivors", () => settled(engines), 10_000);
    const takeoverMs = performance.now() - killedAt;
    for (const role of victimRoles) assert.notEqual(after.get(role), victim);
    for (const [role, owner] of before) if (owner !== victim) assert.equal(after.get(role), owner, `${role} stayed where it was`);
    assert.ok(takeoverMs < 1_500 + 4 * 250 + 2_000, `taken over in ${Math.round(takeoverMs)} ms`);

    // Every partition evaluates again: one hot host per partition fires.
    const now = Date.now();
    const hot = Array.from({ length: PARTITIONS }, (_, p) => {
      for (let i = 0; ; i++) if (partitionOf(`hot-${i}`, PARTITIONS) === p) return `hot-${i}`;
    });
    for (const source of hot) await publishEvent(js, metricEvent(source, "cpu", 99, now));
    await eventually("an alert from every partition", async () => {
      const firing = new Set((await streamJson<AlertMessage>(js, "KLAXON_ALERTS")).filter((a) => a.status === "firing").map((a) => a.labels.source));
      return hot.every((s) => firing.has(s)) ? true : undefined;
    }).catch(async (error: unknown) => {
      const trail = (await auditRecords<AuditEntry>(js)).filter((r) => r.action.startsWith("cluster.") || r.action === "engine.recovered");
      const firing = new Set((await streamJson<AlertMessage>(js, "KLAXON_ALERTS")).filter((a) => a.status === "firing").map((a) => a.labels.source));
      const jsm = await js.jetstreamManager();
      const consumers = await Promise.all(Array.from({ length: PARTITIONS }, async (_, p) => {
        const info = await jsm.consumers.info("KLAXON_EVENTS", `klaxon-evaluate-p${p}`);
        return `p${p}: pending ${info.num_pending} ackPending ${info.num_ack_pending} delivered ${info.delivered.stream_seq} ackFloor ${info.ack_floor.stream_seq} waiting ${info.num_waiting}`;
      }));
      const dead = (await readStream(js, "KLAXON_DEADLETTER")).map((m) => `${m.subject} ${m.headers["Klaxon-Detail"]}`);
      const alertCount = (await streamJson<AlertMessage>(js, "KLAXON_ALERTS")).length;
      const all = (await streamJson<AlertMessage>(js, "KLAXON_ALERTS")).map((m) => JSON.stringify(m.labels) + m.status);
      const statuses = [...engines.values()].map((e) => JSON.stringify(e.status()));
      throw new Error(`${all.join(";")}\n${statuses.join("\n")}\nalerts ${alertCount} dead ${dead.join("; ")}\nmissing ${hot.filter((h) => !firing.has(h)).join(",")}\n${consumers.join("\n")}\n${String(error)}\n${trail.map((r) => `${r.timeMs - killedAtWall} ${r.action} ${JSON.stringify(r.details)}`).join("\n")}\nhot: ${hot.join(", ")}`);
    });

    const audit = await auditRecords<AuditEntry>(js);
    const takeovers = audit.filter((r) => r.action === "cluster.takeover" && r.timeMs >= killedAtWall);
    assert.deepEqual(takeovers.map((r) => r.details?.role).sort(), [...victimRoles].sort());
    for (const record of takeovers) assert.equal(record.details?.from, victim);
    const survivorsTakeovers = [...engines.values()].map(async (e) => (await e.metrics.roleChanges.get()).values.find((v) => v.labels.change === "takeover")?.value ?? 0);
    assert.equal((await Promise.all(survivorsTakeovers)).reduce((a, b) => a + b, 0), victimRoles.length, "every takeover counted");

    // The replica comes back under its own name: rendezvous hashing gives it the same roles again.
    const restartedAt = Date.now();
    engines.set(victim, await startEngine(config(victim)));
    const rebalanced = await eventually("the same split as before the kill", () => {
      const owners = settled(engines);
      return owners && [...before].every(([role, owner]) => owners.get(role) === owner) ? owners : undefined;
    }, 10_000);
    assert.equal(rebalanced.size, ROLES.length);
    const released = (await auditRecords<AuditEntry>(js)).filter((r) => r.action === "cluster.released" && r.details?.reason === "rebalance" && r.timeMs >= restartedAt);
    assert.deepEqual(released.map((r) => r.details?.role).sort(), [...victimRoles].sort());
  });
});

describe("the console's alert board on any replica", () => {
  let server: NatsServerProcess;

  before(async () => {
    server = await NatsServerProcess.start({ config: partitionMapping("events", 2) });
  });
  after(async () => {
    await stopAllEngines();
    await server.stop();
  });

  test("a replica without the coordinator's role shows the coordinator's board, asked over NATS, not read from the store", async () => {
    const dir = await rulesDir([cpuHotRule]);
    await mkdir(join(dir, "routes"));
    await writeFile(join(dir, "routes", "routes.json"), JSON.stringify({ version: 1, route: { receiver: "ops", groupBy: ["alertname"], groupWait: "0s", groupInterval: "1m", repeatInterval: "4h" }, receivers: [{ name: "ops" }] }));
    const tokens = join(await mkdtemp(join(tmpdir(), "klaxon-tokens-")), "tokens");
    await writeFile(tokens, "alice s3cret-token-for-alice-0003\n");
    const config = (id: string) => testConfig(server.url, dir, { cluster: { instanceId: id, partitions: 2, leaseMs: 1_500, renewMs: 250 }, http: { port: 0, tokensFile: tokens } });
    const replicas = [await startEngine(config("replica-a")), await startEngine(config("replica-b"))];
    const other = await eventually("one replica holds the coordinator role, the other not", () => {
      const holders = replicas.filter((engine) => engine.status().roles.includes("coordinator"));
      return holders.length === 1 ? replicas.find((engine) => engine !== holders[0]) : undefined;
    });
    type Board = { groups: Array<{ group: { groupLabels: Record<string, string> }; firingCount: number; alerts: Array<{ fingerprint: string; mutedBy: string[] }> }> };
    const cpuCard = async (): Promise<Board["groups"][number] | undefined> => {
      const response = await fetch(`http://127.0.0.1:${other?.httpPort}/api/v1/board`, { headers: { authorization: "Bearer s3cret-token-for-alice-0003" } });
      return ((await response.json()) as Board).groups.find((g) => g.group.groupLabels.alertname === "cpu-hot");
    };
    const { nc, js } = await client(server.url);
    await publishEvent(js, metricEvent("web-1", "cpu", 97, Date.now()));
    const before = await eventually("the other replica's board shows the alert", async () => {
      const card = await cpuCard();
      return card?.firingCount === 1 ? card : undefined;
    });
    // Taken out of the store behind the engines' backs: a board read from the store would now be empty.
    const kv = await new Kvm(nc).open(replicas[0]?.config.state.alertBucket ?? "");
    const keys: string[] = [];
    for await (const key of await kv.keys()) keys.push(key);
    assert.ok(keys.some((key) => key.startsWith("alert.")), `the alert was stored: ${keys.join(", ")}`);
    for (const key of keys) await kv.delete(key);
    const after = await cpuCard();
    assert.deepEqual([after?.firingCount, after?.alerts.map((a) => [a.fingerprint, a.mutedBy])], [1, before.alerts.map((a) => [a.fingerprint, a.mutedBy])], "the coordinator's board, with its mutes");
    await nc.close();
  });
});
