import { formatDuration } from "../../core/duration.js";
import { formatIssue } from "../../core/errors.js";
import { groupKey, matchRoutes } from "../../alerts/routing.js";
import { loadRouting } from "../../rules/routing-loader.js";
import type { Output } from "../output.js";

/** `klaxon routes test label=value ...`: which route(s) an alert with these labels takes, and how it is grouped. */
export async function routesTestCommand(pairs: readonly string[], options: { rules: string }, out: Output): Promise<number> {
  const labels: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf("=");
    if (at <= 0) {
      out.err(`error: "${pair}" is not label=value`);
      return 1;
    }
    labels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  const result = await loadRouting(options.rules);
  if (!result.loaded) {
    for (const issue of result.issues) out.err(`error: ${formatIssue(issue)}`);
    return 1;
  }
  const { routing, file } = result.loaded;
  out.log(`routing: ${file ?? "built-in default (no routes/routes.json)"}, version ${routing.version}`);
  for (const route of matchRoutes(routing.root, labels)) {
    const group = groupKey(route, labels);
    out.log(
      `${route.receiver}  (route ${route.id}) group {${Object.entries(group.labels).map(([k, v]) => `${k}="${v}"`).join(", ")}}` +
        `  wait ${formatDuration(route.groupWaitMs)}, interval ${formatDuration(route.groupIntervalMs)}, repeat ${formatDuration(route.repeatIntervalMs)}` +
        (route.muteTimeIntervals.length > 0 ? `, muted during ${route.muteTimeIntervals.join(", ")}` : "") +
        (route.activeTimeIntervals.length > 0 ? `, active only during ${route.activeTimeIntervals.join(", ")}` : ""),
    );
  }
  return 0;
}
