import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ValidationIssue } from "../core/errors.js";
import { escalationPolicySchema, type EscalationPolicy } from "../escalate/policy.schema.js";
import { listJsonFiles, parseJsonText, zodIssues } from "./loader.js";

export const POLICIES_DIR = "policies";

/** Validate one policy file. Pure. */
export function parsePolicyFile(file: string, text: string): { policy?: EscalationPolicy; issues: ValidationIssue[] } {
  const json = parseJsonText(file, text);
  if ("issue" in json) return { issues: [json.issue] };
  const parsed = escalationPolicySchema.safeParse(json.value);
  return parsed.success ? { policy: parsed.data, issues: [] } : { issues: zodIssues(file, parsed.error) };
}

/** Every escalation policy under `<rulesDir>/policies/`, with unique ids. */
export async function loadPolicies(rulesDir: string): Promise<{ policies: Map<string, EscalationPolicy>; files: Map<string, string>; issues: ValidationIssue[] }> {
  const policies = new Map<string, EscalationPolicy>();
  const files = new Map<string, string>();
  const issues: ValidationIssue[] = [];
  for (const file of await listJsonFiles(join(rulesDir, POLICIES_DIR))) {
    const result = parsePolicyFile(file, await readFile(file, "utf8"));
    issues.push(...result.issues);
    if (!result.policy) continue;
    const first = files.get(result.policy.id);
    if (first) issues.push({ file, path: "id", message: `duplicate policy id "${result.policy.id}" (also in ${first})` });
    else {
      policies.set(result.policy.id, result.policy);
      files.set(result.policy.id, file);
    }
  }
  return { policies, files, issues };
}
