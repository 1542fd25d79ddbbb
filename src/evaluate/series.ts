import { fingerprint } from "../alerts/fingerprint.js";
import type { KlaxonEvent } from "../ingest/event.schema.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import { SlidingWindow } from "./sliding-window.js";

/** Facts of a series that has seen no event yet (an expected absence series). */
export const NO_FACTS: Readonly<Record<string, unknown>> = Object.freeze({});

/** The label each key field contributes to an alert. */
const KEY_FIELD_LABEL: Record<string, string> = { source: "source", service: "service", name: "metric", level: "level" };

/**
 * State of one series of one rule: the thing that fires and resolves. Times are epoch ms; nothing here reads a clock.
 */
export interface Series {
  readonly key: string;
  /** Label values taken from the events (keyBy); alert labels add the rule's labels on top. */
  readonly identity: Readonly<Record<string, string>>;
  labels: Readonly<Record<string, string>>;
  fingerprint: string;
  /** The latest event's fields, for annotations. */
  facts: Readonly<Record<string, unknown>>;
  lastValue: number | undefined;
  lastCondition: boolean;
  /** Condition true since (pending, then firing). */
  conditionSinceMs: number | undefined;
  /** Actual state: firing since, or undefined. */
  firingSinceMs: number | undefined;
  /** What was last announced downstream; differs from the actual state only while flapping. */
  publishedFiringSinceMs: number | undefined;
  lastSeenMs: number;
  window: SlidingWindow | undefined;
  /** State change times within the flapping window. */
  changes: number[];
  flappingSinceMs: number | undefined;
  /** When this series next needs a look without a new event, and which queue entry stands for it. */
  nextDueMs: number | undefined;
  queuedDueMs: number | undefined;
}

/** Key-field values of an event for one rule, or of an `expect` entry of an absence rule. */
export function identityOfEvent(keyBy: readonly string[], event: KlaxonEvent): Record<string, string> {
  const identity: Record<string, string> = {};
  for (const field of keyBy) {
    if (field === "labels") Object.assign(identity, event.labels);
    else if (field.startsWith("labels.")) {
      const name = field.slice(7);
      const value = event.labels[name];
      if (value !== undefined) identity[name] = value;
    } else {
      const value = (event as unknown as Record<string, unknown>)[field];
      if (typeof value === "string") identity[KEY_FIELD_LABEL[field] ?? field] = value;
    }
  }
  return identity;
}

export function identityOfExpectation(expect: Readonly<Record<string, string>>): Record<string, string> {
  const identity: Record<string, string> = {};
  for (const [field, value] of Object.entries(expect)) {
    identity[field.startsWith("labels.") ? field.slice(7) : (KEY_FIELD_LABEL[field] ?? field)] = value;
  }
  return identity;
}

export function identityKey(identity: Readonly<Record<string, string>>): string {
  const names = Object.keys(identity);
  if (names.length > 1) names.sort();
  let key = "";
  for (const name of names) key += `${name}\u0001${identity[name]}\u0000`;
  return key;
}

/** Alert labels: event identity, then the rule's own labels, then alertname and severity, which always win. */
export function alertLabels(rule: CompiledRule["rule"], identity: Readonly<Record<string, string>>): Record<string, string> {
  return { ...identity, ...rule.labels, alertname: rule.id, severity: rule.severity };
}

export function newSeries(compiled: CompiledRule, identity: Record<string, string>, seenMs: number): Series {
  const labels = alertLabels(compiled.rule, identity);
  // Hashing the labels is the dearest part of a new series, and most series never fire: hash on first use.
  let cachedFingerprint: string | undefined;
  return {
    key: identityKey(identity),
    identity,
    labels,
    get fingerprint(): string {
      cachedFingerprint ??= fingerprint(this.labels);
      return cachedFingerprint;
    },
    set fingerprint(value: string) {
      cachedFingerprint = value;
    },
    facts: NO_FACTS,
    lastValue: undefined,
    lastCondition: false,
    conditionSinceMs: undefined,
    firingSinceMs: undefined,
    publishedFiringSinceMs: undefined,
    lastSeenMs: seenMs,
    window: compiled.rule.kind === "window" ? new SlidingWindow(compiled.rule.window) : undefined,
    changes: [],
    flappingSinceMs: undefined,
    nextDueMs: undefined,
    queuedDueMs: undefined,
  };
}

/**
 * Two versions of a rule can hand series state from one to the other when they cut events into the same series and
 * keep the same kind of state; otherwise the old state means nothing to the new rule.
 */
export function stateSignature(rule: CompiledRule["rule"], keyBy: readonly string[]): string {
  const shape = rule.kind === "window" ? `${rule.window}/${rule.aggregate}` : rule.kind === "absence" ? `${rule.absentFor}` : "";
  return `${rule.kind}|${rule.event}|${keyBy.join(",")}|${shape}`;
}
