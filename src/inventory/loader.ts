import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ValidationIssue } from "../core/errors.js";
import { listJsonFiles, RULES_LAYOUT } from "../rules/loader.js";
import { buildInventory, parseInventoryFile, type Inventory, type ParsedInventoryFile } from "./inventory.js";

export interface InventoryLoad {
  inventory: Inventory;
  issues: ValidationIssue[];
}

/** Every file under `<rulesDir>/inventory`, validated and merged. No folder or no files: an empty inventory. */
export async function loadInventory(rulesDir: string): Promise<InventoryLoad> {
  const parsed: ParsedInventoryFile[] = [];
  const issues: ValidationIssue[] = [];
  for (const file of await listJsonFiles(join(rulesDir, RULES_LAYOUT.inventory))) {
    const result = parseInventoryFile(file, await readFile(file, "utf8"));
    if (result.parsed) parsed.push(result.parsed);
    issues.push(...result.issues);
  }
  const built = buildInventory(parsed);
  return { inventory: built.inventory, issues: [...issues, ...built.issues] };
}
