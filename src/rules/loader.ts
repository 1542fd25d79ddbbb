import { readdir, readFile } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import type { z } from "zod";
import { canonicalJson, sha256Hex } from "../core/hash.js";
import { jsonPath, type ValidationIssue } from "../core/errors.js";
import { ruleSchema, type Rule } from "./rule.schema.js";

/** A validated rule and where it came from. `contentHash` changes whenever anything in the rule changes. */
export interface LoadedRule {
  rule: Rule;
  file: string;
  contentHash: string;
}

export interface RuleSet {
  rules: LoadedRule[];
  /** One hash for the whole set, to compare what replicas and the checkout hold. */
  hash: string;
}

export interface LoadResult {
  ruleSet: RuleSet;
  issues: ValidationIssue[];
}

/** Where each kind of versioned file lives inside the rules directory. */
export const RULES_LAYOUT = { alerts: "alerts", tests: "tests", routes: "routes", users: "users", schedules: "schedules", policies: "policies", inventory: "inventory" } as const;

/** Turn zod issues into file + JSON path + message, the shape every `check` error takes. */
export function zodIssues(file: string, error: z.ZodError, prefix: ReadonlyArray<PropertyKey> = []): ValidationIssue[] {
  return error.issues.map((issue) => ({ file, path: jsonPath([...prefix, ...issue.path]), message: issue.message }));
}

/** Parse JSON text, reporting a syntax error with line and column rather than a character offset. */
export function parseJsonText(file: string, text: string): { value: unknown } | { issue: ValidationIssue } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    let where = "";
    if (position) {
      const offset = Number(position[1]);
      const before = text.slice(0, offset).split("\n");
      where = ` (line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1})`;
    }
    return { issue: { file, path: "", message: `invalid JSON${where}: ${message}` } };
  }
}

/** Validate one rule file's text. A file holds one rule object or an array of them. Pure: no I/O. */
export function parseRuleFile(file: string, text: string): { rules: LoadedRule[]; issues: ValidationIssue[] } {
  const parsed = parseJsonText(file, text);
  if ("issue" in parsed) return { rules: [], issues: [parsed.issue] };
  const entries = Array.isArray(parsed.value) ? parsed.value.map((v, i) => [v, [i]] as const) : [[parsed.value, []] as const];
  const rules: LoadedRule[] = [];
  const issues: ValidationIssue[] = [];
  for (const [value, prefix] of entries) {
    const result = ruleSchema.safeParse(value);
    if (!result.success) issues.push(...zodIssues(file, result.error, prefix));
    else rules.push({ rule: result.data, file, contentHash: sha256Hex(canonicalJson(value)) });
  }
  return { rules, issues };
}

/** Checks that need every file at once: ids are unique across the rule set. */
export function crossCheckRules(rules: readonly LoadedRule[]): ValidationIssue[] {
  const seen = new Map<string, LoadedRule>();
  const issues: ValidationIssue[] = [];
  for (const loaded of rules) {
    const first = seen.get(loaded.rule.id);
    if (first) issues.push({ file: loaded.file, path: "id", message: `duplicate rule id "${loaded.rule.id}" (also defined in ${first.file})` });
    else seen.set(loaded.rule.id, loaded);
  }
  return issues;
}

export function buildRuleSet(rules: LoadedRule[]): RuleSet {
  const sorted = [...rules].sort((a, b) => (a.rule.id < b.rule.id ? -1 : a.rule.id > b.rule.id ? 1 : 0));
  return { rules: sorted, hash: sha256Hex(sorted.map((r) => `${r.rule.id}@${r.contentHash}`).join("\n")) };
}

export async function listJsonFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return out;
    throw error;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listJsonFiles(path)));
    else if (entry.name.endsWith(".json")) out.push(path);
  }
  return out;
}

/**
 * Load and validate every alert rule under `<rulesDir>/alerts`. A JSON file elsewhere in the rules directory that
 * belongs to no known folder is reported, since a misplaced rule would otherwise silently never run.
 */
export async function loadRules(rulesDir: string): Promise<LoadResult> {
  const rules: LoadedRule[] = [];
  const issues: ValidationIssue[] = [];
  const known = Object.values(RULES_LAYOUT) as string[];
  for (const path of await listJsonFiles(rulesDir)) {
    const rel = relative(rulesDir, path);
    const folder = rel.split(sep)[0] ?? "";
    if (!rel.includes(sep) || !known.includes(folder)) {
      issues.push({ file: path, path: "", message: `not in a known folder of the rules directory (${known.map((k) => `${k}/`).join(", ")})` });
      continue;
    }
    if (folder !== RULES_LAYOUT.alerts) continue;
    const result = parseRuleFile(path, await readFile(path, "utf8"));
    rules.push(...result.rules);
    issues.push(...result.issues);
  }
  issues.push(...crossCheckRules(rules));
  return { ruleSet: buildRuleSet(rules), issues };
}
