import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { identityKey, identityOfEvent, seriesKeyer, storedKey } from "../../src/evaluate/series-key.js";
import { identityOfExpectation } from "../../src/evaluate/series.js";
import type { KlaxonEvent } from "../../src/ingest/event.schema.js";
import { log, metric, T0 } from "../support/events.js";
import { prng } from "../support/random.js";

// "labels.__proto__" names no label: an identity object ignores it, and so must the key.
const KEY_FIELDS = ["source", "service", "name", "level", "labels", "labels.region", "labels.source", "labels.metric", "labels.zone", "labels.__proto__"];

describe("series keys", () => {
  test("every keyBy gives the canonical key of the event's identity, and expected series meet their events", () => {
    const rand = prng(99);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
    const labelSets: Array<Record<string, string>> = [{}, { region: "eu" }, { region: "eu", zone: "b" }, { source: "from-label", metric: "m" }, { zone: "a\u0001b", env: "prod" }];
    let checked = 0;
    for (let i = 0; i < 3_000; i++) {
      const keyBy = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(KEY_FIELDS));
      const extra = { labels: pick(labelSets), ...(rand() < 0.6 ? { service: pick(["api", "db"]) } : {}), source: pick(["host-1", "host-2"]) };
      const event: KlaxonEvent = rand() < 0.7 ? metric(pick(["cpu", "mem"]), 1, T0, extra) : log(pick(["error", "warn"] as const), "m", T0, extra);
      const identity = identityOfEvent(keyBy, event);
      const keyer = seriesKeyer(keyBy);
      const key = keyer.ofEvent(event);
      // Two events share a series exactly when their identities do: the key is a function of the identity.
      assert.equal(key, keyer.ofIdentity(identity), `${JSON.stringify(keyBy)} on ${JSON.stringify(event)}`);
      const singleField = keyBy.length === 1 && ["source", "service", "name", "level"].includes(keyBy[0] as string);
      if (!singleField) assert.equal(key, identityKey(identity), `${JSON.stringify(keyBy)} on ${JSON.stringify(event)}`);
      checked++;
    }
    assert.equal(checked, 3_000);
  });

  test("distinct identities get distinct keys, whichever form the key takes", () => {
    const keyer = seriesKeyer(["source"]);
    const identities = [{}, { source: "" }, { source: "a" }, { source: "source\u0001a\u0000" }, { source: "a", zone: "b" }, { zone: "a" }];
    const keys = identities.map((identity) => keyer.ofIdentity(identity));
    assert.equal(new Set(keys).size, identities.length, JSON.stringify(keys));
    // And from events: an empty value is not the empty identity.
    const empty = { ...metric("cpu", 1, T0), source: "" } as KlaxonEvent;
    assert.equal(keyer.ofEvent(empty), keyer.ofIdentity({ source: "" }));
    assert.notEqual(keyer.ofEvent(empty), keyer.ofIdentity({}));
  });

  test("a single-field key is the value itself; an expected series has the key its events will have", () => {
    const keyer = seriesKeyer(["source"]);
    const event = metric("cpu", 1, T0, { source: "db-1" });
    assert.equal(keyer.ofEvent(event), "db-1");
    assert.equal(keyer.ofIdentity(identityOfExpectation({ source: "db-1" })), "db-1");
    // An event without the field (service is optional) belongs to the series with the empty identity.
    assert.equal(seriesKeyer(["service"]).ofEvent(event), identityKey({}));
  });

  test("the key a series keeps is equal to the key events look it up by", () => {
    const keyer = seriesKeyer(["service", "labels.zone", "source"]);
    const random = prng(5);
    for (let i = 0; i < 300; i++) {
      const zone = String.fromCodePoint(0x41 + Math.floor(random() * 0x3000));
      const event = metric("cpu", 1, T0, { source: `host-${i}`, service: `svc-${i % 7}`, labels: { zone } });
      const key = keyer.ofEvent(event);
      const stored = keyer.keep(key);
      assert.equal(stored, key, `case ${i}`);
      assert.equal(new Map([[stored, i]]).get(keyer.ofEvent(event)), i, `lookup, case ${i}`);
    }
    assert.equal(seriesKeyer(["source"]).keep("db-1"), "db-1");
    assert.equal(storedKey("db-1"), "db-1");
    assert.equal(storedKey(""), "");
  });
});
