import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { StorageType, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { provisionCommand } from "../../src/cli/commands/provision.js";
import { driftCommand } from "../../src/cli/commands/drift.js";
import { parseConfig } from "../../src/config/index.js";
import { declareResources, provision, ProvisionError } from "../../src/store/jetstream/provision.js";
import { rulesDir, startEngine, testConfig, useNatsWithClient } from "../support/engine.js";
import { capture } from "../support/output.js";
import { auditRecords as storedAuditRecords } from "../support/audit-records.js";

const NS = 1_000_000;

interface AuditRecord {
  action: string;
  actor: string;
  subject?: string;
  details?: { resource?: string; changes?: Array<{ field: string; old: unknown; new: unknown }>; reason?: string; via?: string };
}

const auditRecords = (js: JetStreamClient): Promise<AuditRecord[]> => storedAuditRecords<AuditRecord>(js);

async function streamNames(jsm: JetStreamManager): Promise<string[]> {
  const names: string[] = [];
  for await (const name of jsm.streams.names()) names.push(name);
  return names.sort();
}

describe("klaxon provision on an empty server", () => {
  const nats = useNatsWithClient();


  test("klaxon drift before anything exists says why there is no table", async () => {
    await assert.rejects(driftCommand({ nats: nats.current.url }, capture()), /no inventory state yet \(KV bucket "klaxon-inventory" does not exist\): start the engine/);
  });

  test("--dry-run lists everything it would create and creates nothing", async () => {
    const io = capture();
    assert.equal(await provisionCommand({ nats: nats.current.url, dryRun: true }, io), 0, io.errors.join("\n"));
    const text = io.out.join("\n");
    assert.match(text, /^would create stream KLAXON_EVENTS \(subjects events\.>, storage file, retention limits, max_age 1w, duplicate_window 2m\)$/m);
    assert.match(text, /^would create consumer KLAXON_EVENTS\/klaxon-inventory-state \(filter_subject events\.state\.>, ack_policy explicit, deliver_policy all, ack_wait 10s, max_deliver 5, max_ack_pending 4000\)$/m);
    assert.match(text, /^would create kv klaxon-inventory /m);
    assert.match(text, /^would create object store klaxon-state /m);
    const declared = declareResources(parseConfig({})).length;
    assert.match(text, new RegExp(`^dry run: nothing changed\\. 0 of ${declared} resource\\(s\\) as declared; ${declared} to create, 0 to update, 0 that JetStream cannot change$`, "m"));
    assert.deepEqual(await streamNames(nats.jsm), []);
  });

  test("without --dry-run it creates them all and audits each with the operator as actor; a second run finds nothing to do", async () => {
    const io = capture();
    assert.equal(await provisionCommand({ nats: nats.current.url, author: "ops@bastion" }, io), 0, io.errors.join("\n"));
    assert.match(io.out.join("\n"), /^created stream KLAXON_AUDIT /m);
    assert.deepEqual(await streamNames(nats.jsm), [
      "KLAXON_ALERTS", "KLAXON_AUDIT", "KLAXON_DEADLETTER", "KLAXON_EVENTS", "KLAXON_NOTIFICATIONS", "KLAXON_PAGES",
      "KV_klaxon-alert-state", "KV_klaxon-cluster", "KV_klaxon-escalation", "KV_klaxon-inventory", "OBJ_klaxon-state",
    ]);
    const consumer = await nats.jsm.consumers.info("KLAXON_EVENTS", "klaxon-inventory-change");
    assert.equal(consumer.config.filter_subject, "events.change.>");
    const created = (await auditRecords(nats.js)).filter((r) => r.action === "provision.created");
    assert.equal(created.length, declareResources(parseConfig({})).length);
    assert.ok(created.every((r) => r.actor === "ops@bastion" && r.details?.via === "cli"));
    assert.ok(created.some((r) => r.subject === "stream KLAXON_EVENTS"));

    const again = capture();
    assert.equal(await provisionCommand({ nats: nats.current.url }, again), 0);
    assert.deepEqual(again.out, [`${created.length} of ${created.length} resource(s) as declared; 0 created, 0 updated, 0 that JetStream cannot change`]);
  });
});

describe("reconciling settings changed by hand", () => {
  const nats = useNatsWithClient();

  before(async () => {
    assert.equal(await provisionCommand({ nats: nats.current.url }, capture()), 0);
    // An operator "tunes" things by hand.
    const events = (await nats.jsm.streams.info("KLAXON_EVENTS")).config;
    await nats.jsm.streams.update("KLAXON_EVENTS", { ...events, max_age: 3_600_000 * NS, duplicate_window: 10_000 * NS, subjects: ["events.>", "legacy.>"] });
    await nats.jsm.consumers.update("KLAXON_EVENTS", "klaxon-evaluate", { ack_wait: 60_000 * NS, max_deliver: 9 });
    const kv = (await nats.jsm.streams.info("KV_klaxon-inventory")).config;
    await nats.jsm.streams.update("KV_klaxon-inventory", { ...kv, max_msgs_per_subject: 5 });
    // And recreates the dead-letter stream in memory, which JetStream cannot turn back into a file stream.
    await nats.jsm.streams.delete("KLAXON_DEADLETTER");
    await nats.jsm.streams.add({ name: "KLAXON_DEADLETTER", subjects: ["klaxon.deadletter.>"], storage: StorageType.Memory, duplicate_window: 120_000 * NS });
  });

  test("--dry-run shows old → new for every difference, names what JetStream cannot change, and changes nothing", async () => {
    const io = capture();
    assert.equal(await provisionCommand({ nats: nats.current.url, dryRun: true }, io), 1, "a setting that cannot be changed is a failure");
    assert.ok(io.out.includes("would update stream KLAXON_EVENTS: subjects events.>, legacy.> → events.>, max_age 1h → 1w, duplicate_window 10s → 2m"), io.out.join("\n"));
    assert.ok(io.out.includes("would update consumer KLAXON_EVENTS/klaxon-evaluate: ack_wait 1m → 10s, max_deliver 9 → 5"), io.out.join("\n"));
    assert.ok(io.out.includes("would update kv klaxon-inventory: max_msgs_per_subject 5 → 1"), io.out.join("\n"));
    assert.match(io.errors.join("\n"), /^cannot change stream KLAXON_DEADLETTER: storage memory → file: JetStream cannot change the storage type of an existing stream: back it up/m);
    assert.equal((await nats.jsm.streams.info("KLAXON_EVENTS")).config.max_age, 3_600_000 * NS, "nothing changed");
    assert.equal((await nats.jsm.consumers.info("KLAXON_EVENTS", "klaxon-evaluate")).config.max_deliver, 9);
    assert.equal((await auditRecords(nats.js)).filter((r) => r.action === "provision.updated").length, 0);
  });

  test("the engine reconciles them at start-up, audits old and new values, and reports (without failing) what it cannot change", async () => {
    await startEngine(testConfig(nats.current.url, await rulesDir([])));
    const events = (await nats.jsm.streams.info("KLAXON_EVENTS")).config;
    assert.equal(events.max_age, 7 * 86_400_000 * NS);
    assert.equal(events.duplicate_window, 120_000 * NS);
    assert.deepEqual(events.subjects, ["events.>"]);
    const consumer = (await nats.jsm.consumers.info("KLAXON_EVENTS", "klaxon-evaluate")).config;
    assert.deepEqual([consumer.ack_wait, consumer.max_deliver], [10_000 * NS, 5]);
    assert.equal((await nats.jsm.streams.info("KV_klaxon-inventory")).config.max_msgs_per_subject, 1);
    assert.equal((await nats.jsm.streams.info("KLAXON_DEADLETTER")).config.storage, StorageType.Memory, "left as it is");

    const audit = await auditRecords(nats.js);
    const updated = audit.filter((r) => r.action === "provision.updated" && r.actor === "test");
    const of = (resource: string) => updated.find((r) => r.details?.resource === resource)?.details?.changes;
    assert.deepEqual(of("stream KLAXON_EVENTS"), [
      { field: "subjects", old: ["events.>", "legacy.>"], new: ["events.>"] },
      { field: "max_age", old: 3_600_000 * NS, new: 7 * 86_400_000 * NS },
      { field: "duplicate_window", old: 10_000 * NS, new: 120_000 * NS },
    ]);
    assert.deepEqual(of("consumer KLAXON_EVENTS/klaxon-evaluate"), [
      { field: "ack_wait", old: 60_000 * NS, new: 10_000 * NS },
      { field: "max_deliver", old: 9, new: 5 },
    ]);
    const blocked = audit.find((r) => r.action === "provision.unchangeable");
    assert.equal(blocked?.details?.resource, "stream KLAXON_DEADLETTER");
    assert.deepEqual(blocked?.details?.changes, [{ field: "storage", old: "memory", new: "file" }]);
    assert.match(blocked?.details?.reason ?? "", /cannot change the storage type/);
  });
});

describe("stream replicas", () => {
  const nats = useNatsWithClient();
  const backed = (config: ReturnType<typeof parseConfig>) => declareResources(config).filter((d) => d.kind !== "consumer");

  test("pinned on every stream, KV bucket and object store only when `streams.replicas` is set", () => {
    assert.ok(backed(parseConfig({})).every((d) => !("num_replicas" in d.settings)), "unset: an operator's own replica count stands");
    const three = backed(parseConfig({ streams: { replicas: 3 } }));
    assert.equal(three.length, 11);
    assert.ok(three.every((d) => (d.settings as { num_replicas?: number }).num_replicas === 3));
  });

  test("set to 3 on a single server, the error names the stream and the server's reason; set to 1, streams made without it match", async () => {
    await assert.rejects(provision(nats.jsm, parseConfig({ streams: { replicas: 3 } })), (error: Error) => {
      assert.ok(error instanceof ProvisionError);
      assert.match(error.message, /^cannot create stream KLAXON_EVENTS: replicas > 1 not supported in non-clustered mode/);
      return true;
    });
    assert.equal(await provisionCommand({ nats: nats.current.url }, capture()), 0);
    assert.deepEqual((await provision(nats.jsm, parseConfig({ streams: { replicas: 1 } }))).changes, [], "one replica is what the server made");
  });
});

describe("replicas provisioning at the same moment", () => {
  const nats = useNatsWithClient();

  test("a create refused because another replica made the stream first is planned again, and succeeds", async () => {
    // Two engines started together both planned to create the same streams; the server refused one of them ("subjects
    // overlap with an existing stream") and that engine failed to start. Here the other replica wins the race for the
    // first stream: it is created just before this one's request, which the server's refusal then answers.
    const config = parseConfig({ nats: { servers: [nats.current.url] } });
    const real = nats.jsm;
    let raced = "";
    const streams = new Proxy(real.streams, {
      get(target, property, receiver) {
        if (property !== "add") return Reflect.get(target, property, receiver) as unknown;
        return async (settings: Parameters<typeof target.add>[0]) => {
          if (raced) return target.add(settings);
          raced = String(settings.name);
          await target.add(settings);
          throw new Error("subjects overlap with an existing stream");
        };
      },
    });
    const racing = new Proxy(real, { get: (target, property, receiver) => (property === "streams" ? streams : (Reflect.get(target, property, receiver) as unknown)) });
    const result = await provision(racing, config);
    assert.notEqual(raced, "", "the race was run");
    assert.deepEqual(result.created.filter((r) => r === `stream ${raced}`), [], "the stream the other replica made is not reported as made here");
    assert.equal(result.created.length, declareResources(config).length - 1, "everything else is");
    assert.deepEqual((await streamNames(real)).filter((name) => name === raced), [raced]);
  });
});
