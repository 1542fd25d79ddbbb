import { AckPolicy, DeliverPolicy, JetStreamApiCodes, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import type { Config } from "../../config/config.schema.js";
import { evaluationPartitions } from "../../cluster/partition.js";

const MS_TO_NS = 1_000_000;

function isNotFound(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/** The streams Klaxon needs, derived from config. */
export function streamConfigs(config: Config): Array<Partial<StreamConfig> & { name: string; subjects: string[] }> {
  // Limits retention on file storage for all; a duplicate window where a re-announcement must be dropped.
  const stream = (name: string, prefix: string, extra: Partial<StreamConfig> = {}) => ({
    name,
    subjects: [`${prefix}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    ...extra,
  });
  const hour = 60 * 60_000 * MS_TO_NS;
  return [
    stream(config.streams.events, config.subjects.events, { max_age: config.streams.eventsMaxAgeMs * MS_TO_NS, duplicate_window: 2 * 60_000 * MS_TO_NS }),
    stream(config.streams.alerts, config.subjects.alerts, { duplicate_window: config.streams.alertsDuplicateWindowMs * MS_TO_NS }),
    stream(config.streams.deadLetter, config.subjects.deadLetter),
    stream(config.streams.audit, config.subjects.audit),
    // A flush repeated after a crash carries the same id: dropped here.
    stream(config.streams.notifications, config.subjects.notifications, { duplicate_window: hour }),
    // A page published again after a crash (claimed, sent, not yet marked sent) carries the same id: dropped here.
    stream(config.streams.pages, config.subjects.pages, { duplicate_window: hour }),
  ];
}

/** Create the streams and the evaluation consumer when missing. Existing ones are left as they are. */
export async function provision(jsm: JetStreamManager, config: Config): Promise<{ created: string[] }> {
  const created: string[] = [];
  for (const stream of streamConfigs(config)) {
    try {
      await jsm.streams.info(stream.name);
    } catch (error) {
      if (!isNotFound(error, JetStreamApiCodes.StreamNotFound)) throw error;
      await jsm.streams.add(stream);
      created.push(`stream ${stream.name}`);
    }
  }
  const consumers = [
    ...evaluationPartitions(config).map((p) => ({ stream: config.streams.events, durable: p.durable, filter: `${p.subjectPrefix}.>` })),
    { stream: config.streams.alerts, durable: config.consumer.alertsDurable, filter: `${config.subjects.alerts}.>` },
    { stream: config.streams.notifications, durable: config.consumer.escalateDurable, filter: `${config.subjects.notifications}.>` },
  ];
  for (const { stream, durable, filter } of consumers) {
    try {
      await jsm.consumers.info(stream, durable);
    } catch (error) {
      if (!isNotFound(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
      await jsm.consumers.add(stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: filter,
        max_deliver: config.consumer.maxDeliver,
        ack_wait: config.consumer.ackWaitMs * MS_TO_NS,
        max_ack_pending: Math.max(config.consumer.batch * 4, 1_000),
      });
      created.push(`consumer ${stream}/${durable}`);
    }
  }
  return { created };
}
