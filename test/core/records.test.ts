import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { mergeRecords } from "../../src/core/records.js";
import { alertLabels } from "../../src/evaluate/series.js";
import { prng } from "../support/random.js";

// V8's own answer to "do these objects share a hidden class": the property mergeRecords exists for.
setFlagsFromString("--allow-natives-syntax");
const sameHiddenClass = new Function("a", "b", "return %HaveSameMap(a, b)") as (a: object, b: object) => boolean;

/** How many distinct hidden classes `objects` have, counted against the first of each. */
function hiddenClasses(objects: readonly object[]): number {
  const representatives: object[] = [];
  for (const object of objects) if (!representatives.some((r) => sameHiddenClass(r, object))) representatives.push(object);
  return representatives.length;
}

describe("mergeRecords", () => {
  test("gives what a spread gives: the same keys in the same order, later sources winning", () => {
    const random = prng(7);
    const names = ["a", "b", "c", "alertname", "severity", "zone"];
    const record = (): Record<string, string> => {
      const out: Record<string, string> = {};
      for (const name of names) if (random() < 0.5) out[name] = String(Math.floor(random() * 100));
      return out;
    };
    for (let i = 0; i < 500; i++) {
      const [a, b, c] = [record(), record(), record()];
      const merged = mergeRecords(a, b, c);
      const spread = { ...a, ...b, ...c };
      assert.deepEqual(merged, spread, `case ${i}`);
      assert.deepEqual(Object.keys(merged), Object.keys(spread), `key order, case ${i}`);
    }
    assert.deepEqual(mergeRecords(undefined, { a: 1 }), { a: 1 });
    assert.deepEqual(mergeRecords({ a: 1 }, undefined, { b: 2 }), { a: 1, b: 2 });
  });

  test("keeps a '__proto__' key as an own property, as a spread does, and never changes the prototype", () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": "yes"}, "a": "1"}') as Record<string, unknown>;
    const merged = mergeRecords<unknown>(parsed, { b: "2" });
    assert.deepEqual(Object.keys(merged), Object.keys({ ...parsed, b: "2" }));
    assert.equal(Object.getPrototypeOf(merged), Object.prototype);
    assert.equal((merged as { polluted?: string }).polluted, undefined);
    assert.deepEqual(Object.getOwnPropertyDescriptor(merged, "__proto__")?.value, { polluted: "yes" });
  });

  test("objects merged from records of one shape share one hidden class, extra properties included", () => {
    const objects = Array.from({ length: 2_000 }, (_, i) => {
      const out = mergeRecords({ source: `host-${i}`, service: "api" }, { team: "core" });
      out.alertname = "HighCpu";
      return out;
    });
    assert.equal(hiddenClasses(objects), 1);
  });
});

describe("alert labels", () => {
  test("series of one rule share one hidden class for their labels (a storm holds 100,000 of them)", () => {
    const rule = { id: "HostDown", severity: "critical" as const, labels: { team: "infra" } };
    const labels = Array.from({ length: 2_000 }, (_, i) => alertLabels(rule, { source: `host-${i}`, service: `svc-${i % 7}` }));
    assert.deepEqual(labels[3], { source: "host-3", service: "svc-3", team: "infra", alertname: "HostDown", severity: "critical" });
    assert.equal(hiddenClasses(labels), 1);
  });
});
