import type { AlertTransition } from "../alerts/alert.js";
import type { DeadLetterReason } from "../ingest/decode.js";

/** Where alert state changes go next. Resolves only once the change is durably stored. */
export interface AlertSink {
  publish(transition: AlertTransition): Promise<void>;
}

/** A message that cannot be processed, kept with its reason and original bytes. */
export interface DeadLetter {
  reason: DeadLetterReason;
  detail: string;
  originalSubject: string;
  data: Uint8Array;
  streamSequence?: number;
  deliveryCount?: number;
}

export interface DeadLetterSink {
  send(letter: DeadLetter): Promise<void>;
}

/** Evaluator state saved with the stream sequences it includes. */
export interface StoredSnapshot {
  applied: { floor: number; ranges: Array<[number, number]> };
  savedAtMs: number;
  rulesHash: string;
  /** Which part of the state this is, when saved in parts; absent: the whole state. */
  part?: { index: number; of: number };
  state: unknown;
}

export interface SnapshotStore {
  load(name: string): Promise<StoredSnapshot | undefined>;
  save(name: string, snapshot: StoredSnapshot): Promise<void>;
  /** Names of the saved snapshots that start with `prefix`. */
  names(prefix: string): Promise<string[]>;
  remove(name: string): Promise<void>;
}

/** One audit record: who did what, when. Issue-level detail lives in `details`. */
export interface AuditEntry {
  action: string;
  actor: string;
  timeMs: number;
  subject?: string;
  details?: Record<string, unknown>;
}

export interface AuditSink {
  record(entry: AuditEntry): Promise<void>;
}
