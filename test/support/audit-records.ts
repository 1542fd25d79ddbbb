// The audit stream as records: a message holds one record, or a block of them (src/audit/block.ts). Tests that look
// for audit records read them through here, so a record that went out in a block is found like any other.
import type { JetStreamClient } from "@nats-io/jetstream";
import { recordsOfMessage } from "../../src/audit/block.js";
import { readStream } from "./engine.js";

export type StoredAuditRecord<T> = T & { streamSeq: number; index?: number; storedOn: string };

export async function auditRecords<T = Record<string, unknown>>(js: JetStreamClient, stream = "KLAXON_AUDIT"): Promise<Array<StoredAuditRecord<T>>> {
  return (await readStream(js, stream)).flatMap((m) =>
    recordsOfMessage(m.json()).map(({ index, raw }) => ({ ...(raw as T), streamSeq: m.seq, ...(index === undefined ? {} : { index }), storedOn: m.subject })),
  );
}
