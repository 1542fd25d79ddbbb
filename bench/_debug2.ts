import { loadRules } from "../src/rules/loader.js";
import { rulesDir } from "../test/support/engine.js";
import { buildWorld, generateRules } from "./generate.js";
for (const n of [1000, 5000, 8000, 10000]) {
  const dir = await rulesDir(generateRules(buildWorld(42), n, 42));
  const { ruleSet } = await loadRules(dir);
  const entry = { action: "engine.start", actor: "x", timeMs: 0, details: { rulesHash: ruleSet.hash, rules: ruleSet.rules.map((r) => ({ id: r.rule.id, version: r.rule.version, hash: r.contentHash })) } };
  console.log(n, JSON.stringify(entry).length);
}
