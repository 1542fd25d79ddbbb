import { describe, test } from "node:test";
import assert from "node:assert/strict";
import type { AlertRecord } from "../../src/alerts/dispatcher.types.js";
import { fingerprint } from "../../src/alerts/fingerprint.js";
import { Inhibitor } from "../../src/alerts/inhibitor.js";
import { parseMatcher } from "../../src/alerts/matchers.js";
import { compileInhibitRule, inhibits } from "../../src/alerts/routing.js";
import { prng } from "../support/random.js";

function alert(labels: Record<string, string>): AlertRecord {
  return { fingerprint: fingerprint(labels), status: "firing", labels, annotations: {}, startsAtMs: 0 };
}

describe("Inhibitor", () => {
  test("decides as comparing every target with every firing alert does (random rules and alerts)", () => {
    const random = prng(7);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    const values = ["a", "b", "c", ""];
    for (let round = 0; round < 200; round++) {
      const rules = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
        compileInhibitRule({
          sourceMatchers: [parseMatcher(`severity="${pick(["critical", "warning"])}"`)],
          targetMatchers: [parseMatcher(`severity${pick(["=", "!="])}"${pick(["critical", "warning", "info"])}"`)],
          equal: Array.from({ length: Math.floor(random() * 3) }, () => pick(["zone", "service", "host"])),
        }),
      );
      const firing = new Map<string, AlertRecord>();
      for (let i = 0; i < 30; i++) {
        const labels: Record<string, string> = { alertname: pick(["A", "B"]), severity: pick(["critical", "warning", "info"]) };
        for (const name of ["zone", "service", "host"]) {
          const value = pick(values);
          if (value !== "") labels[name] = value;
        }
        const a = alert(labels);
        firing.set(a.fingerprint, a);
      }
      const all = [...firing.values()];
      const sources = new Inhibitor(rules).sources(all);
      for (const target of all) {
        const expected = rules.some((rule) => all.some((source) => source.fingerprint !== target.fingerprint && inhibits(rule, source.labels, target.labels)));
        assert.equal(sources.inhibits(target), expected, `round ${round}: ${JSON.stringify(target.labels)}`);
      }
    }
  });

  test("an alert never inhibits itself, but an equal one from another rule does", () => {
    const rule = compileInhibitRule({ sourceMatchers: [parseMatcher('severity="critical"')], targetMatchers: [parseMatcher('alertname="Down"')], equal: ["zone"] });
    const down = alert({ alertname: "Down", severity: "critical", zone: "fra" });
    assert.equal(new Inhibitor([rule]).sources([down]).inhibits(down), false, "its own source");
    const other = alert({ alertname: "DatacenterDown", severity: "critical", zone: "fra" });
    assert.equal(new Inhibitor([rule]).sources([down, other]).inhibits(down), true);
    const elsewhere = alert({ alertname: "DatacenterDown", severity: "critical", zone: "ams" });
    assert.equal(new Inhibitor([rule]).sources([down, elsewhere]).inhibits(down), false, "equal labels differ");
  });
});
