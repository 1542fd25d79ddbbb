import type { NatsConnection } from "@nats-io/transport-node";
import { Kvm, KvWatchInclude, type KV } from "@nats-io/kv";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import { scanKv } from "./kv-scan.js";
import { afterFailedWrite } from "./own-write.js";
import type { AlertRecord, GroupRecord } from "../../alerts/dispatcher.types.js";
import type { DispatcherChanges } from "../../alerts/dispatcher.js";
import { fromStored, splitStoredGroup, type StoredAlert, type StoredGroup, type StoredToldPart } from "../../alerts/stored-state.js";
import { silenceSchema, type Silence } from "../../alerts/silences.js";
import { AppError } from "../../core/errors.js";

const encoder = new TextEncoder();
const encode = (value: unknown): Uint8Array => encoder.encode(JSON.stringify(value));

/**
 * Dispatcher changes as the bytes the bucket will hold, keyed by alert fingerprint and group id (undefined: delete).
 * Encoded when taken, so later changes to the dispatcher's records cannot leak into a write still waiting; merged by
 * key, so a write carries each key's latest value once.
 */
export interface EncodedStateChanges {
  alerts: Map<string, Uint8Array | undefined>;
  groups: Map<string, { record: Uint8Array; parts: Uint8Array[] } | undefined>;
}

export function encodeChanges(changes: DispatcherChanges): EncodedStateChanges {
  const encoded: EncodedStateChanges = { alerts: new Map(), groups: new Map() };
  for (const alert of changes.alerts) encoded.alerts.set(alert.fingerprint, encode(alert));
  for (const fp of changes.deletedAlerts) encoded.alerts.set(fp, undefined);
  for (const group of changes.groups) {
    const { record, parts } = splitStoredGroup(group);
    encoded.groups.set(group.id, { record: encode(record), parts: parts.map(encode) });
  }
  for (const id of changes.deletedGroups) encoded.groups.set(id, undefined);
  return encoded;
}

/** `later` merged into `into`: each key's later value wins. */
export function mergeEncodedChanges(into: EncodedStateChanges, later: EncodedStateChanges): void {
  for (const [fp, bytes] of later.alerts) into.alerts.set(fp, bytes);
  for (const [id, group] of later.groups) into.groups.set(id, group);
}

export function isEmptyChanges(changes: EncodedStateChanges): boolean {
  return changes.alerts.size === 0 && changes.groups.size === 0;
}

export class SilenceConflictError extends AppError {}
export class SilenceNotFoundError extends AppError {}

/**
 * Alerts, aggregation groups and silences in one JetStream KV bucket, one key each (`alert.<fp>`, `group.<id>`,
 * `silence.<id>`; a large group's told list also `told.<id>.<n>`). Written on change (a transition, a flush), never
 * per event; group membership lives in the alert records (see stored-state.ts). Silences are changed with
 * compare-and-set so two operators expiring one silence cannot both win.
 */
export class KvAlertStateStore {
  /** How many told-list parts each group has stored, so that parts a shorter list no longer needs are deleted. */
  private readonly toldPartCounts = new Map<string, number>();

  private constructor(
    private readonly kv: KV,
    private readonly js: JetStreamClient,
    private readonly bucket: string,
  ) {}

  static async open(nc: NatsConnection, bucket: string): Promise<KvAlertStateStore> {
    return new KvAlertStateStore(await new Kvm(nc).create(bucket, { history: 1 }), jetstream(nc), bucket);
  }

  async loadAll(): Promise<{ alerts: AlertRecord[]; groups: GroupRecord[]; unstoredGroups: Map<string, string[]>; silences: Silence[] }> {
    const alerts: StoredAlert[] = [];
    const groups: StoredGroup[] = [];
    const toldParts: StoredToldPart[] = [];
    const silences: Silence[] = [];
    const decoder = new TextDecoder();
    for (const { key, value } of await scanKv(this.js, this.bucket)) {
      const json: unknown = JSON.parse(decoder.decode(value));
      if (key.startsWith("alert.")) alerts.push(json as StoredAlert);
      else if (key.startsWith("group.")) groups.push(json as StoredGroup);
      else if (key.startsWith("told.")) toldParts.push(json as StoredToldPart);
      else if (key.startsWith("silence.")) silences.push(silenceSchema.parse(json));
    }
    for (const part of toldParts) this.toldPartCounts.set(part.group, Math.max(this.toldPartCounts.get(part.group) ?? 0, part.part + 1));
    return { ...fromStored(alerts, groups, toldParts), silences };
  }

  /**
   * Store encoded changes, every key in parallel. Writes must not overlap (the caller serialises them): which told-list
   * parts a group no longer needs is judged from what the writes before stored.
   */
  async write(changes: EncodedStateChanges): Promise<void> {
    const writes: Array<Promise<unknown>> = [];
    for (const [fp, bytes] of changes.alerts) writes.push(bytes ? this.kv.put(`alert.${fp}`, bytes) : this.kv.delete(`alert.${fp}`));
    const partCounts = new Map<string, number>();
    for (const [id, group] of changes.groups) {
      if (group) {
        writes.push(this.kv.put(`group.${id}`, group.record));
        group.parts.forEach((part, i) => writes.push(this.kv.put(`told.${id}.${i}`, part)));
      } else {
        writes.push(this.kv.delete(`group.${id}`));
      }
      const parts = group?.parts.length ?? 0;
      writes.push(...this.dropToldParts(id, parts));
      partCounts.set(id, parts);
    }
    await Promise.all(writes);
    // Only once written: a failed write is retried whole, and must find the parts to delete again.
    for (const [id, count] of partCounts) {
      if (count === 0) this.toldPartCounts.delete(id);
      else this.toldPartCounts.set(id, count);
    }
  }

  /** Deletes of a group's told-list parts from `keep` on. */
  private dropToldParts(groupId: string, keep: number): Array<Promise<void>> {
    const stored = this.toldPartCounts.get(groupId) ?? 0;
    return Array.from({ length: Math.max(0, stored - keep) }, (_, i) => this.kv.delete(`told.${groupId}.${keep + i}`));
  }

  async createSilence(silence: Silence): Promise<void> {
    const bytes = encode(silence);
    try {
      await this.kv.create(`silence.${silence.id}`, bytes);
    } catch (error) {
      // Created after all, its reply lost (NATS restarting): reporting a failure would have the person create it twice.
      if ((await afterFailedWrite(this.kv, `silence.${silence.id}`, bytes))?.ours) return;
      throw error;
    }
  }

  async getSilence(id: string): Promise<{ silence: Silence; revision: number }> {
    const entry = await this.kv.get(`silence.${id}`);
    if (!entry || entry.operation !== "PUT") throw new SilenceNotFoundError(`no silence with id "${id}"`);
    return { silence: silenceSchema.parse(entry.json()), revision: entry.revision };
  }

  async listSilences(): Promise<Silence[]> {
    return (await this.loadAll()).silences;
  }

  /** Replace a silence only if nobody changed it since `revision` was read. */
  async updateSilence(silence: Silence, revision: number): Promise<void> {
    try {
      await this.kv.update(`silence.${silence.id}`, encode(silence), revision);
    } catch (error) {
      throw new SilenceConflictError(`silence "${silence.id}" was changed by someone else; read it again`, { cause: error });
    }
  }

  /**
   * Delete a silence if it still is what `stillWanted` says (read again here): a silence someone extended since it
   * was judged stays. True when it was deleted.
   */
  async deleteSilenceIf(id: string, stillWanted: (silence: Silence) => boolean): Promise<boolean> {
    const entry = await this.kv.get(`silence.${id}`);
    if (!entry || entry.operation !== "PUT" || !stillWanted(silenceSchema.parse(entry.json()))) return false;
    try {
      await this.kv.delete(`silence.${id}`, { previousSeq: entry.revision });
      return true;
    } catch {
      return false; // changed in between: judged again next time
    }
  }

  /** Calls `onChange` for every silence written or deleted after now (by this or any other replica, CLI, API). */
  async watchSilences(onChange: (silence: Silence | undefined, id: string) => void): Promise<() => void> {
    const watcher = await this.kv.watch({ key: "silence.>", include: KvWatchInclude.UpdatesOnly });
    void (async () => {
      for await (const entry of watcher) {
        const id = entry.key.slice("silence.".length);
        if (entry.operation === "PUT") onChange(silenceSchema.parse(entry.json()), id);
        else onChange(undefined, id);
      }
    })();
    return () => watcher.stop();
  }
}
