import type { AlertTransition } from "../alerts/alert.js";
import type { ChangeEvent, StateEvent } from "../ingest/event.schema.js";
import { driftAlert, fire, memberAlertLabels, missingAlert, resolve, sameIdentity, unauditedAlert, unknownAlert, type AlertDraft, type MemberAlertKind } from "./alerts.js";
import { appliesTo, ChangeLog, withinWindow } from "./change-log.js";
import { factText, memberKey, type Inventory, type Member } from "./inventory.js";
import type { ChangeRecord, MemberRecord, MemberState, PendingChange, SavedInventoryState, UnknownState } from "./state.schema.js";

export interface MonitorOptions {
  /**
   * A changed fact is judged this long after the report that showed it: change records travel on their own consumer
   * and may be processed a little after the report they cover.
   */
  changeGraceMs: number;
}

/** Who a record belongs to: a member or an unknown reporter. */
export interface ReporterId {
  source: string;
  service?: string;
}

/** What changed since the last `takeChanges`: the records to write and to delete, so the store follows the monitor. */
export interface InventoryChanges {
  members: MemberRecord[];
  deletedMembers: ReporterId[];
  unknowns: UnknownState[];
  deletedUnknowns: ReporterId[];
  /** A source's recent change records, as a whole (an empty list: delete). */
  changeLogs: Array<{ source: string; records: ChangeRecord[] }>;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const idOf = (r: { source: string; service?: string | undefined }): ReporterId => ({ source: r.source, ...(r.service === undefined ? {} : { service: r.service }) });

/**
 * The intended state of the fleet against what hosts report: (inventory, state reports, change records, time) →
 * alert transitions, as the evaluator does for rules. Pure and deterministic: reports and records carry their own
 * time, and `tick(now)` moves time forward for what silence and waiting decide (missing, unaudited, unknown gone).
 * Every transition is stamped with the instant it logically happened, so a replay announces the same ones again.
 */
export class InventoryMonitor {
  private inventory!: Inventory;
  private members = new Map<string, Member>();
  private readonly states = new Map<string, MemberState>();
  private readonly unknowns = new Map<string, UnknownState>();
  private readonly changeLog = new ChangeLog();
  private out: AlertTransition[] = [];
  /** Nothing is due before this; -Infinity makes the next tick look at everything. */
  private nextDueMs = -Infinity;
  private readonly touched = { members: new Set<string>(), unknowns: new Set<string>(), sources: new Set<string>() };
  private readonly removed = { members: new Map<string, ReporterId>(), unknowns: new Map<string, ReporterId>() };
  /** What the store holds, as written: unchanged records are not written again. */
  private readonly written = new Map<string, string>();

  constructor(
    inventory: Inventory,
    private readonly options: MonitorOptions,
    nowMs: number,
  ) {
    this.setInventory(inventory, nowMs);
  }

  get memberCount(): number {
    return this.members.size;
  }

  /**
   * Replace the inventory. New members are counted as never reported from `nowMs`; removed ones resolve what they
   * had announced; a reporter that was unknown and is now listed becomes a member with what it reported; changed
   * intended facts or labels are judged again at `nowMs`.
   */
  setInventory(inventory: Inventory, nowMs: number): AlertTransition[] {
    this.inventory = inventory;
    this.members = new Map(inventory.members.map((m) => [m.key, m] as const));
    for (const [key, state] of this.states) if (!this.members.has(key)) this.retire(key, state, nowMs, "removed from the inventory");
    for (const member of this.members.values()) {
      let state = this.states.get(member.key);
      if (!state) {
        state = { ...idOf(member), sinceMs: nowMs, lastReportMs: null, facts: null, pending: [], alerts: {} };
        this.states.set(member.key, state);
      }
      this.adoptUnknown(member, state, nowMs);
      this.relabel(member, state, nowMs);
      this.evaluateDrift(member, state, nowMs);
      this.touched.members.add(member.key);
    }
    for (const [key, unknown] of this.unknowns) {
      if (inventory.files.length === 0) this.forgetUnknown(key, unknown, nowMs, "there is no inventory any more");
    }
    this.nextDueMs = -Infinity;
    return this.take();
  }

  /** Load what the store kept, then judge it against the current inventory at `nowMs` (it may have changed meanwhile). */
  restore(saved: SavedInventoryState, nowMs: number): AlertTransition[] {
    for (const record of saved.members) {
      const key = memberKey(record.source, record.service);
      const { expected: _expected, intervalMs: _intervalMs, ...state } = structuredClone(record);
      this.states.set(key, state);
      this.written.set(`member:${key}`, JSON.stringify(record));
    }
    for (const unknown of saved.unknowns) {
      const key = memberKey(unknown.source, unknown.service);
      this.unknowns.set(key, structuredClone(unknown));
      this.written.set(`unknown:${key}`, JSON.stringify(unknown));
    }
    for (const record of saved.changes) this.changeLog.add(record);
    for (const [source, records] of this.changeLog.sources()) this.written.set(`changes:${source}`, JSON.stringify(records));
    return this.setInventory(this.inventory, nowMs);
  }

  /** A host's report. Facts it leaves out keep their last reported value. */
  applyState(event: StateEvent): AlertTransition[] {
    const key = memberKey(event.source, event.service);
    const facts = Object.fromEntries(Object.entries(event.facts).map(([name, value]) => [name, factText(value)]));
    const member = this.members.get(key);
    if (!member) {
      this.reportUnknown(key, event, facts);
      return this.take();
    }
    const state = this.states.get(key) as MemberState;
    const t = event.timeMs;
    // Not newer than what is known (a redelivery, a report delayed in transit): it says nothing about now.
    if (state.lastReportMs !== null && t <= state.lastReportMs) return [];
    this.catchUp(member, state, t, false);
    if (state.facts !== null) {
      for (const [fact, value] of Object.entries(facts)) {
        const before = state.facts[fact];
        // A fact seen for the first time is a baseline, not a change.
        if (before !== undefined && before !== value) state.pending.push({ fact, from: before, to: value, atMs: t });
      }
    }
    state.facts = { ...state.facts, ...facts };
    state.lastReportMs = t;
    const missing = state.alerts.missing;
    if (missing) {
      this.out.push(resolve(missing, t, `reported again at ${iso(t)}`));
      delete state.alerts.missing;
    }
    this.evaluateDrift(member, state, t);
    this.touched.members.add(key);
    this.considerDue(this.dueOf(member, state));
    return this.take();
  }

  /**
   * A change record. `recorded` is false for one already known (a redelivery), which must not be audited twice. A
   * record made after the fact settles the unaudited changes it would have covered.
   */
  applyChange(event: ChangeEvent): { recorded: boolean; transitions: AlertTransition[] } {
    const record: ChangeRecord = { ...idOf(event), who: event.who, what: event.what, ticket: event.ticket, timeMs: event.timeMs };
    if (!this.changeLog.add(record)) return { recorded: false, transitions: [] };
    this.touched.sources.add(record.source);
    for (const [key, state] of this.states) {
      const member = this.members.get(key) as Member;
      if (!appliesTo(record, member)) continue;
      for (const [alertKey, alert] of Object.entries(state.alerts)) {
        if (!alertKey.startsWith("unaudited:") || !withinWindow(record, alert.startsAtMs, member)) continue;
        this.out.push(resolve(alert, record.timeMs, `change recorded by ${record.who} (${record.ticket}): ${record.what}`));
        delete state.alerts[alertKey];
        this.touched.members.add(key);
      }
    }
    return { recorded: true, transitions: this.take() };
  }

  /** Run what time has made due by `nowMs`: silences turning into "missing", changes judged, unknowns gone quiet. */
  tick(nowMs: number): AlertTransition[] {
    if (nowMs < this.nextDueMs) return [];
    let next = Infinity;
    for (const [key, state] of this.states) {
      const member = this.members.get(key) as Member;
      this.catchUp(member, state, nowMs, true);
      next = Math.min(next, this.dueOf(member, state));
    }
    for (const [key, unknown] of this.unknowns) {
      const goneAtMs = unknown.lastReportMs + this.inventory.unknownSilenceMs;
      if (goneAtMs <= nowMs) this.forgetUnknown(key, unknown, goneAtMs, `no report since ${iso(unknown.lastReportMs)}`);
      else next = Math.min(next, goneAtMs);
    }
    let longestWindow = 0;
    for (const member of this.members.values()) longestWindow = Math.max(longestWindow, member.changeWindowMs);
    // Records too old to cover any change still to be judged are dropped.
    for (const source of this.changeLog.prune(nowMs - longestWindow - this.options.changeGraceMs)) this.touched.sources.add(source);
    this.nextDueMs = next;
    return this.take();
  }

  /** The records to write and delete since the last call; records identical to what was written are left out. */
  takeChanges(): InventoryChanges {
    const changes: InventoryChanges = { members: [], deletedMembers: [...this.removed.members.values()], unknowns: [], deletedUnknowns: [...this.removed.unknowns.values()], changeLogs: [] };
    for (const key of this.removed.members.keys()) this.written.delete(`member:${key}`);
    for (const key of this.removed.unknowns.keys()) this.written.delete(`unknown:${key}`);
    for (const key of this.touched.members) {
      const state = this.states.get(key);
      const member = this.members.get(key);
      if (state && member && this.changedSinceWritten(`member:${key}`, toRecord(state, member))) changes.members.push(toRecord(state, member));
    }
    for (const key of this.touched.unknowns) {
      const unknown = this.unknowns.get(key);
      if (unknown && this.changedSinceWritten(`unknown:${key}`, unknown)) changes.unknowns.push(unknown);
    }
    for (const source of this.touched.sources) {
      const records = this.changeLog.of(source);
      if (this.changedSinceWritten(`changes:${source}`, records)) changes.changeLogs.push({ source, records });
      if (records.length === 0) this.written.delete(`changes:${source}`);
    }
    this.touched.members.clear();
    this.touched.unknowns.clear();
    this.touched.sources.clear();
    this.removed.members.clear();
    this.removed.unknowns.clear();
    return changes;
  }

  // ---- time ---------------------------------------------------------------------------------------------------

  /** Run this member's timers due before (from a report) or at (from a tick) `untilMs`, each at its own instant. */
  private catchUp(member: Member, state: MemberState, untilMs: number, inclusive: boolean): void {
    const isDue = (ms: number): boolean => (inclusive ? ms <= untilMs : ms < untilMs);
    if (!state.alerts.missing) {
      const missingAtMs = (state.lastReportMs ?? state.sinceMs) + member.intervalMs;
      if (isDue(missingAtMs)) {
        this.announce(state, "missing", missingAlert(member, state.sinceMs, state.lastReportMs), missingAtMs);
        this.touched.members.add(member.key);
      }
    }
    if (state.pending.length === 0) return;
    const waiting: PendingChange[] = [];
    for (const change of state.pending) {
      if (!isDue(change.atMs + this.options.changeGraceMs)) waiting.push(change);
      else if (!this.changeLog.covers(member, change.atMs) && !state.alerts[`unaudited:${change.fact}`]) {
        this.announce(state, `unaudited:${change.fact}`, unauditedAlert(member, change), change.atMs);
      }
    }
    if (waiting.length !== state.pending.length) {
      state.pending = waiting;
      this.touched.members.add(member.key);
    }
  }

  private dueOf(member: Member, state: MemberState): number {
    let due = state.alerts.missing ? Infinity : (state.lastReportMs ?? state.sinceMs) + member.intervalMs;
    for (const change of state.pending) due = Math.min(due, change.atMs + this.options.changeGraceMs);
    return due;
  }

  private considerDue(dueMs: number): void {
    this.nextDueMs = Math.min(this.nextDueMs, dueMs);
  }

  // ---- judgements ---------------------------------------------------------------------------------------------

  /** Each intended fact against the last reported one: drift fires, changes (a new actual value) or resolves. */
  private evaluateDrift(member: Member, state: MemberState, atMs: number): void {
    if (state.facts === null) return; // never reported: "missing" speaks for it
    for (const [fact, expected] of Object.entries(member.expected)) {
      const key = `drift:${fact}`;
      const existing = state.alerts[key];
      const actual = state.facts[fact];
      if (actual === expected) {
        if (existing) this.settle(state, key, atMs, `${fact} is ${JSON.stringify(expected)} again`);
        continue;
      }
      const draft = driftAlert(member, fact, expected, actual);
      if (existing && sameIdentity(existing, draft) && existing.annotations.actual === draft.annotations.actual && existing.annotations.expected === draft.annotations.expected) continue;
      // A different wrong value (or a different intended one) is a new episode, so the alert always names both.
      if (existing) this.settle(state, key, atMs, `now ${draft.annotations.actual}, expected ${expected}`);
      this.announce(state, key, draft, atMs);
    }
    for (const key of Object.keys(state.alerts)) {
      if (key.startsWith("drift:") && !Object.hasOwn(member.expected, key.slice("drift:".length))) this.settle(state, key, atMs, "no longer part of the intended state");
    }
  }

  // ---- membership ---------------------------------------------------------------------------------------------

  /** The inventory changed a member's labels or severity: its announced alerts end and start again under the new ones. */
  private relabel(member: Member, state: MemberState, nowMs: number): void {
    for (const [key, alert] of Object.entries(state.alerts)) {
      const [kind, fact] = splitAlertKey(key);
      const draft: AlertDraft = { labels: memberAlertLabels(member, kind, fact), annotations: alert.annotations, rule: { id: alert.rule.id, version: member.version } };
      if (sameIdentity(alert, draft)) continue;
      this.settle(state, key, nowMs, "the inventory changed its labels");
      this.announce(state, key, draft, nowMs);
    }
  }

  /** A reporter the inventory now lists stops being unknown; what it reported is its member's last report. */
  private adoptUnknown(member: Member, state: MemberState, nowMs: number): void {
    const unknown = this.unknowns.get(member.key);
    if (!unknown) return;
    if (state.lastReportMs === null || unknown.lastReportMs > state.lastReportMs) {
      state.lastReportMs = unknown.lastReportMs;
      state.facts = { ...state.facts, ...unknown.facts };
    }
    this.forgetUnknown(member.key, unknown, nowMs, "added to the inventory");
  }

  private retire(key: string, state: MemberState, nowMs: number, why: string): void {
    for (const alertKey of Object.keys(state.alerts)) this.settle(state, alertKey, nowMs, why);
    this.states.delete(key);
    this.touched.members.delete(key);
    this.removed.members.set(key, idOf(state));
  }

  private reportUnknown(key: string, event: StateEvent, facts: Record<string, string>): void {
    if (this.inventory.files.length === 0) return; // no inventory at all: nobody is "unknown"
    const t = event.timeMs;
    const known = this.unknowns.get(key);
    if (known && t <= known.lastReportMs) return;
    if (known && known.lastReportMs + this.inventory.unknownSilenceMs <= t) {
      // It went quiet long enough to count as gone before this report: that episode ends, a new one starts.
      this.forgetUnknown(key, known, known.lastReportMs + this.inventory.unknownSilenceMs, `no report since ${iso(known.lastReportMs)}`);
    }
    const current = this.unknowns.get(key);
    if (current) {
      current.lastReportMs = t;
      current.facts = { ...current.facts, ...facts };
    } else {
      const { transition, announced } = fire(unknownAlert(event, this.inventory.version), t);
      this.out.push(transition);
      this.unknowns.set(key, { ...idOf(event), firstReportMs: t, lastReportMs: t, facts, alert: announced });
      this.removed.unknowns.delete(key);
    }
    this.touched.unknowns.add(key);
    this.considerDue(t + this.inventory.unknownSilenceMs);
  }

  private forgetUnknown(key: string, unknown: UnknownState, atMs: number, why: string): void {
    this.out.push(resolve(unknown.alert, atMs, why));
    this.unknowns.delete(key);
    this.touched.unknowns.delete(key);
    this.removed.unknowns.set(key, idOf(unknown));
  }

  // ---- announcements ------------------------------------------------------------------------------------------

  private announce(state: MemberState, key: string, draft: AlertDraft, atMs: number): void {
    const { transition, announced } = fire(draft, atMs);
    state.alerts[key] = announced;
    this.out.push(transition);
  }

  private settle(state: MemberState, key: string, atMs: number, resolution: string): void {
    const alert = state.alerts[key];
    if (!alert) return;
    this.out.push(resolve(alert, atMs, resolution));
    delete state.alerts[key];
  }

  private changedSinceWritten(key: string, value: unknown): boolean {
    const text = JSON.stringify(value);
    if (this.written.get(key) === text) return false;
    this.written.set(key, text);
    return true;
  }

  private take(): AlertTransition[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}

function splitAlertKey(key: string): [MemberAlertKind, string | undefined] {
  const colon = key.indexOf(":");
  return colon < 0 ? [key as MemberAlertKind, undefined] : [key.slice(0, colon) as MemberAlertKind, key.slice(colon + 1)];
}

/** A member's state with what `klaxon drift` shows beside it, keys in the order of the record schema. */
function toRecord(state: MemberState, member: Member): MemberRecord {
  return {
    source: state.source,
    ...(state.service === undefined ? {} : { service: state.service }),
    sinceMs: state.sinceMs,
    lastReportMs: state.lastReportMs,
    facts: state.facts,
    pending: state.pending,
    alerts: state.alerts,
    expected: member.expected,
    intervalMs: member.intervalMs,
  };
}
