import { readFile } from "node:fs/promises";
import { jetstream } from "@nats-io/jetstream";
import { systemClock, type Clock } from "../../core/clock.js";
import { formatIssue, type ValidationIssue } from "../../core/errors.js";
import { stateEventSchema } from "../../ingest/event.schema.js";
import { parseJsonText, zodIssues } from "../../rules/loader.js";
import { withNats, type ConnectionOptions } from "../connect.js";
import type { Output } from "../output.js";

export interface ReportStateOptions extends ConnectionOptions {
  source: string;
  service?: string;
  /** "name=value", repeatable; wins over the same fact in the facts file. */
  fact?: string[];
  /** A JSON object of facts: { "version": "2.4.1", "workers": 8 }. */
  factsFile?: string;
}

/**
 * `klaxon report-state --source web-1 [--service checkout] --fact version=2.4.1 | --facts-file facts.json`: publish
 * a host's state on `<events>.state.<source>`, stamped now. Meant for cron and deploy hooks.
 */
export async function reportStateCommand(options: ReportStateOptions, out: Output, clock: Clock = systemClock): Promise<number> {
  const issues: ValidationIssue[] = [];
  const facts: Record<string, unknown> = {};
  if (options.factsFile !== undefined) {
    const parsed = parseJsonText(options.factsFile, await readFile(options.factsFile, "utf8"));
    if ("issue" in parsed) issues.push(parsed.issue);
    else if (parsed.value === null || typeof parsed.value !== "object" || Array.isArray(parsed.value)) issues.push({ file: options.factsFile, path: "", message: 'expected a JSON object of facts, e.g. { "version": "2.4.1" }' });
    else Object.assign(facts, parsed.value);
  }
  for (const pair of options.fact ?? []) {
    const equals = pair.indexOf("=");
    if (equals <= 0) issues.push({ file: "--fact", path: pair, message: "expected name=value, e.g. --fact version=2.4.1" });
    else facts[pair.slice(0, equals)] = pair.slice(equals + 1);
  }
  if (issues.length === 0 && Object.keys(facts).length === 0) issues.push({ file: "klaxon report-state", path: "", message: "no facts: give --fact name=value (repeatable) or --facts-file FILE" });
  const event = { type: "state", source: options.source, ...(options.service === undefined ? {} : { service: options.service }), facts, time: new Date(clock.now()).toISOString() };
  const checked = stateEventSchema.safeParse(event);
  if (issues.length === 0 && !checked.success) {
    // A bad fact from the file names the file; anything else (the source, a --fact) names the event.
    for (const issue of zodIssues("state event", checked.error)) issues.push(options.factsFile !== undefined && issue.path.startsWith("facts.") ? { ...issue, file: options.factsFile } : issue);
  }
  if (issues.length > 0) {
    for (const issue of issues) out.err(`error: ${formatIssue(issue)}`);
    return 1;
  }
  return withNats(options, async (nc, config) => {
    const subject = `${config.subjects.events}.state.${options.source}`;
    const ack = await jetstream(nc).publish(subject, JSON.stringify(event));
    out.log(`published ${Object.keys(facts).length} fact(s) of ${options.source}${options.service ? ` (${options.service})` : ""} on ${subject} (stream ${ack.stream}, seq ${ack.seq})`);
    return 0;
  });
}
