import { fingerprint } from "../alerts/fingerprint.js";
import { mergeRecords } from "../core/records.js";
import type { KlaxonEvent } from "../ingest/event.schema.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import { identityOfEvent, KEY_FIELD_LABEL } from "./series-key.js";
import { SlidingWindow } from "./sliding-window.js";

const NO_KEY_FIELDS: readonly string[] = Object.freeze([]);

/** Facts of a series that has seen no event yet (an expected absence series). */
export const NO_FACTS: Readonly<Record<string, unknown>> = Object.freeze({});

/** `changes` of a series that has none: most never change state, so they share this instead of an array each. */
export const NO_CHANGES: number[] = Object.freeze([]) as unknown as number[];

/**
 * State of one series of one rule: the thing that fires and resolves. Times are epoch ms; nothing here reads a clock.
 * A class, so that every series has one shape and the evaluator's property reads stay monomorphic.
 */
export class Series {
  /** The latest event's fields, for annotations. */
  facts: Readonly<Record<string, unknown>> = NO_FACTS;
  lastCondition = false;
  /** Condition true since (pending, then firing). */
  conditionSinceMs: number | undefined = undefined;
  /** Actual state: firing since, or undefined. */
  firingSinceMs: number | undefined = undefined;
  /** What was last announced downstream; differs from the actual state only while flapping. */
  publishedFiringSinceMs: number | undefined = undefined;
  /** State change times within the flapping window (NO_CHANGES until the first; frozen, so a stray push throws). */
  changes: number[] = NO_CHANGES;
  flappingSinceMs: number | undefined = undefined;
  /**
   * When this series next needs a look without a new event, and the due time of the queue entry that stands for
   * it; Infinity for none. Always numbers (never undefined), so that V8 updates them in place instead of allocating.
   */
  dueMs = Number.POSITIVE_INFINITY;
  queuedDueMs = Number.POSITIVE_INFINITY;
  /** Which snapshot part holds this series, as a hash of rule and key; -1 until a snapshot first asks. */
  partHash = -1;
  // lastValue, as a number field and a flag for the same reason.
  private value = 0;
  private hasValue = false;
  /**
   * Labels given rather than derived: what a snapshot says downstream was told. Derived labels are not kept: they are
   * needed only when the series fires or resolves, and the alert stage holds its own copy of every firing alert's.
   */
  private givenLabels: Readonly<Record<string, string>> | undefined;
  private cachedFingerprint: string | undefined;
  // A series made by an event derives its identity from its latest event (`facts`) whenever asked (labels, snapshots),
  // and keeps none: every event of a series has the key fields that make its key, so the latest one has them all. An
  // identity object per series was ~56 bytes of every alert in a storm. Expected series, and restored ones whose saved
  // facts do not give back their identity, keep theirs.
  private identityValue: Readonly<Record<string, string>> | undefined;
  private identityKeyBy: readonly string[] = NO_KEY_FIELDS;

  /**
   * `labels` and `fingerprint` are given when known (a snapshot); otherwise they are derived from `rule` and the
   * identity on first use: most series never fire, and building and hashing labels is the dearest part of a new one.
   */
  constructor(
    readonly key: string,
    /** See `identity`; undefined only from `Series.ofEvent`, which says where to derive it from. */
    identity: Readonly<Record<string, string>> | undefined,
    private rule: LabelSource | undefined,
    labels: Readonly<Record<string, string>> | undefined,
    fingerprintOfLabels: string | undefined,
    public lastSeenMs: number,
    public window: SlidingWindow | undefined,
  ) {
    this.givenLabels = labels;
    this.cachedFingerprint = fingerprintOfLabels;
    this.identityValue = identity;
  }

  /** Label values taken from the events (keyBy); alert labels add the rule's labels on top. */
  get identity(): Readonly<Record<string, string>> {
    return this.identityValue ?? identityOfEvent(this.identityKeyBy, this.facts as KlaxonEvent);
  }

  /** A new series for an event: its identity is its events' key fields (see identityValue). */
  static ofEvent(compiled: CompiledRule, key: string, event: KlaxonEvent): Series {
    const series = new Series(key, undefined, compiled.rule, undefined, undefined, event.timeMs, emptyWindowOf(compiled.rule));
    series.facts = event;
    series.identityKeyBy = compiled.keyBy;
    return series;
  }

  /**
   * A restored series whose saved facts give back its identity under `keyBy` derives it from them (and from every
   * later event) instead of keeping the saved object: after a restart, every series is a restored one.
   */
  deriveIdentityFromFacts(keyBy: readonly string[], keyOf: (identity: Readonly<Record<string, string>>) => string): void {
    if (this.identityValue === undefined || this.facts === NO_FACTS) return;
    if (keyOf(identityOfEvent(keyBy, this.facts as KlaxonEvent)) !== this.key) return;
    this.identityValue = undefined;
    this.identityKeyBy = keyBy;
  }

  /** The latest value (threshold) or aggregate (window), if any. */
  get lastValue(): number | undefined {
    return this.hasValue ? this.value : undefined;
  }

  set lastValue(value: number | undefined) {
    this.hasValue = value !== undefined;
    if (value !== undefined) this.value = value;
  }

  /** From now on labels (and fingerprint) are this rule's, derived when needed. */
  labelFrom(rule: LabelSource): void {
    this.rule = rule;
    this.givenLabels = undefined;
    this.cachedFingerprint = undefined;
  }

  /** A new object each time unless given (see `givenLabels`): read it once where it is used twice. */
  get labels(): Readonly<Record<string, string>> {
    return this.givenLabels ?? alertLabels(this.rule as LabelSource, this.identity);
  }

  get fingerprint(): string {
    this.cachedFingerprint ??= fingerprint(this.labels);
    return this.cachedFingerprint;
  }
}

export { identityKey } from "./series-key.js";

export function identityOfExpectation(expect: Readonly<Record<string, string>>): Record<string, string> {
  const identity: Record<string, string> = {};
  for (const [field, value] of Object.entries(expect)) {
    identity[field.startsWith("labels.") ? field.slice(7) : (KEY_FIELD_LABEL[field] ?? field)] = value;
  }
  return identity;
}

/** What alert labels are made of besides the identity. */
type LabelSource = Pick<CompiledRule["rule"], "id" | "severity" | "labels">;

/** Alert labels: event identity, then the rule's own labels, then alertname and severity, which always win. */
export function alertLabels(rule: LabelSource, identity: Readonly<Record<string, string>>): Record<string, string> {
  // Built by assignment, not spread: a series holds its labels for as long as it lives (see mergeRecords).
  const labels = mergeRecords(identity, rule.labels);
  labels.alertname = rule.id;
  labels.severity = rule.severity;
  return labels;
}

export function newSeries(compiled: CompiledRule, key: string, identity: Record<string, string>, seenMs: number): Series {
  return new Series(key, identity, compiled.rule, undefined, undefined, seenMs, emptyWindowOf(compiled.rule));
}

/** A new series' window: an empty one keeping the sums its rule's aggregate reads, for a window rule; none otherwise. */
function emptyWindowOf(rule: CompiledRule["rule"]): SlidingWindow | undefined {
  return rule.kind === "window" ? new SlidingWindow(rule.window, rule.aggregate) : undefined;
}

/**
 * Two versions of a rule can hand series state from one to the other when they cut events into the same series and
 * keep the same kind of state; otherwise the old state means nothing to the new rule.
 */
export function stateSignature(rule: CompiledRule["rule"], keyBy: readonly string[]): string {
  const shape = rule.kind === "window" ? `${rule.window}/${rule.aggregate}` : rule.kind === "absence" ? `${rule.absentFor}` : "";
  return `${rule.kind}|${rule.event}|${keyBy.join(",")}|${shape}`;
}
