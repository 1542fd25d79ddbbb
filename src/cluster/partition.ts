import type { Config } from "../config/config.schema.js";

/**
 * Which evaluation partition an event's source belongs to. It must agree with nats-server's subject mapping
 * `{{partition(N,2)}}` (FNV-1a, 32 bit, of the source token, modulo N): the server routes live events, and this
 * function places series that have not sent anything yet (an absence rule's `expect`). A test checks the two agree.
 */
export function partitionOf(source: string, partitions: number): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(source)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % partitions;
}

/** The subject prefix an evaluation partition reads: `events.p3` when the server maps `events.*.*` onto partitions. */
export function partitionSubjectPrefix(eventsPrefix: string, partition: number, partitions: number): string {
  return partitions === 1 ? eventsPrefix : `${eventsPrefix}.p${partition}`;
}

/** The nats-server configuration that partitions events; `klaxon cluster mapping` prints it for the operator. */
export function partitionMapping(eventsPrefix: string, partitions: number): string {
  return `mappings = {\n  "${eventsPrefix}.*.*": "${eventsPrefix}.p{{partition(${partitions},2)}}.{{wildcard(1)}}.{{wildcard(2)}}"\n}`;
}

export interface EvaluationPartition {
  index: number;
  /** The lease role that owns it. */
  role: string;
  durable: string;
  subjectPrefix: string;
}

/** The evaluation partitions of a configuration: one durable consumer each, filtered on its subjects. */
export function evaluationPartitions(config: Config): EvaluationPartition[] {
  const count = config.cluster.partitions;
  return Array.from({ length: count }, (_, index) => ({
    index,
    role: count === 1 ? "evaluate" : `evaluate-p${index}`,
    durable: count === 1 ? config.consumer.durable : `${config.consumer.durable}-p${index}`,
    subjectPrefix: partitionSubjectPrefix(config.subjects.events, index, count),
  }));
}
