import type { JetStreamClient } from "@nats-io/jetstream";
import { recordsOfMessage } from "../../audit/block.js";
import { matchesFilter, NewestRecords, type AuditFilter } from "../../audit/filter.js";
import { toStoredRecord, type StoredRecord } from "../../audit/record.js";
import { ReportBuilder, type AuditReport } from "../../audit/report.js";
import { buildTimeline, type Timeline } from "../../audit/timeline.js";
import { ChainVerifier, type VerifyResult } from "../../audit/verify.js";
import { AuditStreamReader } from "./audit-reader.js";

const decoder = new TextDecoder();

/**
 * Records carry their writer's clock; the scan starts by the server's clock. Starting this much earlier than asked
 * keeps a writer whose clock runs ahead of the server's from being skipped; the filter on `timeMs` does the rest.
 */
const CLOCK_SKEW_MARGIN_MS = 60 * 60_000;

/** What a timeline is made of: everything else (rules, engine, JetStream records) is skipped while scanning. */
const TIMELINE_ACTIONS = ["alert.", "group.", "incident.", "page.", "silence."];

export type VerifyReport = VerifyResult & { appendOnly: boolean };

/** The audit trail's questions, answered from the stream: the CLI and the HTTP API both ask here. */
export class AuditQueries {
  private readonly reader: AuditStreamReader;

  constructor(
    js: JetStreamClient,
    private readonly options: { stream: string; subjectPrefix: string },
  ) {
    this.reader = new AuditStreamReader(js, options.stream);
  }

  /** Check every chain from the first record to the last one stored when the check began. */
  async verify(): Promise<VerifyReport> {
    const state = await this.reader.state();
    const verifier = new ChainVerifier(this.options.subjectPrefix, state);
    if (state.lastSeq >= state.firstSeq) for await (const message of this.reader.messages({ upToSeq: state.lastSeq })) verifier.add(message);
    return { ...verifier.finish(), appendOnly: state.appendOnly };
  }

  /** The newest `limit` records that pass the filter, oldest first. */
  async query(filter: AuditFilter, limit: number): Promise<StoredRecord[]> {
    const newest = new NewestRecords(limit);
    for await (const record of this.records(filter.sinceMs)) if (matchesFilter(record, filter)) newest.offer(record);
    return newest.records;
  }

  async timeline(id: string, sinceMs?: number): Promise<Timeline | undefined> {
    const records: StoredRecord[] = [];
    for await (const record of this.records(sinceMs)) {
      if ((sinceMs === undefined || record.timeMs >= sinceMs) && TIMELINE_ACTIONS.some((prefix) => record.action.startsWith(prefix))) records.push(record);
    }
    return buildTimeline(records, id);
  }

  async report(window: { sinceMs: number; untilMs: number }): Promise<AuditReport> {
    const builder = new ReportBuilder(window);
    for await (const record of this.records(window.sinceMs)) builder.add(record);
    return builder.finish();
  }

  private async *records(sinceMs: number | undefined): AsyncGenerator<StoredRecord> {
    const from = sinceMs === undefined ? {} : { fromTimeMs: sinceMs - CLOCK_SKEW_MARGIN_MS };
    for await (const message of this.reader.messages(from)) {
      let json: unknown;
      try {
        json = JSON.parse(decoder.decode(message.data));
      } catch {
        continue; // not a record: verify reports it
      }
      for (const { index, raw } of recordsOfMessage(json)) {
        const record = toStoredRecord(message.streamSeq, raw, index);
        if (record) yield record;
      }
    }
  }
}
