import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { formatIssue, type ValidationIssue } from "../../core/errors.js";
import { unknownPlaceholders } from "../../evaluate/annotations.js";
import { compileRule } from "../../rules/compiled-rule.js";
import { listJsonFiles, loadRules, RULES_LAYOUT } from "../../rules/loader.js";
import { RuleIndex } from "../../rules/rule-index.js";
import { parseRuleTestFile } from "../../ruletest/run-file.js";
import { loadInventory } from "../../inventory/loader.js";
import { loadRouting } from "../../rules/routing-loader.js";
import { checkTemplates } from "../../notify/templates-check.js";
import { loadDirectory } from "../../app/directory-loader.js";
import { buildRouting } from "../../alerts/routing-set.js";
import { DEFAULT_ROUTING } from "../../alerts/routing.js";
import { partitioningIssues } from "../../cluster/partition.js";
import type { Output } from "../output.js";

export interface CheckReport {
  issues: ValidationIssue[];
  warnings: ValidationIssue[];
  rules: number;
  testFiles: number;
  /** Hosts and service instances the inventory lists. */
  inventoryMembers: number;
}

/** Everything `klaxon check` validates, as data (the command formats it). */
export async function checkRulesDir(dir: string, partitions = 1): Promise<CheckReport> {
  const { ruleSet, issues } = await loadRules(dir);
  issues.push(...partitioningIssues(ruleSet.rules, partitions));
  const warnings: ValidationIssue[] = [];
  for (const { rule, file } of ruleSet.rules) {
    for (const [name, template] of Object.entries(rule.annotations ?? {})) {
      for (const path of unknownPlaceholders(template)) {
        issues.push({ file, path: `annotations.${name}`, message: `unknown placeholder {{ ${path} }}: use value, count, source, service, name, level, message, labels.<name>, lastSeen, time or rule` });
      }
    }
  }
  const compiled = ruleSet.rules.map(compileRule);
  for (const rule of new RuleIndex(compiled).unrouted()) {
    warnings.push({ file: rule.file, path: "match", message: `rule "${rule.rule.id}" is evaluated for every ${rule.rule.event} event: add an "equal" on name, service, source or level to "match" so events are routed to it` });
  }
  const routing = await loadRouting(dir);
  issues.push(...routing.issues);
  warnings.push(...routing.warnings);
  // Policies, users and schedules are checked even when the routing file is broken (against the default routing).
  issues.push(...(await loadDirectory(dir, (routing.loaded ?? buildRouting(undefined, undefined).loaded)?.routing ?? DEFAULT_ROUTING)).issues);
  const routeFiles = await listJsonFiles(join(dir, RULES_LAYOUT.routes));
  for (const file of routeFiles) {
    if (!file.endsWith(join(RULES_LAYOUT.routes, "routes.json"))) issues.push({ file, path: "", message: "the routing tree lives in routes/routes.json alone; merge this file into it" });
  }
  const testFiles = await listJsonFiles(join(dir, RULES_LAYOUT.tests));
  for (const file of testFiles) issues.push(...parseRuleTestFile(file, await readFile(file, "utf8")).issues);
  const inventory = await loadInventory(dir);
  issues.push(...inventory.issues);
  return { issues, warnings, rules: ruleSet.rules.length, testFiles: testFiles.length, inventoryMembers: inventory.inventory.members.length };
}

/** `partitions`: check the rules as replicas running with this many evaluation partitions would load them. */
export async function checkCommand(dir: string, out: Output, templatesDir = "templates", partitions = 1): Promise<number> {
  const report = await checkRulesDir(dir, partitions);
  const templates = await checkTemplates(templatesDir);
  report.issues.push(...templates.issues);
  report.warnings.push(...templates.warnings);
  for (const warning of report.warnings) out.err(`warning: ${formatIssue(warning)}`);
  if (report.issues.length > 0) {
    for (const issue of report.issues) out.err(`error: ${formatIssue(issue)}`);
    out.err(`${report.issues.length} error(s) in ${dir}`);
    return 1;
  }
  out.log(`ok: ${report.rules} rule(s) and ${report.testFiles} test file(s) in ${dir} are valid; the inventory lists ${report.inventoryMembers} member(s)`);
  out.log(`ok: ${templates.templates} notification template(s) in ${templatesDir} render against a sample alert`);
  return 0;
}
