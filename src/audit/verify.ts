import { describePlace, isBlock, recordsOfMessage } from "./block.js";
import { chainedRecordSchema, GENESIS_HASH, recordHash, toStoredRecord } from "./record.js";

export type ProblemKind =
  | "hash_mismatch"
  | "prev_hash_mismatch"
  | "seq_gap"
  | "invalid_record"
  | "chain_mismatch"
  | "unchained_record"
  | "deleted"
  | "purged";

/** One bad record (or hole), where it is in the stream and in its chain, and why. */
export interface VerifyProblem {
  kind: ProblemKind;
  streamSeq: number;
  /** The record's place in its block (0 = first); absent when the message is a single record. */
  index?: number;
  chain?: string;
  seq?: number;
  detail: string;
}

export interface ChainSummary {
  chain: string;
  records: number;
  firstSeq: number;
  lastSeq: number;
  lastHash: string;
  lastStreamSeq: number;
  /** The last record's place in its block, when it is in one. */
  lastIndex?: number;
  problems: number;
}

export interface VerifyResult {
  ok: boolean;
  /** Records examined: a single-record message counts one, a block each of its records. */
  records: number;
  /** Records written before the hash chain existed: accepted only while they precede every chained record. */
  legacy: number;
  chains: ChainSummary[];
  /** In stream order; the first is the first bad record. At most MAX_PROBLEMS; `moreProblems` counts the rest. */
  problems: VerifyProblem[];
  moreProblems: number;
  notes: string[];
}

/** The stream's sequence range when the scan began, and whether its own limits drop old messages. */
export interface StreamBounds {
  firstSeq: number;
  lastSeq: number;
  /** max age, count or size limits: old records leave by design, so a chain may start mid-way. */
  limited: boolean;
}

export interface AuditMessage {
  streamSeq: number;
  subject: string;
  data: Uint8Array;
}

const MAX_PROBLEMS = 1_000;
const decoder = new TextDecoder();

interface ChainState {
  summary: ChainSummary;
}

interface MissingRange {
  from: number;
  to: number;
  explained: boolean;
}

/**
 * Checks every chain of an audit stream, one message at a time in stream order (the stream can be large; only each
 * chain's tail is kept). A record is bad when its content does not match its hash (edited), its `seq` does not
 * follow its chain's previous one (removed, copied or inserted records), or its `prevHash` is not the previous
 * record's hash (replaced). Stream sequences that were never delivered are deleted messages: each is tied to the
 * chain hole it explains, or reported on its own (the newest record of a chain, removed).
 */
export class ChainVerifier {
  private readonly chains = new Map<string, ChainState>();
  private readonly problems: VerifyProblem[] = [];
  private readonly missing: MissingRange[] = [];
  private readonly notes: string[] = [];
  private moreProblems = 0;
  private records = 0;
  private legacy = 0;
  private chainBegan = false;
  private nextStreamSeq: number;

  constructor(
    private readonly subjectPrefix: string,
    private readonly bounds: StreamBounds,
  ) {
    this.nextStreamSeq = Math.max(1, bounds.firstSeq);
  }

  add(message: AuditMessage): void {
    // Appended after the scan began: the next verify covers it.
    if (message.streamSeq > this.bounds.lastSeq) return;
    if (message.streamSeq > this.nextStreamSeq) this.missing.push({ from: this.nextStreamSeq, to: message.streamSeq - 1, explained: false });
    this.nextStreamSeq = message.streamSeq + 1;
    this.check(message);
  }

  finish(): VerifyResult {
    if (this.bounds.lastSeq >= this.nextStreamSeq) this.missing.push({ from: this.nextStreamSeq, to: this.bounds.lastSeq, explained: false });
    for (const range of this.missing) {
      if (range.explained) continue;
      this.report({
        kind: "deleted",
        streamSeq: range.from,
        detail: `${describeRange(range)} ${range.from === range.to ? "is" : "are"} missing from the stream (deleted); no chain has a hole there, so it was the newest record of its chain when removed`,
      });
    }
    if (this.bounds.firstSeq > 1) {
      const text = `the stream starts at sequence ${this.bounds.firstSeq}: sequences 1–${this.bounds.firstSeq - 1} are gone`;
      if (this.bounds.limited) this.notes.push(`${text} (removed by the stream's age, count or size limits)`);
      else this.report({ kind: "purged", streamSeq: this.bounds.firstSeq, detail: `${text} (purged)` });
    }
    const problems = [...this.problems].sort((a, b) => a.streamSeq - b.streamSeq || (a.index ?? -1) - (b.index ?? -1));
    return {
      ok: problems.length === 0,
      records: this.records,
      legacy: this.legacy,
      chains: [...this.chains.values()].map((c) => c.summary).sort((a, b) => (a.chain < b.chain ? -1 : a.chain > b.chain ? 1 : 0)),
      problems,
      moreProblems: this.moreProblems,
      notes: this.notes,
    };
  }

  private check(message: AuditMessage): void {
    const { streamSeq } = message;
    let raw: unknown;
    try {
      raw = JSON.parse(decoder.decode(message.data));
    } catch {
      this.records++;
      this.report({ kind: "invalid_record", streamSeq, detail: "not JSON" });
      return;
    }
    if (isBlock(raw) && raw.block.length === 0) {
      this.records++;
      this.report({ kind: "invalid_record", streamSeq, detail: "an empty block" });
      return;
    }
    // A block's records are checked one by one, in order, exactly as if each were a message of its own.
    for (const { index, raw: record } of recordsOfMessage(raw)) {
      this.records++;
      this.checkRecord(streamSeq, index, message.subject, record);
    }
  }

  private checkRecord(streamSeq: number, index: number | undefined, subject: string, raw: unknown): void {
    const at = index === undefined ? { streamSeq } : { streamSeq, index };
    if (!isObject(raw) || !("hash" in raw || "seq" in raw || "prevHash" in raw || "v" in raw)) {
      this.checkUnchained(at, raw);
      return;
    }
    const parsed = chainedRecordSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.report({ kind: "invalid_record", ...at, detail: `not a valid chained record: ${issue ? `${issue.path.join(".") || "(root)"}: ${issue.message}` : "invalid"}` });
      return;
    }
    const record = parsed.data;
    const where = { ...at, chain: record.chain, seq: record.seq };
    this.chainBegan = true;
    if (subject !== `${this.subjectPrefix}.${record.chain}`) {
      this.report({ kind: "chain_mismatch", ...where, detail: `stored on ${subject} but says it belongs to chain ${record.chain}: moved or forged` });
      return;
    }
    const hashOk = recordHash(raw) === record.hash;
    const state = this.chains.get(record.chain);
    if (!state) {
      this.chains.set(record.chain, {
        summary: { chain: record.chain, records: 1, firstSeq: record.seq, lastSeq: record.seq, lastHash: record.hash, lastStreamSeq: streamSeq, ...(index === undefined ? {} : { lastIndex: index }), problems: 0 },
      });
      if (!hashOk) this.report({ kind: "hash_mismatch", ...where, detail: HASH_MISMATCH });
      else if (record.seq === 1 && record.prevHash !== GENESIS_HASH) this.report({ kind: "prev_hash_mismatch", ...where, detail: "the chain's first record must have the genesis prevHash (all zeros): records before it were replaced" });
      else if (record.seq > 1 && !this.bounds.limited) {
        const deleted = this.explainMissing(0, streamSeq);
        this.report({ kind: "seq_gap", ...where, detail: `the chain starts at seq ${record.seq}: seq 1–${record.seq - 1} are missing${deleted}` });
      } else if (record.seq > 1) this.notes.push(`chain ${record.chain} starts at seq ${record.seq} (earlier records left by the stream's limits)`);
      return;
    }
    const chain = state.summary;
    const previous = describePlace(chain.lastStreamSeq, chain.lastIndex);
    chain.records++;
    if (!hashOk) {
      this.report({ kind: "hash_mismatch", ...where, detail: HASH_MISMATCH });
    } else if (record.seq <= chain.lastSeq) {
      this.report({ kind: "seq_gap", ...where, detail: `seq ${record.seq} comes after seq ${chain.lastSeq} (${previous}): a copy of an earlier record, or one inserted` });
    } else if (record.seq > chain.lastSeq + 1) {
      const count = record.seq - chain.lastSeq - 1;
      const deleted = this.explainMissing(chain.lastStreamSeq, streamSeq);
      this.report({ kind: "seq_gap", ...where, detail: `expected seq ${chain.lastSeq + 1}, found ${record.seq}: ${count} record${count === 1 ? "" : "s"} missing after ${previous}${deleted}` });
    } else if (record.prevHash !== chain.lastHash) {
      this.report({ kind: "prev_hash_mismatch", ...where, detail: `prevHash is not the hash of seq ${chain.lastSeq} (${previous}): the record before it was replaced` });
    }
    // A record out of position (a copy, an insertion) does not move the chain: the records after it are still
    // checked against the last record in position.
    if (record.seq > chain.lastSeq) {
      chain.lastSeq = record.seq;
      chain.lastHash = record.hash;
      chain.lastStreamSeq = streamSeq;
      if (index === undefined) delete chain.lastIndex;
      else chain.lastIndex = index;
    }
  }

  private checkUnchained(at: { streamSeq: number; index?: number }, raw: unknown): void {
    if (!toStoredRecord(at.streamSeq, raw)) {
      this.report({ kind: "invalid_record", ...at, detail: "not an audit record (action, actor and timeMs are required)" });
    } else if (this.chainBegan || at.index !== undefined) {
      // Blocks came after the hash chain: an unchained record in one was never written by Klaxon.
      this.report({ kind: "unchained_record", ...at, detail: "a record without hash or seq after the chain began: inserted, or written by a Klaxon without the hash chain" });
    } else {
      this.legacy++;
    }
  }

  /** Mark the deleted stream sequences between two records of a chain as explained by its hole, and name them. */
  private explainMissing(afterStreamSeq: number, beforeStreamSeq: number): string {
    const inside = this.missing.filter((r) => r.from > afterStreamSeq && r.to < beforeStreamSeq);
    for (const range of inside) range.explained = true;
    return inside.length === 0 ? "" : ` (deleted: ${inside.map(describeRange).join(", ")})`;
  }

  private report(problem: VerifyProblem): void {
    if (problem.chain !== undefined) {
      const state = this.chains.get(problem.chain);
      if (state) state.summary.problems++;
    }
    if (this.problems.length < MAX_PROBLEMS) this.problems.push(problem);
    else this.moreProblems++;
  }
}

const HASH_MISMATCH = "its content does not match its hash: the record was edited";

function describeRange(range: { from: number; to: number }): string {
  return range.from === range.to ? `stream sequence ${range.from}` : `stream sequences ${range.from}–${range.to}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
