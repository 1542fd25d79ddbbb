import { readFile, stat } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { ValidationIssue } from "../core/errors.js";
import { formatDuration } from "../core/duration.js";
import { compileRule } from "../rules/compiled-rule.js";
import { crossCheckRules, listJsonFiles, parseJsonText, parseRuleFile, zodIssues, type LoadedRule } from "../rules/loader.js";
import { runCase, type CaseResult } from "./run-case.js";
import { ruleTestFileSchema, type RuleTestFile } from "./ruletest.schema.js";

export interface FileResult {
  file: string;
  issues: ValidationIssue[];
  cases: CaseResult[];
}

/** Parse and validate a rule test file without running it (what `klaxon check` does to files in tests/). */
export function parseRuleTestFile(file: string, text: string): { value?: RuleTestFile; issues: ValidationIssue[] } {
  const json = parseJsonText(file, text);
  if ("issue" in json) return { issues: [json.issue] };
  const parsed = ruleTestFileSchema.safeParse(json.value);
  if (!parsed.success) return { issues: zodIssues(file, parsed.error) };
  return { value: parsed.data, issues: [] };
}

async function loadReferencedRules(file: string, references: readonly string[]): Promise<{ rules: LoadedRule[]; issues: ValidationIssue[] }> {
  const rules: LoadedRule[] = [];
  const issues: ValidationIssue[] = [];
  for (const [i, reference] of references.entries()) {
    const path = resolve(dirname(file), reference);
    let paths: string[];
    try {
      paths = (await stat(path)).isDirectory() ? await listJsonFiles(path) : [path];
    } catch {
      issues.push({ file, path: `rules[${i}]`, message: `no such file or directory: ${reference} (resolved to ${path})` });
      continue;
    }
    for (const rulePath of paths) {
      const result = parseRuleFile(rulePath, await readFile(rulePath, "utf8"));
      rules.push(...result.rules);
      issues.push(...result.issues);
    }
  }
  issues.push(...crossCheckRules(rules));
  return { rules, issues };
}

/** `klaxon test FILE`: load the file and the rules it names, run every case. */
export async function runRuleTestFile(file: string): Promise<FileResult> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    return { file, issues: [{ file, path: "", message: `cannot read: ${(error as Error).message}` }], cases: [] };
  }
  const parsed = parseRuleTestFile(file, text);
  if (!parsed.value) return { file, issues: parsed.issues, cases: [] };
  const testFile = parsed.value;
  const loaded = await loadReferencedRules(file, testFile.rules);
  if (loaded.issues.length > 0) return { file, issues: loaded.issues, cases: [] };
  const compiled = loaded.rules.map(compileRule);
  const startMs = Date.parse(testFile.start);
  const cases = testFile.tests.map((testCase, i) => runCase(testCase, compiled, startMs, file, ["tests", i], formatDuration));
  return { file, issues: cases.flatMap((c) => c.issues), cases };
}
