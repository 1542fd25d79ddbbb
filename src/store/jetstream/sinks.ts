import { headers, type NatsConnection } from "@nats-io/transport-node";
import type { JetStreamClient } from "@nats-io/jetstream";
import { Objm, setSha256Backend, type ObjectStore } from "@nats-io/obj";
import { toAlertMessage, transitionId, type AlertTransition } from "../../alerts/alert.js";
import type { AlertSink, DeadLetter, DeadLetterSink, SnapshotStore, StoredSnapshot } from "../ports.js";
import { within } from "../../core/stall.js";

/**
 * How long reading one snapshot (part) may take: a part is a few hundred kB, read in well under a second. Past it the
 * read has stalled and the part counts as unreadable (see snapshot-parts.ts): the partition's start waits this long.
 */
const SNAPSHOT_LOAD_MS = 10_000;

/** Audit records go through a hash chain; the sink lives beside its reader. */
export { JetStreamAuditSink } from "./audit-sink.js";

const encoder = new TextEncoder();

/** Publishes alert state changes on `<prefix>.<fingerprint>` with a deterministic message id, so re-announcing is harmless. */
export class JetStreamAlertSink implements AlertSink {
  constructor(
    private readonly js: JetStreamClient,
    private readonly subjectPrefix: string,
  ) {}

  async publish(transition: AlertTransition): Promise<void> {
    const payload = encoder.encode(JSON.stringify(toAlertMessage(transition)));
    await this.js.publish(`${this.subjectPrefix}.${transition.fingerprint}`, payload, { msgID: transitionId(transition) });
  }
}

/**
 * Room kept for the headers of a dead letter (at most ~1.5 kB: the detail is cut to 1,024 characters, subjects are
 * short) and its message id, out of the server's payload limit.
 */
const DEAD_LETTER_HEADER_ROOM = 4_096;

/**
 * Dead letters keep the original bytes as the body; the reason and where it came from ride in headers. A message
 * as big as the server's payload limit no longer fits with those headers: its body is cut to fit, and
 * `Klaxon-Truncated` gives the original length (a dead letter that cannot be stored would hold up the stream).
 */
export class JetStreamDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly js: JetStreamClient,
    private readonly subjectPrefix: string,
    /** The connected server's payload limit (it can change with a reconnect); undefined when unknown. */
    private readonly maxPayload: () => number | undefined = () => undefined,
  ) {}

  async send(letter: DeadLetter): Promise<void> {
    const h = headers();
    h.set("Klaxon-Reason", letter.reason);
    h.set("Klaxon-Detail", letter.detail.replace(/[\r\n]+/g, " ").slice(0, 1_024));
    h.set("Klaxon-Original-Subject", letter.originalSubject);
    if (letter.streamSequence !== undefined) h.set("Klaxon-Stream-Sequence", String(letter.streamSequence));
    if (letter.deliveryCount !== undefined) h.set("Klaxon-Delivery-Count", String(letter.deliveryCount));
    let data = letter.data;
    const room = (this.maxPayload() ?? Number.POSITIVE_INFINITY) - DEAD_LETTER_HEADER_ROOM;
    if (data.length > room) {
      h.set("Klaxon-Truncated", String(data.length));
      data = data.subarray(0, Math.max(0, room));
    }
    const options = letter.streamSequence === undefined ? { headers: h } : { headers: h, msgID: `dl:${letter.originalSubject}:${letter.streamSequence}` };
    await this.js.publish(`${this.subjectPrefix}.${letter.reason}`, data, options);
  }
}

// The object store digests every chunk with SHA-256; its default is a pure-JS hash (for browsers), which took ~7% of
// the engine's CPU saving snapshots. Node's own is many times faster. Process-wide, and the same digest.
setSha256Backend("native");

/** Snapshots can be megabytes: the object store chunks them, where a KV value would hit the payload limit. */
export class ObjectStoreSnapshotStore implements SnapshotStore {
  private store: ObjectStore | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly bucket: string,
  ) {}

  private async open(): Promise<ObjectStore> {
    this.store ??= await new Objm(this.nc).create(this.bucket);
    return this.store;
  }

  async load(name: string): Promise<StoredSnapshot | undefined> {
    // Bounded, as a replay is (see REPLAY_IDLE_MS): a read that hung held the role's start, and every later plan, for good.
    const data = await within((await this.open()).getBlob(name), SNAPSHOT_LOAD_MS, `loading snapshot ${name}`);
    return data ? (JSON.parse(new TextDecoder().decode(data)) as StoredSnapshot) : undefined;
  }

  async save(name: string, snapshot: StoredSnapshot): Promise<void> {
    await (await this.open()).putBlob({ name }, encoder.encode(JSON.stringify(snapshot)));
  }

  async names(prefix: string): Promise<string[]> {
    const entries = await (await this.open()).list();
    return entries.filter((info) => !info.deleted && info.name.startsWith(prefix)).map((info) => info.name);
  }

  async remove(name: string): Promise<void> {
    await (await this.open()).delete(name);
  }
}
