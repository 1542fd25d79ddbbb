import type { LoadedRule, RuleSet } from "./loader.js";

export interface RuleChange {
  ruleId: string;
  change: "added" | "changed" | "removed";
  file: string;
  oldVersion?: number;
  newVersion?: number;
  oldHash?: string;
  newHash?: string;
  /** The content changed but the version number did not: reviewers lose track of what runs. */
  versionNotBumped?: boolean;
}

/** What differs between two rule sets, rule by rule: what the audit trail records on every reload. */
export function diffRuleSets(before: RuleSet, after: RuleSet): RuleChange[] {
  const old = new Map(before.rules.map((r) => [r.rule.id, r] as const));
  const changes: RuleChange[] = [];
  for (const next of after.rules) {
    const prev = old.get(next.rule.id);
    old.delete(next.rule.id);
    if (!prev) changes.push({ ruleId: next.rule.id, change: "added", file: next.file, newVersion: next.rule.version, newHash: next.contentHash });
    else if (prev.contentHash !== next.contentHash) changes.push(changed(prev, next));
  }
  for (const prev of old.values()) {
    changes.push({ ruleId: prev.rule.id, change: "removed", file: prev.file, oldVersion: prev.rule.version, oldHash: prev.contentHash });
  }
  return changes;
}

function changed(prev: LoadedRule, next: LoadedRule): RuleChange {
  const change: RuleChange = {
    ruleId: next.rule.id,
    change: "changed",
    file: next.file,
    oldVersion: prev.rule.version,
    newVersion: next.rule.version,
    oldHash: prev.contentHash,
    newHash: next.contentHash,
  };
  if (next.rule.version <= prev.rule.version) change.versionNotBumped = true;
  return change;
}
