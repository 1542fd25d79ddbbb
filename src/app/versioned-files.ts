import type { LoadedRouting } from "../alerts/routing-set.js";
import { partitioningIssues } from "../cluster/partition.js";
import type { ValidationIssue } from "../core/errors.js";
import type { Inventory } from "../inventory/inventory.js";
import { loadInventory } from "../inventory/loader.js";
import { loadRules, type RuleSet } from "../rules/loader.js";
import { loadRouting } from "../rules/routing-loader.js";
import { loadDirectory, type DirectoryLoad } from "./directory-loader.js";

/** What the engine runs from its rules directory: every kind of versioned file, validated against the others. */
export interface VersionedFiles {
  ruleSet: RuleSet;
  routing: LoadedRouting;
  directory: DirectoryLoad;
  inventory: Inventory;
}

/** The audit trail names a refused kind by these (`rules.reload_rejected`, `oncall.reload_rejected`, ...). */
export type FileKind = "rules" | "routing" | "oncall" | "inventory";

export type VersionedFilesLoad = { ok: true; files: VersionedFiles } | { ok: false; rejected: Array<{ kind: FileKind; issues: ValidationIssue[] }> };

/**
 * Load and cross-check everything under the rules directory, at start and at every reload: one path, so a reload
 * can never accept what a start would refuse. Any issue refuses the whole set; the issues come grouped by kind.
 */
export async function loadVersionedFiles(rulesDir: string, partitions: number): Promise<VersionedFilesLoad> {
  const rules = await loadRules(rulesDir);
  const routing = await loadRouting(rulesDir);
  const directory = routing.loaded ? await loadDirectory(rulesDir, routing.loaded.routing) : undefined;
  const inventory = await loadInventory(rulesDir);
  const rejected = [
    { kind: "rules" as const, issues: [...rules.issues, ...partitioningIssues(rules.ruleSet.rules, partitions)] },
    { kind: "routing" as const, issues: routing.issues },
    { kind: "oncall" as const, issues: directory?.issues ?? [] },
    { kind: "inventory" as const, issues: inventory.issues },
  ].filter((group) => group.issues.length > 0);
  if (rejected.length > 0 || !routing.loaded || !directory) return { ok: false, rejected };
  return { ok: true, files: { ruleSet: rules.ruleSet, routing: routing.loaded, directory, inventory: inventory.inventory } };
}
