import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildRuleSet, parseRuleFile, type RuleSet } from "../../src/rules/loader.js";
import { diskDifferences, peerDifferences, planDriftAlerts, summarize, type ConfigSnapshot, type DiskConfig, type DriftFinding, type DriftState } from "../../src/app/drift-compare.js";

function ruleSet(...rules: Array<{ id: string; version: number; threshold?: number }>): RuleSet {
  return buildRuleSet(
    rules.flatMap(({ id, version, threshold = 90 }) =>
      parseRuleFile(`alerts/${id}.json`, JSON.stringify({ id, version, kind: "threshold", event: "metric", match: { all: [{ fact: "name", operator: "equal", value: id }] }, when: { all: [{ fact: "value", operator: "greaterThan", value: threshold }] }, severity: "warning" })).rules,
    ),
  );
}

const loaded: ConfigSnapshot = { ruleSet: ruleSet({ id: "a", version: 1 }, { id: "b", version: 1 }), routing: { hash: "r1".repeat(32), version: 3 }, oncall: { hash: "o1".repeat(32) } };
const sameOnDisk: DiskConfig = { ruleSet: { ok: true, value: loaded.ruleSet }, routing: { ok: true, value: loaded.routing }, oncall: { ok: true, value: loaded.oncall } };
const context = { replica: "r-1", rulesDir: "/etc/klaxon/rules", nowMs: 1_000_000, toleranceMs: 60_000 };
const empty: DriftState = { announced: [], pendingSinceMs: {} };

describe("drift comparison", () => {
  test("the same files on disk are no drift; each differing part is named with what differs", () => {
    assert.deepEqual(diskDifferences(loaded, sameOnDisk), []);
    const disk: DiskConfig = {
      ruleSet: { ok: true, value: ruleSet({ id: "a", version: 2 }, { id: "b", version: 1, threshold: 10 }, { id: "c", version: 1 }) },
      routing: { ok: true, value: { hash: "r2".repeat(32), version: 4 } },
      oncall: { ok: false, problem: "schedules/x.json: timeZone: unknown" },
    };
    assert.deepEqual(diskDifferences(loaded, disk), [
      { part: "rules", detail: "rules: a (loaded v1, on disk v2; alerts/a.json), b (v1 on both, content differs; alerts/b.json), c v1 is on disk but not loaded" },
      { part: "routing", detail: `routing: loaded v3 (${"r1".repeat(6)}), on disk v4 (${"r2".repeat(6)})` },
      { part: "oncall", detail: "the users, schedules or policies on disk do not load: schedules/x.json: timeZone: unknown" },
    ]);
  });

  test("many differing rules are listed five at a time", () => {
    const disk: DiskConfig = { ...sameOnDisk, ruleSet: { ok: true, value: ruleSet(...["a", "b", "c", "d", "e", "f", "g", "h"].map((id) => ({ id, version: 9 }))) } };
    const [rules] = diskDifferences(loaded, disk);
    assert.match(rules?.detail ?? "", /and 3 more$/);
  });

  test("replicas are compared by their summaries, naming the ones that differ", () => {
    const self = summarize(loaded);
    const other = { ...self, rules: { hash: "f".repeat(64), count: 7 } };
    assert.deepEqual(peerDifferences(self, [{ replica: "r-2", summary: self }]), []);
    assert.deepEqual(peerDifferences(self, [{ replica: "r-2", summary: self }, { replica: "r-3", summary: other }]), [
      { part: "rules", detail: `rules: here ${loaded.ruleSet.hash.slice(0, 12)} (2), r-3 ffffffffffff (7)` },
    ]);
  });

  test("a difference fires only after the tolerance, and resolves as soon as it is gone", () => {
    const findings: DriftFinding[] = [{ against: "disk", differences: [{ part: "rules", detail: "rules: a" }] }];
    const first = planDriftAlerts(empty, findings, context);
    assert.deepEqual([first.fire, first.resolve], [[], []]);
    const early = planDriftAlerts(first.state, findings, { ...context, nowMs: context.nowMs + 59_999 });
    assert.deepEqual(early.fire, []);
    const due = planDriftAlerts(early.state, findings, { ...context, nowMs: context.nowMs + 60_000 });
    assert.equal(due.fire.length, 1);
    assert.deepEqual(due.fire[0]?.labels, { alertname: "KlaxonConfigDrift", severity: "warning", replica: "r-1", against: "disk", differs: "rules" });
    assert.equal(due.fire[0]?.startsAtMs, context.nowMs + 60_000);
    const again = planDriftAlerts(due.state, findings, { ...context, nowMs: context.nowMs + 70_000 });
    assert.deepEqual([again.fire, again.resolve], [[], []], "announced once");
    const gone = planDriftAlerts(again.state, [{ against: "disk", differences: [] }], { ...context, nowMs: context.nowMs + 80_000 });
    assert.deepEqual(gone.resolve, due.fire);
    assert.deepEqual(gone.state, empty);
  });

  test("a difference that goes away within the tolerance is never announced", () => {
    const findings: DriftFinding[] = [{ against: "replicas", differences: [{ part: "routing", detail: "routing" }] }];
    const seen = planDriftAlerts(empty, findings, context);
    const gone = planDriftAlerts(seen.state, [], { ...context, nowMs: context.nowMs + 30_000 });
    const back = planDriftAlerts(gone.state, findings, { ...context, nowMs: context.nowMs + 40_000 });
    const later = planDriftAlerts(back.state, findings, { ...context, nowMs: context.nowMs + 90_000 });
    assert.deepEqual(later.fire, [], "the tolerance starts again when it comes back");
  });

  test("when other parts differ, the old alert resolves and a new one fires", () => {
    const rules: DriftFinding[] = [{ against: "disk", differences: [{ part: "rules", detail: "rules" }] }];
    const both: DriftFinding[] = [{ against: "disk", differences: [{ part: "rules", detail: "rules" }, { part: "routing", detail: "routing" }] }];
    const first = planDriftAlerts(empty, rules, { ...context, toleranceMs: 0 });
    const next = planDriftAlerts(first.state, both, { ...context, toleranceMs: 0, nowMs: context.nowMs + 1 });
    assert.deepEqual(next.resolve, first.fire);
    assert.equal(next.fire[0]?.labels.differs, "routing,rules");
  });
});
