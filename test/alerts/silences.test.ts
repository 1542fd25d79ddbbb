import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseMatcher } from "../../src/alerts/matchers.js";
import { Silencer, silenceState, type Silence } from "../../src/alerts/silences.js";
import { prng } from "../support/random.js";

describe("Silencer", () => {
  test("mutedBy agrees with asking every silence, over random silences, times (also backwards) and changes", () => {
    const random = prng(11);
    const int = (n: number): number => Math.floor(random() * n);
    const silencer = new Silencer();
    const all = new Map<string, Silence>();
    const matchersOf = ['zone="fra"', 'zone=~"fra|ams"', 'service!="db"', 'zone="ams"'];
    const add = (i: number): void => {
      const startsAtMs = int(1_000);
      const silence: Silence = { id: `s${i}`, matchers: [parseMatcher(matchersOf[int(matchersOf.length)] as string)], startsAtMs, endsAtMs: startsAtMs + 1 + int(300), createdBy: "t", comment: "c", updatedAtMs: 0 };
      all.set(silence.id, silence);
      silencer.upsert(silence);
    };
    for (let i = 0; i < 40; i++) add(i);
    const labelSets = [{ zone: "fra", service: "api" }, { zone: "ams", service: "db" }, { zone: "lhr", service: "web" }];
    let now = 0;
    const check = (step: number): void => {
      for (const labels of labelSets) {
        const expected = [...all.values()].filter((s) => silenceState(s, now) === "active" && s.matchers.every((m) => matches(m, labels))).map((s) => s.id).sort();
        assert.deepEqual(silencer.mutedBy(labels, now).sort(), expected, `step ${step} at ${now}`);
      }
    };
    for (let step = 0; step < 3_000; step++) {
      now = random() < 0.1 ? int(1_200) : now + int(20); // mostly forward, sometimes anywhere
      check(step); // asked before a change at the same instant: a change must not be hidden by what was worked out
      if (step % 50 === 0) add(100 + step); // a new silence
      if (step % 80 === 0) {
        const id = `s${int(40)}`;
        all.delete(id);
        silencer.remove(id);
      }
      if (step % 60 === 0) {
        // An expiry: the same silence written again with an earlier end.
        const s = all.get(`s${int(40)}`);
        if (s) {
          const expired = { ...s, endsAtMs: Math.min(s.endsAtMs, now) };
          all.set(s.id, expired);
          silencer.upsert(expired);
        }
      }
      check(step);
    }
  });
});

function matches(m: { name: string; op: string; value: string }, labels: Record<string, string>): boolean {
  const value = labels[m.name] ?? "";
  switch (m.op) {
    case "=":
      return value === m.value;
    case "!=":
      return value !== m.value;
    case "=~":
      return new RegExp(`^(?:${m.value})$`).test(value);
    default:
      return !new RegExp(`^(?:${m.value})$`).test(value);
  }
}
