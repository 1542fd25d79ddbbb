// Pure: no clock, no I/O. What differs between the configuration a replica runs, its rules directory and the other
// replicas, and which drift alerts to fire or resolve because of it.
import { fingerprint } from "../alerts/fingerprint.js";
import type { RuleSet } from "../rules/loader.js";
import { diffRuleSets, type RuleChange } from "../rules/rule-changes.js";

export type ConfigPart = "rules" | "routing" | "oncall";

/** What identifies a loaded configuration; small enough to go into every replica's heartbeat record. */
export interface ConfigSummary {
  rules: { hash: string; count: number };
  routing: { hash: string; version: number };
  oncall: { hash: string };
}

/** A configuration in full: the rule set rule by rule, so a difference can name the rules. */
export interface ConfigSnapshot {
  ruleSet: RuleSet;
  routing: { hash: string; version: number };
  oncall: { hash: string };
}

export type Loadable<T> = { ok: true; value: T } | { ok: false; problem: string };

/** The rules directory as it would load now. A part that would not load carries its first problem. */
export interface DiskConfig {
  ruleSet: Loadable<RuleSet>;
  routing: Loadable<{ hash: string; version: number }>;
  oncall: Loadable<{ hash: string }>;
}

export interface Difference {
  part: ConfigPart;
  detail: string;
}

export type DriftAgainst = "disk" | "replicas";

export interface DriftFinding {
  against: DriftAgainst;
  differences: Difference[];
}

/** A drift alert as announced: what resolving it needs (labels, start) and what it said. */
export interface DriftAlert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAtMs: number;
}

export interface DriftState {
  announced: DriftAlert[];
  /** Differences seen but not yet announced (within the tolerance), by alert fingerprint: since when. */
  pendingSinceMs: Record<string, number>;
}

export const DRIFT_ALERTNAME = "KlaxonConfigDrift";
/** Keeps an alert well inside one message however many rules differ. */
const MAX_LISTED = 5;
const MAX_DESCRIPTION = 1_500;

export function summarize(config: ConfigSnapshot): ConfigSummary {
  return { rules: { hash: config.ruleSet.hash, count: config.ruleSet.rules.length }, routing: config.routing, oncall: config.oncall };
}

const short = (hash: string): string => hash.slice(0, 12);

function listed(items: string[]): string {
  const shown = items.slice(0, MAX_LISTED).join(", ");
  return items.length > MAX_LISTED ? `${shown} and ${items.length - MAX_LISTED} more` : shown;
}

function describeRuleChange(change: RuleChange): string {
  if (change.change === "added") return `${change.ruleId} v${change.newVersion} is on disk but not loaded`;
  if (change.change === "removed") return `${change.ruleId} v${change.oldVersion} is loaded but no longer on disk`;
  const versions = change.oldVersion === change.newVersion ? `v${change.oldVersion} on both, content differs` : `loaded v${change.oldVersion}, on disk v${change.newVersion}`;
  return `${change.ruleId} (${versions}; ${change.file})`;
}

/** Loaded configuration against the rules directory: each part that differs, or that would not load. */
export function diskDifferences(loaded: ConfigSnapshot, disk: DiskConfig): Difference[] {
  const out: Difference[] = [];
  if (!disk.ruleSet.ok) out.push({ part: "rules", detail: `the rule files on disk do not load: ${disk.ruleSet.problem}` });
  else if (disk.ruleSet.value.hash !== loaded.ruleSet.hash) {
    out.push({ part: "rules", detail: `rules: ${listed(diffRuleSets(loaded.ruleSet, disk.ruleSet.value).map(describeRuleChange))}` });
  }
  if (!disk.routing.ok) out.push({ part: "routing", detail: `the routing file on disk does not load: ${disk.routing.problem}` });
  else if (disk.routing.value.hash !== loaded.routing.hash) {
    out.push({ part: "routing", detail: `routing: loaded v${loaded.routing.version} (${short(loaded.routing.hash)}), on disk v${disk.routing.value.version} (${short(disk.routing.value.hash)})` });
  }
  if (!disk.oncall.ok) out.push({ part: "oncall", detail: `the users, schedules or policies on disk do not load: ${disk.oncall.problem}` });
  else if (disk.oncall.value.hash !== loaded.oncall.hash) {
    out.push({ part: "oncall", detail: `users, schedules or policies: loaded ${short(loaded.oncall.hash)}, on disk ${short(disk.oncall.value.hash)}` });
  }
  return out;
}

/** This replica against the others: each part where some replica runs something else, naming the replicas. */
export function peerDifferences(self: ConfigSummary, peers: ReadonlyArray<{ replica: string; summary: ConfigSummary }>): Difference[] {
  const out: Difference[] = [];
  const rules = peers.filter((p) => p.summary.rules.hash !== self.rules.hash);
  if (rules.length > 0) {
    out.push({ part: "rules", detail: `rules: here ${short(self.rules.hash)} (${self.rules.count}), ${listed(rules.map((p) => `${p.replica} ${short(p.summary.rules.hash)} (${p.summary.rules.count})`))}` });
  }
  const routing = peers.filter((p) => p.summary.routing.hash !== self.routing.hash);
  if (routing.length > 0) {
    out.push({ part: "routing", detail: `routing: here v${self.routing.version}, ${listed(routing.map((p) => `${p.replica} v${p.summary.routing.version} (${short(p.summary.routing.hash)})`))}` });
  }
  const oncall = peers.filter((p) => p.summary.oncall.hash !== self.oncall.hash);
  if (oncall.length > 0) {
    out.push({ part: "oncall", detail: `users, schedules or policies: here ${short(self.oncall.hash)}, ${listed(oncall.map((p) => `${p.replica} ${short(p.summary.oncall.hash)}`))}` });
  }
  return out;
}

/** One alert per (replica, what it is compared with, which parts differ). */
export function driftLabels(replica: string, against: DriftAgainst, parts: readonly ConfigPart[]): Record<string, string> {
  return { alertname: DRIFT_ALERTNAME, severity: "warning", replica, against, differs: [...new Set(parts)].sort().join(",") };
}

function driftAnnotations(replica: string, finding: DriftFinding, rulesDir: string): Record<string, string> {
  const parts = [...new Set(finding.differences.map((d) => d.part))].sort().join(", ");
  const summary =
    finding.against === "disk"
      ? `replica ${replica} runs ${parts} that differ from its rules directory ${rulesDir}: reload it, or restore the files`
      : `replica ${replica} runs ${parts} that differ from other replicas`;
  const description = finding.differences.map((d) => d.detail).join("; ");
  return { summary, description: description.length > MAX_DESCRIPTION ? `${description.slice(0, MAX_DESCRIPTION - 1)}…` : description };
}

/**
 * Which drift alerts to fire and resolve now. A difference is announced once it has lasted `toleranceMs` (a rolling
 * reload is not drift); an announced alert resolves as soon as its difference is gone. A change in which parts
 * differ is a different alert: the old one resolves and the new one fires.
 */
export function planDriftAlerts(
  state: DriftState,
  findings: readonly DriftFinding[],
  context: { replica: string; rulesDir: string; nowMs: number; toleranceMs: number },
): { state: DriftState; fire: DriftAlert[]; resolve: DriftAlert[] } {
  const desired = new Map<string, { labels: Record<string, string>; annotations: Record<string, string> }>();
  for (const finding of findings) {
    if (finding.differences.length === 0) continue;
    const labels = driftLabels(context.replica, finding.against, finding.differences.map((d) => d.part));
    desired.set(fingerprint(labels), { labels, annotations: driftAnnotations(context.replica, finding, context.rulesDir) });
  }
  const announced = new Map(state.announced.map((a) => [a.fingerprint, a] as const));
  const resolve = state.announced.filter((a) => !desired.has(a.fingerprint));
  const fire: DriftAlert[] = [];
  const pendingSinceMs: Record<string, number> = {};
  for (const [id, alert] of desired) {
    if (announced.has(id)) continue;
    const since = state.pendingSinceMs[id] ?? context.nowMs;
    if (context.nowMs - since >= context.toleranceMs) fire.push({ fingerprint: id, ...alert, startsAtMs: context.nowMs });
    else pendingSinceMs[id] = since;
  }
  const kept = state.announced.filter((a) => desired.has(a.fingerprint));
  return { state: { announced: [...kept, ...fire], pendingSinceMs }, fire, resolve };
}
