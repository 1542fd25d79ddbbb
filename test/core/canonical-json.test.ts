import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { canonicalJson } from "../../src/core/hash.js";
import { prng } from "../support/random.js";

/** What canonicalJson was first written as; stored audit hashes depend on its exact output. */
function reference(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

const KEYS = ["a", "b", "B", "Z", "z", "10", "2", "0", "01", "-1", "1.5", "4294967294", "4294967295", "__proto__", "", "é", "\u0000", "key with space", "\ud800"];
const STRINGS = ["", "plain", "quote\"back\\slash", "line\nbreak\t", "\u2028\u2029", "\ud800 lone", "\udc00", "emoji 🚨", "\u0001\u001f", "é"];
const NUMBERS = [0, -0, 1, -1, 1.5, 1e21, 1e-7, 5e-324, Number.MAX_SAFE_INTEGER, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];

function randomValue(random: () => number, depth: number): unknown {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const kind = Math.floor(random() * (depth > 3 ? 7 : 13));
  switch (kind) {
    case 0: return pick(STRINGS);
    case 1: return pick(NUMBERS);
    case 2: return random() < 0.5;
    case 3: return null;
    case 4: return undefined;
    case 5: return pick([() => 1, Symbol("s")]);
    case 6: return new Date(Math.floor(random() * 2_000_000_000_000));
    case 7:
    case 8:
    case 9: {
      const object: Record<string, unknown> = {};
      const count = Math.floor(random() * 6);
      for (let i = 0; i < count; i++) {
        // defineProperty: "__proto__" becomes an own key, as JSON.parse makes it.
        Object.defineProperty(object, pick(KEYS), { value: randomValue(random, depth + 1), enumerable: true, writable: true, configurable: true });
      }
      return object;
    }
    case 10: {
      const array: unknown[] = Array.from({ length: Math.floor(random() * 5) }, () => randomValue(random, depth + 1));
      if (random() < 0.2) array.length += 2; // holes
      return array;
    }
    case 11: {
      const inner = randomValue(random, depth + 1);
      return { toJSON: (key: string) => (random() < 0.5 ? { key, inner } : inner) };
    }
    default:
      return pick([new String("boxed"), new Number(3), new Boolean(false), new Map([["k", 1]]), new Set([1])]);
  }
}

describe("canonicalJson", () => {
  test("writes exactly what the replacer-based version wrote, on 5,000 random values", () => {
    const random = prng(2026);
    for (let i = 0; i < 5_000; i++) {
      const seed = Math.floor(random() * 2 ** 32);
      // Two generators from one seed: a toJSON may draw numbers, so each side gets its own identical value.
      const ours = canonicalJson(randomValue(prng(seed), 0));
      const theirs = reference(randomValue(prng(seed), 0));
      assert.equal(ours, theirs, `seed ${seed}`);
    }
  });

  test("sorts keys at every level, indices first, and leaves out what JSON cannot hold", () => {
    const value = { b: 1, a: { z: [3, undefined, () => 0], "10": "ten", "2": "two", y: undefined }, "": null };
    assert.equal(canonicalJson(value), '{"":null,"a":{"2":"two","10":"ten","z":[3,null,null]},"b":1}');
    assert.equal(canonicalJson({ when: new Date(0) }), '{"when":"1970-01-01T00:00:00.000Z"}');
  });

  test("refuses what JSON.stringify refuses", () => {
    assert.throws(() => canonicalJson({ n: 1n }), TypeError);
    const loop: unknown[] = [];
    loop.push(loop);
    assert.throws(() => canonicalJson(loop), TypeError);
  });
});
