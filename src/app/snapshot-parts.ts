import type { Logger } from "../core/logger.js";
import { evaluatorSnapshotSchema, type EvaluatorSnapshot, type SnapshotPart } from "../evaluate/snapshot.js";
import { AppliedSequences } from "../ingest/applied-sequences.js";
import type { SnapshotStore, StoredSnapshot } from "../store/ports.js";

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

export function partName(base: string, part: SnapshotPart): string {
  return `${base}.part-${part.index}-of-${part.of}`;
}

/**
 * Every part of the current layout, or else a whole snapshot saved under `base` (before snapshots came in parts:
 * one part of one), or undefined: then the state is rebuilt from the stream alone. A missing or unreadable part
 * makes the set unusable, since its series would come back empty.
 */
export async function loadSnapshotParts(store: SnapshotStore, base: string, parts: number, logger: Logger): Promise<LoadedPart[] | undefined> {
  const names = Array.from({ length: parts }, (_, index) => partName(base, { index, of: parts }));
  const loaded = await Promise.all(names.map((name) => readPart(store, name, logger)));
  if (loaded.every((p): p is LoadedPart => p !== undefined && p.part.of === parts)) {
    if (loaded.every((p, index) => p.part.index === index)) return loaded;
  }
  if (loaded.some((p) => p !== undefined)) logger.warn({ found: loaded.filter((p) => p !== undefined).length, parts }, "snapshot parts incomplete; trying a whole snapshot");
  const whole = await readPart(store, base, logger);
  return whole ? [{ ...whole, part: { index: 0, of: 1 } }] : undefined;
}

async function readPart(store: SnapshotStore, name: string, logger: Logger): Promise<LoadedPart | undefined> {
  let stored: StoredSnapshot | undefined;
  try {
    stored = await store.load(name);
  } catch (error) {
    logger.error({ err: String(error), name }, "snapshot unreadable");
    return undefined;
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
