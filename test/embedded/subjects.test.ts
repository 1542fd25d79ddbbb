import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { SubscriptionIndex, subjectMatches, subjectsOverlap, type Subscription } from "../../src/store/embedded/subjects.js";
import { compileMapping, mapSubject, mappingsFromServerConfig } from "../../src/store/embedded/mapping.js";
import { partitionMapping } from "../../src/cluster/partition.js";

describe("subjects", () => {
  test("* matches one token, > one or more at the end", () => {
    assert.ok(subjectMatches("a.*.c", "a.b.c"));
    assert.ok(!subjectMatches("a.*.c", "a.b.x.c"));
    assert.ok(subjectMatches("a.>", "a.b"));
    assert.ok(subjectMatches("a.>", "a.b.c.d"));
    assert.ok(!subjectMatches("a.>", "a"));
    assert.ok(!subjectMatches("a.*", "a.b.c"));
    assert.ok(subjectMatches("$KV.b.>", "$KV.b.key.with.dots"));
    assert.ok(!subjectMatches("a.b", "a.b.c"));
  });

  test("overlap between stream subjects", () => {
    assert.ok(subjectsOverlap("events.>", "events.metric.*"));
    assert.ok(subjectsOverlap("a.*.c", "a.b.*"));
    assert.ok(!subjectsOverlap("a.>", "b.>"));
    assert.ok(!subjectsOverlap("a.*", "a.b.c"));
  });

  test("the index finds literal and wildcard subscribers, and one member per queue group", () => {
    const owner = {};
    const sub = (sid: string, subject: string, queue?: string): Subscription => ({ sid, subject, queue, owner });
    const index = new SubscriptionIndex<Subscription>();
    const subs = [sub("1", "orders.created"), sub("2", "orders.*"), sub("3", "payments.>"), sub("4", "orders.created", "workers"), sub("5", "orders.created", "workers")];
    for (const s of subs) index.add(s);
    const sids = (subject: string): string[] => index.receivers(subject).map((s) => s.sid).sort();
    const got = sids("orders.created");
    assert.deepEqual(got.slice(0, 2), ["1", "2"]);
    assert.equal(got.length, 3, "exactly one of the two queue members");
    assert.deepEqual(sids("payments.card.ok"), ["3"]);
    assert.deepEqual(sids("other"), []);
    index.remove(subs[1] as Subscription);
    assert.ok(!index.hasInterest("orders.updated"));
    assert.ok(index.hasInterest("payments.x"));
  });
});

describe("subject mappings", () => {
  test("wildcard tokens are rearranged and a partition token is inserted", () => {
    const mapping = compileMapping("events.*.*", "events.part.{{partition(4,2)}}.{{wildcard(1)}}.{{wildcard(2)}}");
    const mapped = mapSubject([mapping], "events.metric.web-1");
    assert.match(mapped, /^events\.part\.[0-3]\.metric\.web-1$/);
    assert.equal(mapSubject([mapping], "events.metric.web-1"), mapped, "the same source always lands in the same partition");
    assert.equal(mapSubject([mapping], "other.subject"), "other.subject");
    assert.throws(() => compileMapping("a.*", "b.{{wildcard(2)}}"), /no wildcard 2/);
    assert.throws(() => compileMapping("a.*", "b.{{random(2)}}"), /unsupported function/);
  });

  test("the mappings block of a nats-server configuration is read, braces of the functions included", () => {
    assert.deepEqual(mappingsFromServerConfig(partitionMapping("events", 3)), { "events.*.*": "events.part.{{partition(3,2)}}.{{wildcard(1)}}.{{wildcard(2)}}" });
    assert.deepEqual(mappingsFromServerConfig("port: 4222"), {});
  });
});
