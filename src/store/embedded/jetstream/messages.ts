// Reading single stored messages: STREAM.MSG.GET (JSON, base64 bodies) and DIRECT.GET (the message itself with
// Nats-Stream/Subject/Sequence/Time-Stamp headers, or a 404 status), which KV gets use when allow_direct is set.
import type { OutboundMessage } from "../bus.js";
import { EMPTY } from "../bus.js";
import { decodeHeaders, encodeHeaders, statusHeaders } from "../headers.js";
import { jsErrors } from "./errors.js";
import type { StoredMessage, StreamStore } from "./stream-store.js";

export interface MessageQuery {
  seq?: number;
  last_by_subj?: string;
  next_by_subj?: string;
}

export function findMessage(store: StreamStore, query: MessageQuery): StoredMessage | undefined {
  if (query.last_by_subj !== undefined) return store.lastMatching(query.last_by_subj);
  if (query.next_by_subj !== undefined) return store.nextMatching(query.seq ?? 0, query.next_by_subj);
  if (query.seq !== undefined) return store.get(query.seq);
  throw jsErrors.badRequest("request needs seq, last_by_subj or next_by_subj");
}

export function msgGetResponse(message: StoredMessage | undefined): Record<string, unknown> {
  if (message === undefined) throw jsErrors.noMessageFound();
  return {
    type: "io.nats.jetstream.api.v1.stream_msg_get_response",
    message: {
      subject: message.subject,
      seq: message.seq,
      ...(message.headers === undefined ? {} : { hdrs: Buffer.from(message.headers).toString("base64") }),
      data: Buffer.from(message.data).toString("base64"),
      time: new Date(message.timeMs).toISOString(),
    },
  };
}

export function directGetReply(streamName: string, reply: string, message: StoredMessage | undefined): OutboundMessage {
  if (message === undefined) return { subject: reply, headers: statusHeaders(404, "Message Not Found"), payload: EMPTY };
  const entries: Array<[string, string]> = [
    ...decodeHeaders(message.headers).entries,
    ["Nats-Stream", streamName],
    ["Nats-Subject", message.subject],
    ["Nats-Sequence", String(message.seq)],
    ["Nats-Time-Stamp", new Date(message.timeMs).toISOString()],
  ];
  return { subject: reply, headers: encodeHeaders(entries), payload: message.data };
}
