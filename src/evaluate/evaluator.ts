import type { AlertTransition } from "../alerts/alert.js";
import { fingerprint } from "../alerts/fingerprint.js";
import { formatDuration } from "../core/duration.js";
import type { KlaxonEvent } from "../ingest/event.schema.js";
import type { CompiledRule } from "../rules/compiled-rule.js";
import type { Aggregate, Rule } from "../rules/rule.schema.js";
import { factsUsed, type Predicate } from "../rules/conditions/index.js";
import { RuleIndex, candidateOrder } from "../rules/rule-index.js";
import { DeadlineQueue } from "../core/deadline-queue.js";
import { mergeRecords } from "../core/records.js";
import { compileAnnotations, type RenderFacts } from "./annotations.js";
import { alertLabels, identityOfExpectation, newSeries, NO_CHANGES, NO_FACTS, Series, stateSignature } from "./series.js";
import { identityKey, KeyerCache, type SeriesKeyer } from "./series-key.js";
import type { SlidingWindow } from "./sliding-window.js";
import { deserializeSeries, serializeSeries, seriesPartHash, type EvaluatorSnapshot, type SeriesSnapshot, type SnapshotPart } from "./snapshot.js";

/**
 * A rule as the evaluator runs it. What the per-event path reads is copied here from the rule: rule objects come in
 * many shapes (one per combination of optional fields), runtimes in one, so these reads stay monomorphic.
 */
interface RuleRuntime {
  readonly compiled: CompiledRule;
  readonly kind: Rule["kind"];
  readonly matches: Predicate;
  readonly forMs: number;
  /** Absence rules: how long a silence may last; 0 for the others. */
  readonly absentForMs: number;
  /** Window rules: the aggregate; "count" for the others (unused). */
  readonly aggregate: Aggregate;
  readonly eventType: Rule["event"];
  readonly flapping: Rule["flapping"];
  readonly signature: string;
  readonly series: Map<string, Series>;
  readonly render: (facts: RenderFacts) => Record<string, string>;
  /**
   * Whether a template may read `lastSeen` / `time` (its text contains the name). Formatting a date is most of what
   * making an alert's annotations costs, and most rules' templates read neither.
   */
  readonly mayReadLastSeen: boolean;
  readonly mayReadTime: boolean;
  readonly keyer: SeriesKeyer;
  /** Threshold and window rules: `compiled.when`. */
  readonly when: Predicate;
  /** Where the rule stands among an event's candidates: transitions of one event come out in this order. */
  order: number;
  /** A window rule whose `when` reads only the window's own facts can be decided without copying the event. */
  readonly whenReadsWindowOnly: boolean;
}

/** The facts a window rule adds to its series' latest event: the aggregate, the sample count and its name. */
const WINDOW_FACTS: ReadonlySet<string> = new Set(["value", "count", "aggregate"]);
const NEVER: Predicate = () => false;
/** A due time that never comes: no timer. */
const NONE = Number.POSITIVE_INFINITY;

/** What `apply` returns when nothing happened: most events change nothing, and then allocate no array either. */
const NO_TRANSITIONS: AlertTransition[] = Object.freeze([]) as unknown as AlertTransition[];

/**
 * The pure heart of Klaxon: (rules, events, time) → alert state changes. Deterministic: it never reads a clock;
 * events carry their own time and `tick(now)` moves time forward for timers (`for`, absence, windows emptying,
 * flapping ending). Every transition is stamped with the instant it logically happened (a `for` that ends at 10:05
 * fires "at 10:05" even if the tick comes late), so replay after a restart reproduces the same history.
 */
export class Evaluator {
  private runtimes = new Map<string, RuleRuntime>();
  private index = new RuleIndex<RuleRuntime>([], runtimeRule);
  private readonly queue = new DeadlineQueue<Series, RuleRuntime>();
  private readonly keyers = new KeyerCache();
  private out: AlertTransition[] = [];
  // Scratch space of `apply`, reused so that an event allocates nothing on its way to its rules.
  private readonly buckets: Array<readonly RuleRuntime[]> = [];
  private readonly matched: RuleRuntime[] = [];
  private readonly windowFacts: { value: number | undefined; count: number; aggregate: string } = { value: undefined, count: 0, aggregate: "" };
  /** While replaying after a restore: series (by part hash) whose saved state already holds the event at hand. */
  private skipSeries: ((partHash: number) => boolean) | undefined = undefined;

  constructor(rules: readonly CompiledRule[], nowMs: number) {
    this.setRules(rules, nowMs);
  }

  get ruleCount(): number {
    return this.runtimes.size;
  }

  seriesCount(): number {
    let n = 0;
    for (const runtime of this.runtimes.values()) n += runtime.series.size;
    return n;
  }

  /** The earliest instant at which `tick` has work, if any. */
  nextDueMs(): number | undefined {
    return this.queue.peekDue();
  }

  /**
   * Replace the rule set. Unchanged rules keep their state; a changed rule keeps it when the new version cuts events
   * into the same series (and re-announces alerts whose labels changed); a removed or reshaped rule resolves what it
   * had announced, so nothing downstream is left firing forever.
   */
  setRules(rules: readonly CompiledRule[], nowMs: number): readonly AlertTransition[] {
    const previous = this.runtimes;
    const next = new Map<string, RuleRuntime>();
    for (const compiled of rules) {
      if (compiled.rule.enabled === false) continue;
      const old = previous.get(compiled.rule.id);
      const runtime = this.makeRuntime(compiled);
      next.set(compiled.rule.id, runtime);
      if (old) this.adopt(old, runtime, nowMs);
      this.seedExpected(runtime, nowMs);
    }
    for (const [id, old] of previous) if (!next.has(id)) this.retire(old, nowMs);
    this.runtimes = next;
    // Scratch of `apply`: let go of the old rules.
    this.buckets.length = 0;
    this.matched.length = 0;
    const runtimes = [...next.values()];
    runtimes.forEach((runtime, position) => (runtime.order = candidateOrder(runtime.compiled, position, runtimes.length)));
    this.index = new RuleIndex(runtimes, runtimeRule);
    this.rescheduleAll();
    return this.take();
  }

  /** Feed one event. Returns the transitions it caused, oldest first. */
  apply(event: KlaxonEvent): readonly AlertTransition[] {
    // The scratch arrays are written by index and never emptied: `length = 0` would drop their storage.
    const { buckets, matched } = this;
    const bucketCount = this.index.bucketsFor(event, buckets);
    let matchedCount = 0;
    for (let b = 0; b < bucketCount; b++) {
      const bucket = buckets[b] as readonly RuleRuntime[];
      for (let i = 0; i < bucket.length; i++) {
        const runtime = bucket[i] as RuleRuntime;
        if (runtime.matches(event)) matched[matchedCount++] = runtime;
      }
    }
    if (matchedCount > 1) sortByOrder(matched, matchedCount);
    for (let i = 0; i < matchedCount; i++) this.applyToRule(matched[i] as RuleRuntime, event);
    return this.take();
  }

  /**
   * Feed one event during recovery from a snapshot saved in parts: the parts were saved at different stream positions,
   * so the event is applied only to series for which `alreadyApplied(partHash)` says their part does not hold it yet.
   */
  replay(event: KlaxonEvent, alreadyApplied: (partHash: number) => boolean): readonly AlertTransition[] {
    this.skipSeries = alreadyApplied;
    try {
      return this.apply(event);
    } finally {
      this.skipSeries = undefined;
    }
  }

  /** Run every timer due at or before `nowMs`. */
  tick(nowMs: number): readonly AlertTransition[] {
    const queue = this.queue;
    while (queue.popDue(nowMs)) {
      const runtime = queue.poppedExtra as RuleRuntime;
      const series = queue.poppedItem as Series;
      const dueMs = queue.poppedDueMs;
      if (this.runtimes.get(runtime.compiled.rule.id) !== runtime || runtime.series.get(series.key) !== series) continue;
      if (series.queuedDueMs !== dueMs) continue;
      series.queuedDueMs = NONE;
      this.catchUp(runtime, series, nowMs, true);
      this.schedule(runtime, series);
      this.forgetIfIdle(runtime, series);
    }
    return this.take();
  }

  /** The state as data: all of it, or one part (see SnapshotPart), which `restore` takes the same way. */
  snapshot(part?: SnapshotPart): EvaluatorSnapshot {
    const rules: EvaluatorSnapshot["rules"] = [];
    for (const runtime of this.runtimes.values()) {
      const id = runtime.compiled.rule.id;
      const series: SeriesSnapshot[] = [];
      for (const s of runtime.series.values()) {
        if (part !== undefined) {
          if (s.partHash < 0) s.partHash = seriesPartHash(id, s.key);
          if (s.partHash % part.of !== part.index) continue;
        }
        series.push(serializeSeries(s));
      }
      // A part leaves out rules with no series in it: with thousands of rules, their headers alone outweighed the state.
      if (part !== undefined && series.length === 0) continue;
      rules.push({ id, version: runtime.compiled.rule.version, contentHash: runtime.compiled.contentHash, signature: runtime.signature, series });
    }
    return { version: 1, rules };
  }

  /**
   * Load state saved by `snapshot()` (from this rule set or an older one), as if the evaluator had run all along.
   * Returns transitions owed by rules that changed meanwhile (their resolves).
   */
  restore(snapshot: EvaluatorSnapshot, nowMs: number): readonly AlertTransition[] {
    for (const saved of snapshot.rules) {
      const runtime = this.runtimes.get(saved.id);
      const keyOf = runtime?.keyer.ofIdentity ?? identityKey;
      const series = saved.series.map((s) => deserializeSeries(s, runtime?.compiled, keyOf));
      if (runtime && saved.signature === runtime.signature) {
        for (const s of series) this.moveSeries(s, runtime, nowMs);
      } else {
        for (const s of series) this.resolvePublished({ id: saved.id, version: saved.version }, s, nowMs);
      }
    }
    this.rescheduleAll();
    return this.take();
  }

  /** Active (firing) alerts, for tests and `klaxon test`: as announced downstream. */
  firingAlerts(): Array<{ rule: string; labels: Readonly<Record<string, string>>; annotations: Record<string, string>; startsAtMs: number }> {
    const out = [];
    for (const runtime of this.runtimes.values()) {
      for (const s of runtime.series.values()) {
        if (s.flappingSinceMs !== undefined) {
          const labels = flapLabels(s);
          out.push({ rule: runtime.compiled.rule.id, labels, annotations: this.flapAnnotations(runtime, s), startsAtMs: s.flappingSinceMs });
        }
        if (s.publishedFiringSinceMs !== undefined) {
          const labels = s.labels;
          out.push({ rule: runtime.compiled.rule.id, labels, annotations: runtime.render(this.renderFacts(runtime, s, labels)), startsAtMs: s.publishedFiringSinceMs });
        }
      }
    }
    return out;
  }

  // ---- events -------------------------------------------------------------------------------------------------

  private applyToRule(runtime: RuleRuntime, event: KlaxonEvent): void {
    const { compiled } = runtime;
    const isThreshold = runtime.kind === "threshold";
    const holds = isThreshold ? runtime.when(event) : false;
    // Most threshold events are normal: with no series to update there is nothing to remember, so none is created.
    const mayCreate = !isThreshold || holds || runtime.flapping !== undefined;
    if (!mayCreate && runtime.series.size === 0) return;
    const key = runtime.keyer.ofEvent(event);
    if (this.skipSeries !== undefined && this.skipSeries(seriesPartHash(compiled.rule.id, key))) return;
    let series = runtime.series.get(key);
    if (!series) {
      if (!mayCreate) return;
      series = Series.ofEvent(compiled, runtime.keyer.keep(key), event);
      runtime.series.set(series.key, series);
    }
    const t = event.timeMs;
    // A threshold follows the series' latest event: one older than that, arriving late, says nothing about now.
    if (isThreshold && t < series.lastSeenMs) return;
    // Timers due before this event run first. Usually none is, and then the call (and the boxed `t` it takes) is skipped.
    this.updateDue(runtime, series);
    if (series.dueMs < t) this.catchUp(runtime, series, t, false);
    // Only news resolves silence: a stale event (a redelivery) older than what was seen says nothing about now.
    const isNews = series.facts === NO_FACTS || t > series.lastSeenMs;
    series.facts = event;
    switch (runtime.kind) {
      case "threshold":
        series.lastSeenMs = t;
        series.lastValue = event.type === "metric" ? event.value : undefined;
        this.observe(runtime, series, holds, t);
        break;
      case "window": {
        const window = series.window as SlidingWindow;
        // Only annotations read it ("lastSeen"); kept current so a replayed series says what the live one said.
        series.lastSeenMs = Math.max(series.lastSeenMs, t);
        window.add(t, event.type === "metric" ? event.value : 1);
        this.evaluateWindow(runtime, series, Math.max(t, window.newestTimeMs ?? t));
        break;
      }
      case "absence": {
        series.lastSeenMs = Math.max(series.lastSeenMs, t);
        if (isNews && series.firingSinceMs !== undefined) this.setFiring(runtime, series, false, Math.max(t, series.firingSinceMs));
        break;
      }
    }
    this.schedule(runtime, series);
    this.forgetIfIdle(runtime, series);
  }

  private evaluateWindow(runtime: RuleRuntime, series: Series, endMs: number): void {
    if (runtime.kind !== "window") return;
    const window = series.window as SlidingWindow;
    window.evict(endMs);
    const value = window.aggregate(runtime.aggregate, runtime.eventType);
    series.lastValue = value;
    let holds: boolean;
    if (runtime.whenReadsWindowOnly) {
      // The predicate reads nothing else, so these three facts decide exactly as the event with them on top would.
      const facts = this.windowFacts;
      facts.value = value;
      facts.count = window.count;
      facts.aggregate = runtime.aggregate;
      holds = runtime.when(facts);
    } else {
      const facts: Record<string, unknown> = mergeRecords(series.facts);
      facts.value = value;
      facts.count = window.count;
      facts.aggregate = runtime.aggregate;
      holds = runtime.when(facts);
    }
    this.observe(runtime, series, holds, endMs);
  }

  /** The condition was `holds` at `atMs`: move pending → firing → resolved as `for` says. */
  private observe(runtime: RuleRuntime, series: Series, holds: boolean, atMs: number): void {
    series.lastCondition = holds;
    if (!holds) {
      series.conditionSinceMs = undefined;
      // An event stamped before the tick that fired the alert cannot end it before it started.
      if (series.firingSinceMs !== undefined) this.setFiring(runtime, series, false, Math.max(atMs, series.firingSinceMs));
      return;
    }
    if (series.firingSinceMs !== undefined) return;
    series.conditionSinceMs ??= atMs;
    const fireAtMs = series.conditionSinceMs + runtime.forMs;
    if (atMs >= fireAtMs) this.setFiring(runtime, series, true, fireAtMs);
  }

  // ---- timers -------------------------------------------------------------------------------------------------

  /** Run this series' timers that fell due before (or, from a tick, at) `untilMs`, each at its own instant. */
  private catchUp(runtime: RuleRuntime, series: Series, untilMs: number, inclusive: boolean): void {
    for (;;) {
      this.updateDue(runtime, series);
      const due = series.dueMs;
      if (due === NONE || due > untilMs || (!inclusive && due === untilMs)) return;
      this.runTimers(runtime, series, due);
      this.updateDue(runtime, series);
      if (series.dueMs <= due) return; // no progress would loop forever; cannot happen by design
    }
  }

  private runTimers(runtime: RuleRuntime, series: Series, dueMs: number): void {
    const { kind } = runtime;
    if (kind === "window") this.evaluateWindow(runtime, series, dueMs);
    else if (kind === "threshold") this.observe(runtime, series, series.lastCondition, dueMs);
    else if (series.firingSinceMs === undefined && series.lastSeenMs + runtime.absentForMs <= dueMs) {
      this.setFiring(runtime, series, true, series.lastSeenMs + runtime.absentForMs);
    }
    const flapping = runtime.flapping;
    if (flapping && series.flappingSinceMs !== undefined) {
      const lastChange = series.changes[series.changes.length - 1] ?? series.flappingSinceMs;
      if (lastChange + flapping.window <= dueMs) this.endFlapping(runtime, series, dueMs);
    }
  }

  /**
   * Sets `series.dueMs` to the earliest instant one of its timers falls due (NONE: no timer). Stored rather than
   * returned: a number field is updated in place, while a returned time would be boxed on every call.
   */
  private updateDue(runtime: RuleRuntime, series: Series): void {
    let due = NONE;
    if (series.firingSinceMs === undefined && series.conditionSinceMs !== undefined && runtime.forMs > 0) {
      due = Math.min(due, series.conditionSinceMs + runtime.forMs);
    }
    const window = series.window;
    if (window !== undefined) due = Math.min(due, window.expiresAtMs);
    if (runtime.kind === "absence" && series.firingSinceMs === undefined) due = Math.min(due, series.lastSeenMs + runtime.absentForMs);
    const flapping = runtime.flapping;
    if (flapping && series.flappingSinceMs !== undefined) {
      due = Math.min(due, (series.changes[series.changes.length - 1] ?? series.flappingSinceMs) + flapping.window);
    }
    series.dueMs = due;
  }

  /**
   * Keep one queue entry per series at its earliest due time. A later due time does not need a new entry: the
   * existing one fires early, finds nothing due yet, and schedules again. This keeps the heap near one entry per
   * series however many events arrive.
   */
  private schedule(runtime: RuleRuntime, series: Series): void {
    this.updateDue(runtime, series);
    const due = series.dueMs;
    if (due < series.queuedDueMs) {
      series.queuedDueMs = due;
      this.queue.push(due, series, runtime);
    }
  }

  private rescheduleAll(): void {
    this.queue.clear();
    for (const runtime of this.runtimes.values()) {
      for (const series of runtime.series.values()) {
        series.queuedDueMs = NONE;
        this.schedule(runtime, series);
      }
    }
  }

  /** Series with nothing to remember are dropped, so memory follows what is active, not what was ever seen. */
  private forgetIfIdle(runtime: RuleRuntime, series: Series): void {
    if (runtime.kind === "absence") return; // silence is what an absence rule watches for
    if (series.firingSinceMs !== undefined || series.publishedFiringSinceMs !== undefined) return;
    if (series.conditionSinceMs !== undefined || series.flappingSinceMs !== undefined) return;
    if (series.window && series.window.count > 0) return;
    const flapping = runtime.flapping;
    if (flapping && series.changes.length > 0) {
      const lastChange = series.changes[series.changes.length - 1] as number;
      if (lastChange + flapping.window > (series.window?.newestTimeMs ?? series.lastSeenMs)) return;
    }
    runtime.series.delete(series.key);
  }

  // ---- state changes, flapping and announcements -------------------------------------------------------------

  private setFiring(runtime: RuleRuntime, series: Series, firing: boolean, atMs: number): void {
    series.firingSinceMs = firing ? atMs : undefined;
    if (!firing) series.conditionSinceMs = undefined;
    const flapping = runtime.flapping;
    if (flapping) {
      if (series.changes === NO_CHANGES) series.changes = [];
      series.changes.push(atMs);
      const cutoff = atMs - flapping.window;
      while (series.changes.length > 0 && (series.changes[0] as number) <= cutoff) series.changes.shift();
      if (series.flappingSinceMs !== undefined) return; // one flapping alert stands for the storm
      if (series.changes.length >= flapping.changes) {
        // From now on one alert speaks for the storm: the individual one steps aside until things settle.
        series.flappingSinceMs = atMs;
        this.emitFlapping(runtime, series, "firing", atMs);
        this.announce(runtime, series, false, atMs);
        return;
      }
    }
    this.announce(runtime, series, firing, atMs);
  }

  private endFlapping(runtime: RuleRuntime, series: Series, atMs: number): void {
    this.emitFlapping(runtime, series, "resolved", atMs);
    series.flappingSinceMs = undefined;
    series.changes = NO_CHANGES;
    // Once the storm is over, say where the alert ended up: still failing is a new episode that starts now.
    if (series.firingSinceMs !== undefined) {
      series.firingSinceMs = atMs;
      this.announce(runtime, series, true, atMs);
    }
  }

  private announce(runtime: RuleRuntime, series: Series, firing: boolean, atMs: number): void {
    const { rule } = runtime.compiled;
    const startsAtMs = firing ? atMs : series.publishedFiringSinceMs;
    if (startsAtMs === undefined) return; // a resolve of what was never announced
    const labels = series.labels;
    const transition: AlertTransition = {
      status: firing ? "firing" : "resolved",
      fingerprint: series.fingerprint,
      labels,
      annotations: runtime.render(this.renderFacts(runtime, series, labels, atMs)),
      startsAtMs,
      rule: { id: rule.id, version: rule.version },
    };
    if (!firing) transition.endsAtMs = atMs;
    if (series.lastValue !== undefined) transition.value = series.lastValue;
    series.publishedFiringSinceMs = firing ? atMs : undefined;
    this.out.push(transition);
  }

  private emitFlapping(runtime: RuleRuntime, series: Series, status: "firing" | "resolved", atMs: number): void {
    const { rule } = runtime.compiled;
    const labels = flapLabels(series);
    const startsAtMs = series.flappingSinceMs as number;
    const transition: AlertTransition = {
      status,
      fingerprint: fingerprint(labels),
      labels,
      annotations: this.flapAnnotations(runtime, series),
      startsAtMs,
      rule: { id: rule.id, version: rule.version },
    };
    if (status === "resolved") transition.endsAtMs = atMs;
    this.out.push(transition);
  }

  private flapAnnotations(runtime: RuleRuntime, series: Series): Record<string, string> {
    const flapping = runtime.compiled.rule.flapping;
    const rendered = runtime.render(this.renderFacts(runtime, series, series.labels));
    const window = flapping ? formatDuration(flapping.window) : "";
    rendered.flapping = `changed state ${series.changes.length} times within ${window}; individual changes are held back until it is stable for ${window}`;
    return rendered;
  }

  private renderFacts(runtime: RuleRuntime, series: Series, labels: Readonly<Record<string, string>>, atMs?: number): RenderFacts {
    const rule = runtime.compiled.rule;
    const facts: Record<string, unknown> = mergeRecords(series.facts);
    facts.value = series.lastValue;
    facts.count = series.window?.count;
    facts.labels = labels;
    facts.lastSeen = runtime.mayReadLastSeen ? new Date(series.lastSeenMs).toISOString() : undefined;
    if (atMs !== undefined && runtime.mayReadTime) facts.time = new Date(atMs).toISOString();
    facts.rule = { id: rule.id, version: rule.version };
    return facts;
  }

  // ---- rule changes -------------------------------------------------------------------------------------------

  private makeRuntime(compiled: CompiledRule): RuleRuntime {
    const { rule } = compiled;
    return {
      compiled,
      kind: rule.kind,
      matches: compiled.matches,
      forMs: compiled.forMs,
      absentForMs: rule.kind === "absence" ? rule.absentFor : 0,
      aggregate: rule.kind === "window" ? rule.aggregate : "count",
      eventType: rule.event,
      flapping: rule.flapping,
      signature: stateSignature(rule, compiled.keyBy),
      series: new Map(),
      render: compileAnnotations(rule.annotations),
      mayReadLastSeen: templatesMention(rule.annotations, "lastSeen"),
      mayReadTime: templatesMention(rule.annotations, "time"),
      keyer: this.keyers.get(compiled.keyBy),
      when: compiled.when ?? NEVER,
      order: 0,
      whenReadsWindowOnly: rule.kind === "window" && [...factsUsed(rule.when)].every((fact) => WINDOW_FACTS.has(fact)),
    };
  }

  private adopt(old: RuleRuntime, runtime: RuleRuntime, nowMs: number): void {
    if (old.signature !== runtime.signature) {
      this.retire(old, nowMs);
      return;
    }
    for (const series of old.series.values()) this.moveSeries(series, runtime, nowMs);
  }

  /** Put a series under a (possibly new version of a) rule; if its labels changed, the old alert ends and a new one starts. */
  private moveSeries(series: Series, runtime: RuleRuntime, nowMs: number): void {
    // A version that no longer watches for flapping would never end a storm in progress: end it now.
    if (series.flappingSinceMs !== undefined && runtime.compiled.rule.flapping === undefined) this.endFlapping(runtime, series, nowMs);
    if (series.publishedFiringSinceMs === undefined && series.flappingSinceMs === undefined) {
      // Nothing was announced under the old labels: nothing to resolve or repeat, the new rule's labels just apply.
      series.labelFrom(runtime.compiled.rule);
      runtime.series.set(series.key, series);
      return;
    }
    const newFingerprint = fingerprint(alertLabels(runtime.compiled.rule, series.identity));
    if (newFingerprint !== series.fingerprint) {
      const wasPublished = series.publishedFiringSinceMs !== undefined;
      const wasFlapping = series.flappingSinceMs !== undefined;
      this.resolvePublished(runtime.compiled.rule, series, nowMs);
      series.labelFrom(runtime.compiled.rule);
      if (wasPublished) this.announce(runtime, series, true, nowMs);
      if (wasFlapping) {
        series.flappingSinceMs = nowMs;
        this.emitFlapping(runtime, series, "firing", nowMs);
      }
    }
    runtime.series.set(series.key, series);
  }

  private retire(runtime: RuleRuntime, nowMs: number): void {
    for (const series of runtime.series.values()) this.resolvePublished(runtime.compiled.rule, series, nowMs);
  }

  private resolvePublished(rule: { id: string; version: number }, series: Series, nowMs: number): void {
    const annotations = { resolvedBy: `rule ${rule.id} version ${rule.version} changed or was removed` };
    if (series.flappingSinceMs !== undefined) {
      // The flapping alert is announced too: it must not be left firing forever either.
      const labels = flapLabels(series);
      this.out.push({ status: "resolved", fingerprint: fingerprint(labels), labels, annotations, startsAtMs: series.flappingSinceMs, endsAtMs: nowMs, rule });
      series.flappingSinceMs = undefined;
    }
    if (series.publishedFiringSinceMs === undefined) return;
    this.out.push({
      status: "resolved",
      fingerprint: series.fingerprint,
      labels: series.labels,
      annotations,
      startsAtMs: series.publishedFiringSinceMs,
      endsAtMs: nowMs,
      rule,
    });
    series.publishedFiringSinceMs = undefined;
  }

  private seedExpected(runtime: RuleRuntime, nowMs: number): void {
    const rule = runtime.compiled.rule;
    if (rule.kind !== "absence" || !rule.expect) return;
    for (const expected of rule.expect) {
      const identity = identityOfExpectation(expected);
      const key = runtime.keyer.ofIdentity(identity);
      if (!runtime.series.has(key)) runtime.series.set(key, newSeries(runtime.compiled, key, identity, nowMs));
    }
  }

  private take(): readonly AlertTransition[] {
    if (this.out.length === 0) return NO_TRANSITIONS;
    const out = this.out;
    this.out = [];
    return out;
  }
}

function runtimeRule(runtime: RuleRuntime): CompiledRule {
  return runtime.compiled;
}

/** Insertion sort of the first `count` runtimes by candidate order: a handful, usually already in order. */
function sortByOrder(runtimes: RuleRuntime[], count: number): void {
  for (let i = 1; i < count; i++) {
    const current = runtimes[i] as RuleRuntime;
    let j = i - 1;
    while (j >= 0 && (runtimes[j] as RuleRuntime).order > current.order) {
      runtimes[j + 1] = runtimes[j] as RuleRuntime;
      j--;
    }
    runtimes[j + 1] = current;
  }
}

function templatesMention(annotations: Readonly<Record<string, string>> | undefined, name: string): boolean {
  for (const template of Object.values(annotations ?? {})) if (template.includes(name)) return true;
  return false;
}

function flapLabels(series: Series): Record<string, string> {
  const labels = mergeRecords(series.labels);
  labels.flapping = "true";
  return labels;
}
