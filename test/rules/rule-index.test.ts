import { test, describe } from "node:test";
import assert from "node:assert/strict";
import type { KlaxonEvent } from "../../src/ingest/event.schema.js";
import { RuleIndex } from "../../src/rules/rule-index.js";
import { T0, log, metric } from "../support/events.js";
import { compile, type RuleJson } from "../support/rules.js";
import { prng } from "../support/random.js";

const leaf = (fact: string, operator: string, value: unknown): RuleJson => ({ fact, operator, value });

function rule(id: string, event: "metric" | "log", match: RuleJson | undefined): RuleJson {
  return {
    id,
    version: 1,
    kind: "threshold",
    event,
    severity: "info",
    ...(match ? { match } : {}),
    when: { all: [leaf(event === "metric" ? "value" : "level", "notEqual", null)] },
  };
}

describe("RuleIndex narrowed by a second fact", () => {
  const rules = {
    cpuApi: compile(rule("cpu-api", "metric", { all: [leaf("name", "equal", "cpu"), leaf("service", "equal", "api")] })),
    cpuAnyOf: compile(rule("cpu-api-or-db", "metric", { all: [leaf("service", "in", ["api", "db"]), leaf("name", "equal", "cpu")] })),
    cpu: compile(rule("cpu", "metric", { all: [leaf("name", "equal", "cpu")] })),
    apiErrors: compile(rule("api-errors", "log", { all: [leaf("service", "equal", "api"), leaf("level", "equal", "error")] })),
  };
  const index = new RuleIndex(Object.values(rules));
  const ids = (event: KlaxonEvent): string[] => index.candidates(event).map((r) => r.rule.id);

  test("the second fact a match pins is recorded beside the route", () => {
    assert.deepEqual(rules.cpuApi.route, { fact: "name", values: ["cpu"] });
    assert.deepEqual(rules.cpuApi.narrowRoute, { fact: "service", values: ["api"] });
    assert.deepEqual(rules.cpuAnyOf.narrowRoute, { fact: "service", values: ["api", "db"] });
    assert.equal(rules.cpu.narrowRoute, undefined);
    assert.deepEqual(rules.apiErrors.route, { fact: "service", values: ["api"] });
    assert.deepEqual(rules.apiErrors.narrowRoute, { fact: "level", values: ["error"] });
  });

  test("an event meets a narrowed rule only with both values, and candidates keep rule order", () => {
    assert.deepEqual(ids(metric("cpu", 1, T0)), ["cpu"]);
    assert.deepEqual(ids(metric("cpu", 1, T0, { service: "api" })), ["cpu-api", "cpu-api-or-db", "cpu"]);
    assert.deepEqual(ids(metric("cpu", 1, T0, { service: "db" })), ["cpu-api-or-db", "cpu"]);
    assert.deepEqual(ids(log("error", "boom", T0, { service: "api" })), ["api-errors"]);
    assert.deepEqual(ids(log("warn", "slow", T0, { service: "api" })), []);
  });

  test("on random rules and events, every rule whose match holds is a candidate, exactly once", () => {
    const rand = prng(2026);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;
    const NAMES = ["cpu", "mem", "disk"];
    const SERVICES = ["api", "db", "web"];
    const SOURCES = ["h1", "h2"];
    const LEVELS = ["info", "warn", "error"];
    const valuesOf: Record<string, string[]> = { name: NAMES, service: SERVICES, source: SOURCES, level: LEVELS };
    const randomLeaf = (event: "metric" | "log"): RuleJson => {
      const fact = pick(event === "metric" ? ["name", "service", "source"] : ["service", "source", "level"]);
      const values = valuesOf[fact] as string[];
      return rand() < 0.6 ? leaf(fact, "equal", pick(values)) : leaf(fact, "in", values.filter(() => rand() < 0.5));
    };
    const randomMatch = (event: "metric" | "log"): RuleJson | undefined => {
      const r = rand();
      if (r < 0.1) return undefined;
      const leaves = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => randomLeaf(event));
      if (r < 0.2) return { any: leaves };
      if (r < 0.25) return { all: [{ not: randomLeaf(event) }, ...leaves] };
      return rand() < 0.2 ? { all: [{ all: leaves }] } : { all: leaves };
    };
    const compiled = Array.from({ length: 300 }, (_, i) => {
      const event = rand() < 0.7 ? "metric" : "log";
      return compile(rule(`r-${i}`, event, randomMatch(event)));
    });
    const big = new RuleIndex(compiled);
    let matched = 0;
    for (let i = 0; i < 2_000; i++) {
      const extra = { source: pick(SOURCES), ...(rand() < 0.8 ? { service: pick(SERVICES) } : {}) };
      const event = rand() < 0.7 ? metric(pick(NAMES), 1, T0, extra) : log(pick(LEVELS) as "info", "m", T0, extra);
      const candidates = big.candidates(event);
      assert.equal(new Set(candidates).size, candidates.length, "a rule is a candidate at most once");
      for (const r of compiled) {
        if (r.rule.event !== event.type || !r.matches(event)) continue;
        matched++;
        assert.ok(candidates.includes(r), `${r.rule.id} matches ${JSON.stringify(event)} but is not a candidate: ${JSON.stringify(r.rule.match)}`);
      }
    }
    assert.ok(matched > 5_000, `enough matches to mean something (${matched})`);
  });
});
