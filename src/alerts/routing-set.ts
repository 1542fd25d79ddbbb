import type { ValidationIssue } from "../core/errors.js";
import { jsonPath } from "../core/errors.js";
import { sha256Hex } from "../core/hash.js";
import { parseRoutingFile } from "./routes-loader.js";
import { DEFAULT_ROUTING, type Routing } from "./routing.js";
import { compileTimeIntervals, type TimeIntervals } from "./time-intervals.js";
import { timeIntervalSchema } from "./time-intervals.schema.js";

/** The routing tree with its time intervals compiled: what the alert stage runs on. */
export interface LoadedRouting {
  routing: Routing;
  timeIntervals: TimeIntervals;
  /** Where it came from (undefined: built-in default) and a hash to tell versions apart. */
  file: string | undefined;
  hash: string;
}

export interface RoutingLoadResult {
  loaded?: LoadedRouting;
  issues: ValidationIssue[];
  warnings: ValidationIssue[];
}

/** Validate routing text including its time intervals. Pure; `file` undefined means "no routing file: defaults". */
export function buildRouting(file: string | undefined, text: string | undefined): RoutingLoadResult {
  if (file === undefined || text === undefined) {
    return { loaded: { routing: DEFAULT_ROUTING, timeIntervals: compileTimeIntervals([]), file: undefined, hash: "default" }, issues: [], warnings: [] };
  }
  const result = parseRoutingFile(file, text);
  if (!result.routing) return { issues: result.issues, warnings: result.warnings };
  const issues: ValidationIssue[] = [];
  const definitions = result.routing.timeIntervals.flatMap((raw, i) => {
    const parsed = timeIntervalSchema.safeParse(raw);
    if (parsed.success) return [parsed.data];
    for (const issue of parsed.error.issues) issues.push({ file, path: jsonPath(["timeIntervals", i, ...issue.path]), message: issue.message });
    return [];
  });
  const names = new Set<string>();
  definitions.forEach((d, i) => {
    if (names.has(d.name)) issues.push({ file, path: `timeIntervals[${i}].name`, message: `duplicate time interval name "${d.name}"` });
    names.add(d.name);
  });
  if (issues.length > 0) return { issues, warnings: result.warnings };
  return { loaded: { routing: result.routing, timeIntervals: compileTimeIntervals(definitions), file, hash: sha256Hex(text) }, issues: [], warnings: result.warnings };
}
