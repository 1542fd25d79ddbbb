import { formatIssue } from "../../core/errors.js";
import { runRuleTestFile, type ExpectationFailure } from "../../ruletest/index.js";
import type { Output } from "../output.js";

function labels(set: Readonly<Record<string, string>>): string {
  return `{${Object.entries(set)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}="${v}"`)
    .join(", ")}}`;
}

function describeFailure(failure: ExpectationFailure): string[] {
  const lines = [`    at ${failure.offset}${failure.rule ? ` (rule ${failure.rule})` : ""}:`];
  for (const missing of failure.missing) lines.push(`      - expected firing, not found: ${labels(missing.labels)}`);
  for (const extra of failure.unexpected) lines.push(`      + firing, not expected:       ${labels(extra.labels)}`);
  for (const m of failure.annotationMismatches) {
    lines.push(`      ~ annotations differ for ${labels(m.labels)}`);
    for (const [name, text] of Object.entries(m.expected)) {
      if (m.actual[name] !== text) lines.push(`          ${name}: expected "${text}", got "${m.actual[name] ?? "(none)"}"`);
    }
  }
  return lines;
}

/** `klaxon test FILE...`: promtool-style unit tests for rules. Exit 0 when every case passes. */
export async function testRulesCommand(files: readonly string[], out: Output): Promise<number> {
  let passed = 0;
  let failed = 0;
  for (const file of files) {
    const result = await runRuleTestFile(file);
    if (result.cases.length === 0 || result.issues.length > 0) {
      failed++;
      out.err(`FAIL ${file}`);
      for (const issue of result.issues) out.err(`  error: ${formatIssue(issue)}`);
      continue;
    }
    for (const testCase of result.cases) {
      if (testCase.failures.length === 0) {
        passed++;
        out.log(`ok   ${file}: ${testCase.name}`);
      } else {
        failed++;
        out.err(`FAIL ${file}: ${testCase.name}`);
        for (const failure of testCase.failures) for (const line of describeFailure(failure)) out.err(line);
      }
    }
  }
  out.log(`${passed} passed, ${failed} failed`);
  return failed === 0 ? 0 : 1;
}
