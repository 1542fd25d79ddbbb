import type { Logger } from "../core/logger.js";
import { evaluatorSnapshotSchema, type EvaluatorSnapshot, type SnapshotPart } from "../evaluate/snapshot.js";
import { AppliedSequences } from "../ingest/applied-sequences.js";
import type { SnapshotStore, StoredSnapshot } from "../store/ports.js";
import { backoffMs, sleep } from "./retry.js";
import { StalledError } from "../core/stall.js";

/**
 * Evaluator snapshots are saved in parts, one part every `interval / parts`, so a save pauses evaluation for a
 * fraction of what the whole state would take. Each part records the stream sequences applied when it was taken;
 * recovery restores every part and replays the events after the oldest, each one only into the parts that lack it.
 */
export interface LoadedPart {
  part: SnapshotPart;
  applied: AppliedSequences;
  savedAtMs: number;
  state: EvaluatorSnapshot;
}

/** Between a snapshot's name and its part's: `<base>.part-<index>-of-<parts>`. */
const PART_INFIX = ".part-";

export function partName(base: string, part: SnapshotPart): string {
  return `${base}${PART_INFIX}${part.index}-of-${part.of}`;
}

/**
 * Every part of the current layout; else every part of another layout (`state.snapshotParts` changed since they were
 * saved: a part's series are told by hash, so any complete set restores, and the newest is taken); else a whole
 * snapshot saved under `base` (before snapshots came in parts: one part of one); else undefined: then the state is
 * rebuilt from the stream alone. A missing or unreadable part makes its set unusable, since its series would come
 * back empty.
 */
export async function loadSnapshotParts(store: SnapshotStore, base: string, parts: number, logger: Logger): Promise<LoadedPart[] | undefined> {
  const current = await readLayout(store, base, parts, logger);
  if (current.complete) return current.parts;
  const found = current.parts.length;
  let newest: LoadedPart[] | undefined;
  for (const of of await otherLayouts(store, base, parts)) {
    const other = await readLayout(store, base, of, logger);
    if (other.complete && (newest === undefined || oldestSave(other.parts) > oldestSave(newest))) newest = other.parts;
  }
  if (newest !== undefined) {
    logger.warn({ savedIn: newest.length, parts }, "snapshot found in another number of parts (state.snapshotParts changed); restoring from it");
    return newest;
  }
  if (found > 0) logger.warn({ found, parts }, "snapshot parts incomplete; trying a whole snapshot");
  const whole = await readPart(store, base, logger);
  return whole ? [{ ...whole, part: { index: 0, of: 1 } }] : undefined;
}

/**
 * Once a complete set of the current layout is saved, the parts of any other are stale: removed, so that a later
 * fallback (a part of the current set unreadable) cannot restore from them.
 */
export async function removeOtherLayouts(store: SnapshotStore, base: string, parts: number): Promise<number> {
  let removed = 0;
  for (const { name, part } of await savedParts(store, base)) {
    if (part.of === parts) continue;
    await store.remove(name);
    removed++;
  }
  return removed;
}

/** Every part saved under `base`, of any layout, with where it stands in it (as `partName` named it). */
async function savedParts(store: SnapshotStore, base: string): Promise<Array<{ name: string; part: SnapshotPart }>> {
  const prefix = `${base}${PART_INFIX}`;
  const out: Array<{ name: string; part: SnapshotPart }> = [];
  for (const name of await store.names(prefix)) {
    const match = /^(\d+)-of-(\d+)$/.exec(name.slice(prefix.length));
    if (!match) continue;
    const part = { index: Number(match[1]), of: Number(match[2]) };
    if (part.of >= 1 && part.index < part.of) out.push({ name, part });
  }
  return out;
}

/** Part counts, other than `parts`, of which some part is saved under `base`. */
async function otherLayouts(store: SnapshotStore, base: string, parts: number): Promise<number[]> {
  return [...new Set((await savedParts(store, base)).map(({ part }) => part.of).filter((of) => of !== parts))];
}

async function readLayout(store: SnapshotStore, base: string, of: number, logger: Logger): Promise<{ complete: boolean; parts: LoadedPart[] }> {
  const names = Array.from({ length: of }, (_, index) => partName(base, { index, of }));
  const loaded = await Promise.all(names.map((name) => readPart(store, name, logger)));
  const parts = loaded.filter((p): p is LoadedPart => p !== undefined);
  const complete = parts.length === of && parts.every((p, index) => p.part.of === of && p.part.index === index);
  return { complete, parts };
}

function oldestSave(parts: readonly LoadedPart[]): number {
  return Math.min(...parts.map((p) => p.savedAtMs));
}

/** A read of a part that failed (NATS did not answer) is tried this many times before the part counts as unreadable. */
const READ_ATTEMPTS = 3;

/**
 * One part, or undefined when it is missing or unreadable. A read that failed is tried again first: taken for an
 * unreadable part at once, a request that timed out (a process paused while its reply waited in the socket, a server
 * restarting) made the whole set unusable, and recovery rebuilt the partition from the stream alone, forgetting every
 * alert firing beyond the rules' horizon; their resolves then changed nothing and they stayed firing for good (a chaos
 * run with paused replicas left one so). A part that reading again would not mend (see isBroken) is not read again.
 */
async function readPart(store: SnapshotStore, name: string, logger: Logger): Promise<LoadedPart | undefined> {
  let stored: StoredSnapshot | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      stored = await store.load(name);
      break;
    } catch (error) {
      if (isBroken(error) || attempt >= READ_ATTEMPTS) {
        logger.error({ err: String(error), name, attempts: attempt }, "snapshot unreadable");
        return undefined;
      }
      logger.warn({ err: String(error), name, attempt }, "snapshot read failed; trying again");
      await sleep(backoffMs(attempt));
    }
  }
  if (!stored) return undefined;
  const parsed = evaluatorSnapshotSchema.safeParse(stored.state);
  if (!parsed.success) {
    logger.error({ name, issues: parsed.error.issues.slice(0, 3) }, "snapshot does not match the current format");
    return undefined;
  }
  return { part: stored.part ?? { index: 0, of: 1 }, applied: AppliedSequences.from(stored.applied), savedAtMs: stored.savedAtMs, state: parsed.data };
}

/** What the restored parts hold, by stream sequence: which events to replay, and into which series. */
export class PartCoverage {
  private readonly byIndex: readonly AppliedSequences[];
  private readonly of: number;

  constructor(parts: readonly LoadedPart[]) {
    this.of = parts[0]?.part.of ?? 1;
    this.byIndex = [...parts].sort((a, b) => a.part.index - b.part.index).map((p) => p.applied);
  }

  /** Every event up to here is in every part: replay starts after it. */
  get floor(): number {
    return Math.min(...this.byIndex.map((a) => a.floor));
  }

  /** The highest sequence any part holds. */
  get top(): number {
    return Math.max(...this.byIndex.map((a) => a.highest));
  }

  /** "all": every part holds the event; "none": no part does; otherwise which series (by part hash) already hold it. */
  holders(seq: number): "all" | "none" | ((partHash: number) => boolean) {
    let holding = 0;
    for (const applied of this.byIndex) if (applied.has(seq)) holding++;
    if (holding === this.byIndex.length) return "all";
    if (holding === 0) return "none";
    return (partHash) => (this.byIndex[partHash % this.of] as AppliedSequences).has(seq);
  }

  /** After replay, an event any part held is in every part. */
  union(): AppliedSequences {
    const union = new AppliedSequences();
    for (const applied of this.byIndex) union.addAll(applied);
    return union;
  }
}

/**
 * A part that reading again would not mend: its content is broken (not JSON, or an object whose digest does not
 * match), or its read stalled (nothing came for the store's whole time limit: an object left half-written by a replica
 * killed mid-save, say). Read again, a stalled part held the partition's start three times that long, and in CI the
 * partition's alerts resolved before they were evaluated; given up at once, the set is unusable and the start goes on.
 */
function isBroken(error: unknown): boolean {
  return error instanceof SyntaxError || error instanceof StalledError || (error instanceof Error && /corrupt object|digests do not match/.test(error.message));
}
