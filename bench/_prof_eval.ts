import { Evaluator } from "../src/evaluate/evaluator.js";
import { decodeEvent } from "../src/ingest/decode.js";
import { compileRule } from "../src/rules/compiled-rule.js";
import { parseRuleFile } from "../src/rules/loader.js";
import { buildWorld, generateEvents, generateRules } from "./generate.js";
const world = buildWorld(42);
const set = generateEvents(world, 100_000, 42, Date.now());
const rules = generateRules(world, 1000, 42).map((r) => compileRule(parseRuleFile("x.json", JSON.stringify(r)).rules[0]!));
const enc = new TextEncoder();
const events = set.events.map((e) => { const d = decodeEvent(enc.encode(e.json), e.subject, "events", { maxEventBytes: 65536, maxFutureSkewMs: 300000 }, Date.now()); if (!d.ok) throw new Error(); return d.event; });
for (let round = 0; round < 2; round++) {
  const ev = new Evaluator(rules, set.firstTimeMs);
  const t = performance.now();
  let n = 0;
  for (const e of events) n += ev.apply(e).length;
  console.log("apply", (performance.now() - t).toFixed(0), "ms", n, ev.seriesCount());
}
